//! What the rules read of the journal, kept compact.
//!
//! Two rules look back: `stale` takes the date a prospect entered its stage
//! from the journal when the register has none, and `decision_slipped`
//! counts the times its expected decision was pushed later. Each needs a
//! prospect's stage entries and its `expected_close` changes, in journal
//! order, and nothing else: a [`Fact`] of 16 bytes an entry instead of the
//! entry's ten strings ([`History`]).
//!
//! A run keeps less: each prospect's [`Briefs`] entry, folded from its facts
//! as the journal streams past, answers the two questions in 8 bytes (and
//! the pushes, for the prospects whose decision date changed, in a map
//! while the journal streams past, then in an array by number). The one question a brief cannot answer, when a prospect entered a
//! stage it left since, is said ([`Short`]), and the run then reads the
//! journal again into the full history. No I/O: the command scans the
//! journal into them.

use crate::digest::{Change, Named, Step};
use crate::field::Field;
use crate::ids::{Ids, Renumbering};
#[cfg(test)]
use crate::journal::Entry;
use crate::journal::Kind;
use crate::pipeline::Pipeline;
use crate::validation::Index;
use chrono::NaiveDate;

/// One journal entry as the rules read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    /// A stage entry, with the stages it names (`None`: empty, or not a stage of the pipeline).
    Stage {
        date: NaiveDate,
        from: Option<u16>,
        to: Option<u16>,
    },
    /// A change of the expected decision whose two dates can be read.
    Decision {
        date: NaiveDate,
        undo: bool,
        from: NaiveDate,
        to: NaiveDate,
    },
}

impl Fact {
    /// The fact an entry gives, if the rules read it.
    #[cfg(test)]
    fn of(
        p: &Pipeline,
        date: NaiveDate,
        kind: Kind,
        field: &str,
        from: &str,
        to: &str,
    ) -> Option<Fact> {
        if field == "stage" {
            let stage = |v: &str| p.find_stage(v).and_then(|s| u16::try_from(s).ok());
            return Some(Fact::Stage {
                date,
                from: stage(from),
                to: stage(to),
            });
        }
        if field != Field::ExpectedClose.key() {
            return None;
        }
        let day = |s: &str| crate::dates::parse_iso(s.trim());
        Some(Fact::Decision {
            date,
            undo: kind == Kind::Undo,
            from: day(from)?,
            to: day(to)?,
        })
    }

    #[cfg(test)]
    pub fn from_entry(p: &Pipeline, e: &Entry) -> Option<Fact> {
        Fact::of(p, e.date, e.kind, &e.field, &e.from, &e.to)
    }

    /// The fact a step gives, if the rules read it: what `Fact::of` (the tests' reference) gives of its entry.
    pub fn from_step(s: &Step<'_>) -> Option<Fact> {
        match s.change {
            Change::Stage { from, to } => {
                let stage = |n: Named| n.stage().and_then(|s| u16::try_from(s).ok());
                Some(Fact::Stage {
                    date: s.date,
                    from: stage(from),
                    to: stage(to),
                })
            }
            Change::Field { name, from, to } => {
                if name != Field::ExpectedClose.key() {
                    return None;
                }
                let day = |s: &str| crate::dates::parse_iso(s.trim());
                Some(Fact::Decision {
                    date: s.date,
                    undo: s.kind == Kind::Undo,
                    from: day(from)?,
                    to: day(to)?,
                })
            }
        }
    }
}

/// Every prospect's facts, in journal order, by the number the scan's ids
/// give it (renumbered as [`Builder::finish`] is told).
#[derive(Default)]
pub struct History {
    /// The facts of the prospect numbered `i` are `facts[starts[i]..starts[i + 1]]`.
    starts: Vec<u32>,
    facts: Vec<Fact>,
}

/// Collects a history while the journal's steps stream past.
pub struct Builder {
    facts: Vec<(u32, Fact)>,
    /// Entries dated later have not happened yet.
    today: NaiveDate,
}

impl Builder {
    pub fn new(today: NaiveDate) -> Builder {
        Builder {
            facts: Vec::new(),
            today,
        }
    }

    pub fn add(&mut self, s: &Step<'_>) {
        if s.date > self.today {
            return;
        }
        if let Some(f) = Fact::from_step(s) {
            self.facts.push((s.id, f));
        }
    }

    /// The history, for the prospects the scan numbered, renumbered as
    /// `order` says (the ids' [`crate::ids::Ids::renumber_by_value`]: the register's rows
    /// usually come in id order, and then look their facts up in memory order).
    pub fn finish(mut self, order: Renumbering) -> History {
        let new_of = order.into_new_of();
        for (i, _) in &mut self.facts {
            *i = new_of[*i as usize];
        }
        let blank = Fact::Stage {
            date: NaiveDate::MIN,
            from: None,
            to: None,
        };
        // Grouped by prospect, each prospect's in journal order.
        let (starts, facts) = crate::grouped::by_number(self.facts, new_of.len(), blank);
        History { starts, facts }
    }
}

impl History {
    /// The facts of the prospect numbered `n`, oldest first in journal
    /// order; none without a number or when the journal does not name it.
    pub fn of(&self, n: Option<u32>) -> &[Fact] {
        match n.map(|n| n as usize).filter(|&n| n + 1 < self.starts.len()) {
            Some(i) => &self.facts[self.starts[i] as usize..self.starts[i + 1] as usize],
            None => &[],
        }
    }
}

/// What the rules read of one prospect's journal: its facts, or its brief.
#[derive(Clone, Copy)]
pub enum Look<'a> {
    Facts(&'a [Fact]),
    Brief {
        briefs: &'a Briefs,
        /// The prospect's number, `None` when the journal does not name it.
        n: Option<usize>,
    },
}

/// A question about a prospect's past that its brief cannot answer: the
/// full history has to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Short;

impl Look<'_> {
    /// The date of the last entry into `stage`, in journal order.
    pub fn entered(&self, stage: usize) -> Result<Option<NaiveDate>, Short> {
        match *self {
            Look::Facts(facts) => Ok(facts.iter().rev().find_map(|e| match *e {
                Fact::Stage { date, to, .. } if to.map(usize::from) == Some(stage) => Some(date),
                _ => None,
            })),
            Look::Brief { n: None, .. } => Ok(None),
            Look::Brief { briefs, n: Some(n) } => {
                let b = briefs.of[n];
                if usize::from(b.last_to) == stage {
                    Ok(Some(b.last_on))
                } else if b.entered & Briefs::bit(stage) == 0 {
                    Ok(None)
                } else {
                    // It entered this stage, then another: when, the brief does not keep.
                    Err(Short)
                }
            }
        }
    }

    /// How often its expected decision was pushed back ([`crate::alerts::decision_slips`]).
    pub fn slips(&self, p: &Pipeline) -> crate::alerts::Slips {
        match *self {
            Look::Facts(facts) => crate::alerts::decision_slips(p, facts),
            Look::Brief { briefs, n } => n.map_or_else(Default::default, |n| briefs.slips(n)),
        }
    }
}

/// What the rules read of every prospect's journal, by number: each
/// prospect's answers, folded from its facts in journal order.
pub struct Briefs {
    /// Each prospect's brief, by number.
    of: Vec<Brief>,
    /// How often its decision was pushed back, by number, for the prospects
    /// whose decision date changed since their count last started: an array
    /// of a tenth of the prospects or so, 20 bytes an entry without a map's
    /// empty slots.
    slips: Vec<(u32, crate::alerts::Slips)>,
}

/// [`Briefs`] as the journal streams past, numbered as the scan numbers the ids.
#[derive(Default)]
pub struct Folding {
    of: Vec<Brief>,
    /// How often its decision was pushed back, for the prospects whose decision date ever changed.
    slips: hashbrown::HashMap<u32, crate::alerts::Slips, foldhash::fast::RandomState>,
}

/// One prospect's brief: 8 bytes.
#[derive(Clone, Copy)]
struct Brief {
    /// The stage its last entry into a stage led to ([`Briefs::NONE`]: none did), and that entry's date.
    last_to: u16,
    last_on: NaiveDate,
    /// The stages it entered, one bit each; the stages from the 16th on share the last bit.
    entered: u16,
}

const _: () = assert!(std::mem::size_of::<Brief>() == 8);

impl Folding {
    /// Makes room for the prospect numbered `n`.
    fn reach(&mut self, n: usize) {
        if n >= self.of.len() {
            self.of.resize(n + 1, Briefs::BLANK);
        }
    }

    /// Takes a prospect's next fact, in journal order.
    fn add(&mut self, p: &Pipeline, n: u32, f: &Fact) {
        let i = n as usize;
        self.reach(i);
        match *f {
            Fact::Stage { date, to, .. } => {
                if let Some(to) = to {
                    let b = &mut self.of[i];
                    b.last_to = to;
                    b.last_on = date;
                    b.entered |= Briefs::bit(usize::from(to));
                }
                // A reopening starts the count again; without pushes, there is nothing to start again.
                if let Some(s) = self.slips.get_mut(&n) {
                    s.add(p, f);
                }
            }
            Fact::Decision { .. } => self.slips.entry(n).or_default().add(p, f),
        }
    }

    /// The briefs, renumbered as `order` says, in place: they are never
    /// held twice. The pushes go to an array in number order (a prospect
    /// whose count started again since is left out).
    #[cfg(test)]
    fn finish(mut self, order: Renumbering) -> Briefs {
        order.apply(&mut self.of, Briefs::BLANK);
        self.finish_moved(order)
    }

    /// The briefs, moved already as `order` says (with the index:
    /// [`Gather::finish_with`]); the pushes go to an array in number order
    /// (a prospect whose count started again since is left out).
    fn finish_moved(self, order: Renumbering) -> Briefs {
        let Folding { of, mut slips } = self;
        slips.retain(|_, s| *s != crate::alerts::Slips::default());
        // The renumbering let go before the array is made.
        let new = order.into_new_numbers(slips.keys().copied());
        let mut pushed = Vec::with_capacity(slips.len());
        pushed.extend(slips.into_iter().map(|(n, s)| (new.of(n), s)));
        pushed.sort_unstable_by_key(|(n, _)| *n);
        Briefs { of, slips: pushed }
    }
}

impl Briefs {
    const NONE: u16 = u16::MAX;
    const BLANK: Brief = Brief {
        last_to: Briefs::NONE,
        last_on: NaiveDate::MIN,
        entered: 0,
    };

    fn bit(stage: usize) -> u16 {
        1 << stage.min(15)
    }

    /// How often the decision of the prospect numbered `n` was pushed back.
    fn slips(&self, n: usize) -> crate::alerts::Slips {
        let at = self.slips.partition_point(|(m, _)| (*m as usize) < n);
        match self.slips.get(at) {
            Some((m, s)) if *m as usize == n => s.clone(),
            _ => crate::alerts::Slips::default(),
        }
    }

    fn look(&self, n: Option<u32>) -> Look<'_> {
        Look::Brief {
            briefs: self,
            n: n.map(|n| n as usize).filter(|&n| n < self.of.len()),
        }
    }
}

/// What a run reads of the journal: briefs, or the full history when a
/// brief fell short (or `PIPE_HISTORY=full` says so).
pub enum Past {
    Brief(Briefs),
    Full(History),
}

impl Past {
    /// What the rules read of the prospect numbered `n`.
    pub fn look(&self, n: Option<u32>) -> Look<'_> {
        match self {
            Past::Brief(b) => b.look(n),
            Past::Full(h) => Look::Facts(h.of(n)),
        }
    }
}

/// Collects a [`Past`] while the journal's steps stream past.
pub enum Gather<'p> {
    Brief {
        p: &'p Pipeline,
        today: NaiveDate,
        briefs: Folding,
    },
    Full(Builder),
}

impl<'p> Gather<'p> {
    pub fn new(p: &'p Pipeline, today: NaiveDate, full: bool) -> Gather<'p> {
        if full {
            Gather::Full(Builder::new(today))
        } else {
            Gather::Brief {
                p,
                today,
                briefs: Folding::default(),
            }
        }
    }

    pub fn add(&mut self, s: &Step<'_>) {
        match self {
            Gather::Full(b) => b.add(s),
            Gather::Brief { p, today, briefs } => {
                if s.date > *today {
                    return;
                }
                if let Some(f) = Fact::from_step(s) {
                    briefs.add(p, s.id, &f);
                }
            }
        }
    }

    /// The past, renumbered as [`Builder::finish`] is.
    #[cfg(test)]
    pub fn finish(self, order: Renumbering) -> Past {
        match self {
            Gather::Full(b) => Past::Full(b.finish(order)),
            Gather::Brief { briefs, .. } => Past::Brief(briefs.finish(order)),
        }
    }

    /// The past and `index`, numbered by the values of `ids` (what the
    /// scan numbered): the briefs move in the same pass as the index
    /// ([`Index::number_by_value_along`]).
    pub fn finish_with(self, index: &mut Index, ids: Ids) -> Past {
        match self {
            Gather::Full(b) => Past::Full(b.finish(index.number_by_value(ids))),
            Gather::Brief { mut briefs, .. } => {
                let order = index.number_by_value_along(ids, &mut briefs.of, Briefs::BLANK);
                Past::Brief(briefs.finish_moved(order))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Journal;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The compact history holds, for each prospect, the facts of its
    /// entries read in full, in the same order; with ids of several widths
    /// (renumbered through a map) and of one width without a gap
    /// (renumbered through the ids alone).
    #[test]
    fn the_compact_history_is_the_entries_read_in_full() {
        for width in [1, 2] {
            compact_history_is_full(width);
        }
    }

    fn compact_history_is_full(width: usize) {
        let p = Pipeline::from_str(
            include_str!("../../pipeline.toml"),
            std::path::Path::new("pipeline.toml"),
        )
        .expect("the shipped pipeline");
        let mut text = String::from("at,date,id,kind,field,from,to,by,reason,note\n");
        let stages = ["suspect", "chaud", "Gagné", " perdu ", "", "zzz"];
        let fields = ["stage", "expected_close", "amount", "stage"];
        let values = ["2026-03-01", " 2026-04-01", "bad", "", "2026-02-10"];
        let kinds = ["move", "set", "undo", "sync"];
        let mut rng = ChaCha8Rng::seed_from_u64(0x2545_f491_4f6c_dd1d);
        let mut next = |n: usize| rng.random_range(0..n);
        for k in 0..2000 {
            let field = fields[next(fields.len())];
            let (from, to) = if field == "stage" {
                (stages[next(6)], stages[next(6)])
            } else {
                (values[next(5)], values[next(5)])
            };
            text.push_str(&format!(
                "2026-01-01T00:00:00+00:00,2026-{:02}-{:02},P-{:0width$},{},{field},{from},{to},me,,\n",
                1 + next(12),
                1 + next(28),
                next(40),
                kinds[next(4)],
            ));
            let _ = k;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.csv");
        std::fs::write(&path, text).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 9, 15).unwrap();
        let (b, mut ids, _) =
            crate::digest::scan(&path, &p, || Builder::new(today), |b, s| b.add(s)).unwrap();
        let history = b.finish(ids.renumber_by_value());
        let (journal, _) = Journal::read(&path, &p).unwrap();
        let mut seen = 0;
        for n in 0..41 {
            let id = format!("P-{n:0width$}");
            let full: Vec<Fact> = journal
                .entries
                .iter()
                .filter(|e| e.id == id && e.date <= today)
                .filter_map(|e| Fact::from_entry(&p, e))
                .collect();
            assert_eq!(history.of(ids.find(&id)), full.as_slice(), "{id}");
            seen += full.len();
        }
        assert!(seen > 500, "{seen} facts");

        // The briefs answer as the facts do, or say they cannot; moved
        // alone, or with the index as `pipe alerts` moves them.
        let (gather, mut ids, _) =
            crate::digest::scan(&path, &p, || Gather::new(&p, today, false), |g, s| g.add(s))
                .unwrap();
        let (again, _, _) =
            crate::digest::scan(&path, &p, || Gather::new(&p, today, false), |g, s| g.add(s))
                .unwrap();
        let with_index = again.finish_with(&mut Index::new(String::new()), ids.clone());
        let Past::Brief(briefs) = gather.finish(ids.renumber_by_value()) else {
            panic!("briefs asked for");
        };
        let Past::Brief(with_index) = with_index else {
            panic!("briefs asked for");
        };
        let (mut answered, mut short, mut pushed) = (0, 0, 0);
        for n in 0..42 {
            let id = format!("P-{n:0width$}");
            let number = ids.find(&id);
            let facts = Look::Facts(history.of(number));
            let brief = briefs.look(number);
            let other = with_index.look(number);
            assert_eq!(brief.slips(&p), facts.slips(&p), "{id}");
            assert_eq!(other.slips(&p), facts.slips(&p), "{id}");
            for stage in 0..p.stages.len() {
                assert_eq!(
                    other.entered(stage),
                    brief.entered(stage),
                    "{id} entered {stage}"
                );
            }
            pushed += usize::from(facts.slips(&p).count > 0);
            for stage in 0..p.stages.len() {
                let full = facts.entered(stage).unwrap();
                match brief.entered(stage) {
                    Ok(date) => {
                        assert_eq!(date, full, "{id} entered {stage}");
                        answered += usize::from(date.is_some());
                    }
                    Err(Short) => {
                        assert!(full.is_some(), "{id} never entered {stage}");
                        short += 1;
                    }
                }
            }
        }
        assert!(
            answered > 20 && short > 20,
            "{answered} answered, {short} short"
        );
        assert!(pushed >= 5, "{pushed} prospects with pushes");
    }
}
