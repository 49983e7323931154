//! What the rules read of the journal, kept compact.
//!
//! Two rules look back: `stale` takes the date a prospect entered its stage
//! from the journal when the register has none, and `decision_slipped`
//! counts the times its expected decision was pushed later. Each needs a
//! prospect's stage entries and its `expected_close` changes, in journal
//! order, and nothing else: a [`Fact`] of 16 bytes an entry instead of the
//! entry's ten strings, so that a journal of millions of entries fits in a
//! few dozen megabytes. No I/O: the command scans the journal into it.

use crate::digest::{Change, Named, Step};
use crate::field::Field;
#[cfg(test)]
use crate::journal::Entry;
use crate::journal::Kind;
#[cfg(test)]
use crate::pipeline::Pipeline;
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
        let day = |s: &str| NaiveDate::parse_from_str(s.trim(), crate::dates::ISO).ok();
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
                let day = |s: &str| NaiveDate::parse_from_str(s.trim(), crate::dates::ISO).ok();
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

    /// The history, for the prospects the scan numbered `i`, renumbered
    /// `new_of[i]` (the ids' [`crate::ids::Ids::renumber_by_value`]: the register's rows
    /// usually come in id order, and then look their facts up in memory order).
    pub fn finish(mut self, new_of: &[u32]) -> History {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Journal;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The compact history holds, for each prospect, the facts of its entries read in full, in the same order.
    #[test]
    fn the_compact_history_is_the_entries_read_in_full() {
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
                "2026-01-01T00:00:00+00:00,2026-{:02}-{:02},P-{},{},{field},{from},{to},me,,\n",
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
        let history = b.finish(&ids.renumber_by_value());
        let (journal, _) = Journal::read(&path, &p).unwrap();
        let mut seen = 0;
        for n in 0..41 {
            let id = format!("P-{n}");
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
    }
}
