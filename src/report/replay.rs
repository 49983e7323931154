//! The state of a prospect at the end of a past day, replayed from the journal.
//!
//! The journal is read once into a [`History`]: per prospect, its stage
//! events and its field changes, each sorted by effective date (journal order
//! breaks ties). [`History::state_at`] then turns the register's row (today's
//! state) into the state at the end of a given day:
//!
//! - a prospect whose first journaled event (its `add`) is later is absent;
//! - its stage is the last stage event on or before the day (an undone add
//!   or a removal makes it absent), and it has been in that stage since that
//!   event's date;
//! - a field changed later (`set`, or a change taken back by `undo`) has the
//!   value it had then: the `to` of its last change on or before the day, or
//!   else the `from` of its first change after it;
//! - a prospect with no stage in the journal is taken as the register has it
//!   when its `created` and `stage_since` dates are on or before the day; when
//!   it was created earlier but entered its stage later, its state that day
//!   is unknown.
//!
//! No I/O here: the journal comes in already read.

use crate::digest::{self, Step};
use crate::field::Field;
use crate::ids::Ids;
use crate::journal::{Journal, Scan};
use crate::pipeline::Pipeline;
use crate::prospect::Prospect;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// A stage change: `from` is `None` for an add, `to` is `None` for a removal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageEvent {
    pub date: NaiveDate,
    pub from: Option<usize>,
    pub to: Option<usize>,
}

/// A change of one field, with canonical values.
#[derive(Debug, Clone)]
pub struct Change {
    pub date: NaiveDate,
    pub field: Field,
    pub from: String,
    pub to: String,
}

/// A stage event as stored: 8 bytes, stages numbered (`NONE` for none).
#[derive(Debug, Clone, Copy)]
struct Ev {
    date: NaiveDate,
    from: u16,
    to: u16,
}

const NONE: u16 = u16::MAX;

impl Ev {
    fn new(date: NaiveDate, from: Option<usize>, to: Option<usize>) -> Ev {
        let n = |s: Option<usize>| {
            s.map_or(NONE, |s| {
                u16::try_from(s)
                    .ok()
                    .filter(|&s| s != NONE)
                    .expect("fewer stages")
            })
        };
        Ev {
            date,
            from: n(from),
            to: n(to),
        }
    }

    fn event(self) -> StageEvent {
        let s = |v: u16| (v != NONE).then_some(v as usize);
        StageEvent {
            date: self.date,
            from: s(self.from),
            to: s(self.to),
        }
    }
}

/// One prospect's history: its stage events and its changes, each sorted by date (journal order breaks ties).
#[derive(Debug, Clone, Copy)]
pub struct Log<'a> {
    events: &'a [Ev],
    pub changes: &'a [Change],
}

impl<'a> Log<'a> {
    /// The stage events, oldest first.
    pub fn stages(&self) -> impl DoubleEndedIterator<Item = StageEvent> + Clone + 'a {
        self.events.iter().map(|e| e.event())
    }

    pub fn has_stages(&self) -> bool {
        !self.events.is_empty()
    }

    pub fn first_stage(&self) -> Option<StageEvent> {
        self.events.first().map(|e| e.event())
    }

    /// The stage events dated from `from` to `to`, both included.
    pub fn stages_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> impl Iterator<Item = StageEvent> + 'a {
        self.stages()
            .filter(move |e| e.date >= from && e.date <= to)
    }

    /// The last stage event on or before `day`.
    pub fn last_stage_on(&self, day: NaiveDate) -> Option<StageEvent> {
        self.stages().rev().find(|e| e.date <= day)
    }

    /// The changes of `expected_close` that pushed a decision date later, on or before `day`.
    pub fn pushes_until(&self, day: NaiveDate) -> usize {
        self.changes
            .iter()
            .filter(|c| c.field == Field::ExpectedClose && c.date <= day)
            .filter(|c| pushed_later(&c.from, &c.to))
            .count()
    }

    /// What the stage events say of `day`; none without stage events.
    pub fn stages_on(&self, day: NaiveDate) -> Option<StagesOn> {
        self.has_stages().then(|| StagesOn {
            last: self.last_stage_on(day).map(|e| (e.date, e.to)),
            first_from: self.first_stage().and_then(|e| e.from),
        })
    }

    /// The value `field` had at the end of `day`, as the journal writes it,
    /// when a change after the day makes it differ from the row's: the last
    /// change on or before the day's `to`, else the first one after's `from`.
    pub fn value_on(&self, day: NaiveDate, field: Field) -> Option<&'a str> {
        let mut changes = self.changes.iter().filter(|c| c.field == field);
        let first_after = changes.clone().find(|c| c.date > day)?;
        Some(match changes.rfind(|c| c.date <= day) {
            Some(c) => c.to.as_str(),
            None => first_after.from.as_str(),
        })
    }
}

/// Whether a change of a decision date from `from` to `to` (as the journal
/// writes them) pushed it later.
pub fn pushed_later(from: &str, to: &str) -> bool {
    match (
        crate::dates::parse_iso(from.trim()),
        crate::dates::parse_iso(to.trim()),
    ) {
        (Some(a), Some(b)) => b > a,
        _ => false,
    }
}

/// What a prospect was at the end of a day.
#[derive(Debug, Clone)]
pub enum State<'a> {
    Present(AsOf<'a>),
    /// Not yet added, or removed.
    Absent,
    /// Created by then, but its stage that day is not recorded anywhere.
    Unknown,
}

/// Every prospect's history, from one reading of the journal, kept compact:
/// the ids once each, then every prospect's events side by side.
#[derive(Default)]
pub struct History {
    ids: Ids,
    /// The events of id `i` are `events[starts[i]..starts[i + 1]]`.
    starts: Vec<u32>,
    events: Vec<Ev>,
    change_starts: Vec<u32>,
    changes: Vec<Change>,
}

/// A stage cell as replayed: `Ok(None)` when empty, `Err` when the name is unknown.
type Known = Result<Option<usize>, ()>;

/// Collects a history while the journal's steps stream past.
#[derive(Default)]
pub struct HistoryBuilder {
    events: Vec<(u32, Ev)>,
    changes: Vec<(u32, Change)>,
}

impl HistoryBuilder {
    /// Takes in the prospect numbered `id`'s entry; `from`/`to` are its stages, `Err` when a name is unknown.
    fn add(
        &mut self,
        id: u32,
        date: NaiveDate,
        stage: Option<(Known, Known)>,
        field: &str,
        values: (&str, &str),
    ) {
        if let Some(stages) = stage {
            // An unknown stage is reported by `pipe check`; it cannot be replayed.
            let (Ok(from), Ok(to)) = stages else {
                return;
            };
            self.events.push((id, Ev::new(date, from, to)));
        } else if let Some(field) = field_of(field) {
            self.changes.push((
                id,
                Change {
                    date,
                    field,
                    from: values.0.to_string(),
                    to: values.1.to_string(),
                },
            ));
        }
    }

    /// Takes in one step of a journal scan.
    pub fn add_step(&mut self, s: &Step<'_>) {
        match s.change {
            digest::Change::Stage { from, to } => {
                self.add(s.id, s.date, Some((from.known(), to.known())), "", ("", ""))
            }
            digest::Change::Field { name, from, to } => {
                self.add(s.id, s.date, None, name, (from, to))
            }
        }
    }

    /// The history, for the prospects `ids` numbers.
    pub fn finish(mut self, mut ids: Ids) -> History {
        // Laid out in id order, as registers usually are, rather than in the
        // order the journal first named the prospects: a report's look-ups
        // then go through memory in order instead of missing the cache.
        let new_of = ids.renumber_by_value().into_new_of();
        for (i, _) in &mut self.events {
            *i = new_of[*i as usize];
        }
        for (i, _) in &mut self.changes {
            *i = new_of[*i as usize];
        }
        drop(new_of);
        let n = ids.len();
        // Grouped by prospect, each prospect's in journal order.
        let blank = Ev::new(NaiveDate::MIN, None, None);
        let (starts, mut events) = crate::grouped::by_number(self.events, n, blank);
        for i in 0..n {
            let mine = &mut events[starts[i] as usize..starts[i + 1] as usize];
            // Mostly in date order already: a journal is written as time goes.
            if !mine.is_sorted_by_key(|e| e.date) {
                mine.sort_by_key(|e| e.date);
            }
        }
        let mut changes = self.changes;
        changes.sort_by_key(|(i, c)| (*i, c.date));
        let mut change_starts = vec![0u32; n + 1];
        for (i, _) in &changes {
            change_starts[*i as usize + 1] += 1;
        }
        for i in 0..n {
            change_starts[i + 1] += change_starts[i];
        }
        History {
            ids,
            starts,
            events,
            change_starts,
            changes: changes.into_iter().map(|(_, c)| c).collect(),
        }
    }
}

/// A journal field name as a field: the exact key first (what `pipe` writes), else as people type it.
pub fn field_of(name: &str) -> Option<Field> {
    Field::ALL
        .into_iter()
        .find(|f| f.key() == name)
        .or_else(|| Field::from_key(name))
}

impl History {
    /// The history of a journal already read (for commands that hold its entries anyway).
    #[allow(dead_code)]
    pub fn new(journal: &Journal, p: &Pipeline) -> History {
        let mut b = HistoryBuilder::default();
        let mut ids = Ids::default();
        let stage = |v: &str| -> Known {
            if v.trim().is_empty() {
                Ok(None)
            } else {
                p.find_stage(v).map(Some).ok_or(())
            }
        };
        for e in &journal.entries {
            let (id, _) = ids.insert(&e.id);
            let stages = e.is_stage().then(|| (stage(&e.from), stage(&e.to)));
            b.add(id, e.date, stages, &e.field, (&e.from, &e.to));
        }
        b.finish(ids)
    }

    /// Reads the journal straight into a history, without holding its entries.
    pub fn read(path: &std::path::Path, p: &Pipeline) -> anyhow::Result<(History, Scan)> {
        let (b, ids, scan) = digest::scan(path, p, HistoryBuilder::default, |b, s| b.add_step(s))?;
        Ok((b.finish(ids), scan))
    }

    /// A prospect's history; none when the journal has nothing of it to replay.
    pub fn log(&self, id: &str) -> Option<Log<'_>> {
        let i = self.ids.find(id)? as usize;
        let events = &self.events[self.starts[i] as usize..self.starts[i + 1] as usize];
        let changes =
            &self.changes[self.change_starts[i] as usize..self.change_starts[i + 1] as usize];
        (!events.is_empty() || !changes.is_empty()).then_some(Log { events, changes })
    }

    /// The prospect at the end of `day`; `today` is when the register's row holds.
    pub fn state_at<'a>(
        &self,
        x: &'a Prospect,
        day: NaiveDate,
        today: NaiveDate,
        p: &Pipeline,
    ) -> State<'a> {
        if day >= today {
            return State::Present(AsOf::Row(x));
        }
        let log = self.log(x.id.as_str());
        let stages = log.and_then(|l| l.stages_on(day));
        state_from(x, day, p, stages, |field| log?.value_on(day, field))
    }
}

/// What a prospect's stage events say of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StagesOn {
    /// Its last event on or before the day (in date order, journal order
    /// breaking ties): its date, and the stage it led to (`None`: removed).
    pub last: Option<(NaiveDate, Option<usize>)>,
    /// The stage its first event left (`None` for an add).
    pub first_from: Option<usize>,
}

/// The prospect `x` (today's row) at the end of an earlier `day`, from its
/// stage events (`None` when it has none) and `value_on`: a field's value
/// that day as the journal writes it, for the fields changed after the day.
pub fn state_from<'a, 'v>(
    x: &'a Prospect,
    day: NaiveDate,
    p: &Pipeline,
    stages: Option<StagesOn>,
    value_on: impl Fn(Field) -> Option<&'v str>,
) -> State<'a> {
    let mut y = AsOf::Row(x);
    match stages {
        Some(st) => match st.last {
            Some((date, to)) => match to {
                None => return State::Absent,
                Some(s) => {
                    if s != x.stage || x.stage_since != Some(date) {
                        let z = y.to_mut();
                        z.stage = s;
                        z.stage_since = Some(date);
                    }
                }
            },
            None => match st.first_from {
                // Its first record is a move: it existed before, in that stage.
                Some(s) if x.created.is_none_or(|c| c <= day) => {
                    let z = y.to_mut();
                    z.stage = s;
                    z.stage_since = None;
                }
                _ => return State::Absent,
            },
        },
        None => {
            if x.created.is_some_and(|c| c > day) {
                return State::Absent;
            }
            if x.stage_since.is_some_and(|s| s > day) {
                return State::Unknown;
            }
        }
    }
    for field in REPLAYED {
        if let Some(value) = value_on(field) {
            set_canonical(y.to_mut(), field, value, p);
        }
    }
    State::Present(y)
}

/// A prospect as it stood on a day: the register's row itself, or a copy
/// changed to the day. Two words, where a prospect held inline would be
/// copied whole each time the state of a row passes from hand to hand.
#[derive(Debug, Clone)]
pub enum AsOf<'a> {
    Row(&'a Prospect),
    Changed(Box<Prospect>),
}

impl AsOf<'_> {
    /// The prospect to change, copied from the row the first time.
    pub fn to_mut(&mut self) -> &mut Prospect {
        if let AsOf::Row(x) = *self {
            *self = AsOf::Changed(Box::new(x.clone()));
        }
        match self {
            AsOf::Changed(y) => y,
            AsOf::Row(_) => unreachable!("copied just before"),
        }
    }
}

impl std::ops::Deref for AsOf<'_> {
    type Target = Prospect;

    fn deref(&self) -> &Prospect {
        match self {
            AsOf::Row(x) => x,
            AsOf::Changed(y) => y,
        }
    }
}

/// The fields whose past values are replayed.
pub const REPLAYED: [Field; 8] = [
    Field::Amount,
    Field::Probability,
    Field::ExpectedClose,
    Field::Owner,
    Field::Products,
    Field::Name,
    Field::Company,
    Field::LostReason,
];

/// Sets a field from its canonical journal form; a value that cannot be read leaves it empty.
fn set_canonical(x: &mut Prospect, f: Field, v: &str, p: &Pipeline) {
    let v = v.trim();
    let date = || crate::dates::parse_iso(v);
    let number = || v.parse::<Decimal>().ok();
    match f {
        Field::Amount => x.amount = number(),
        Field::Probability => x.probability = number(),
        Field::ExpectedClose => x.expected_close = date(),
        Field::Owner => x.owner = v.to_string(),
        Field::Name => x.name = v.to_string(),
        Field::Company => x.company = v.to_string(),
        Field::LostReason => x.lost_reason = v.to_string(),
        Field::Products => {
            x.products.clear();
            for item in v.split('|').map(str::trim).filter(|s| !s.is_empty()) {
                if let Some(i) = p.find_product(item)
                    && !x.products.contains(&i)
                {
                    x.products.push(i);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use std::fmt::Write as _;

    /// The history built while scanning equals the one built from the entries read first.
    #[test]
    fn the_scanned_history_is_the_read_one() {
        let p = Pipeline::from_str(
            include_str!("../../pipeline.toml"),
            std::path::Path::new("pipeline.toml"),
        )
        .expect("the shipped pipeline");
        let stages = [
            "suspect", "contacte", "chaud", "gagne", "perdu", "Chaud", " froid", "", "zzz",
        ];
        let fields = [
            "stage",
            "stage",
            "stage",
            "expected_close",
            "amount",
            "owner",
            "Expected close",
            "notes",
        ];
        let mut rng = ChaCha8Rng::seed_from_u64(0x9e37_79b9_7f4a_7c15);
        let mut next = |n: u64| rng.random_range(0..n);
        let mut text = String::from("at,date,id,kind,field,from,to,by,reason,note\n");
        for k in 0..3000 {
            let field = fields[next(fields.len() as u64) as usize];
            let (from, to) = if field.contains("stage") && field.len() == 5 {
                (
                    stages[next(9) as usize].to_string(),
                    stages[next(9) as usize].to_string(),
                )
            } else {
                (
                    format!("2026-0{}-1{}", 1 + next(9), next(10)),
                    format!("{}", next(1000)),
                )
            };
            let _ = writeln!(
                text,
                "2026-01-01T00:00:{:02}.{k:03}+00:00,2026-0{}-{:02},P-{},move,{field},{from},\"{to}\",me,,",
                k % 60,
                1 + next(9),
                1 + next(28),
                next(300)
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.csv");
        std::fs::write(&path, text).unwrap();
        let (journal, diags) = Journal::read(&path, &p).unwrap();
        let read = History::new(&journal, &p);
        let (scanned, scan) = History::read(&path, &p).unwrap();
        assert_eq!(scan.diags.len(), diags.len());
        assert_eq!(scan.entries as usize, journal.entries.len());
        assert!(!diags.is_empty(), "unknown stages are reported");
        // The straightforward history this one replaced: a map of lists, sorted by date.
        type Changes = Vec<(NaiveDate, Field, String, String)>;
        let mut reference: std::collections::HashMap<String, (Vec<StageEvent>, Changes)> =
            Default::default();
        for e in &journal.entries {
            let stage = |v: &str| -> Known {
                if v.trim().is_empty() {
                    Ok(None)
                } else {
                    p.find_stage(v).map(Some).ok_or(())
                }
            };
            if e.is_stage() {
                let (Ok(from), Ok(to)) = (stage(&e.from), stage(&e.to)) else {
                    continue;
                };
                reference
                    .entry(e.id.clone())
                    .or_default()
                    .0
                    .push(StageEvent {
                        date: e.date,
                        from,
                        to,
                    });
            } else if let Some(field) = Field::from_key(&e.field) {
                reference.entry(e.id.clone()).or_default().1.push((
                    e.date,
                    field,
                    e.from.clone(),
                    e.to.clone(),
                ));
            }
        }
        for (stages, changes) in reference.values_mut() {
            stages.sort_by_key(|e| e.date);
            changes.sort_by_key(|c| c.0);
        }
        for n in 0..300 {
            let id = format!("P-{n}");
            let (a, b) = (read.log(&id), scanned.log(&id));
            assert_eq!(
                reference.get(&id).map(|r| r.0.clone()),
                b.map(|l| l.stages().collect::<Vec<_>>()),
                "{id}"
            );
            assert_eq!(a.is_some(), b.is_some(), "{id}");
            let (Some(a), Some(b)) = (a, b) else { continue };
            assert_eq!(
                a.stages().collect::<Vec<_>>(),
                b.stages().collect::<Vec<_>>(),
                "{id}"
            );
            let changes = |l: Log<'_>| {
                l.changes
                    .iter()
                    .map(|c| (c.date, c.field, c.from.clone(), c.to.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(changes(a), changes(b), "{id}");
            let day = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
            assert_eq!(a.pushes_until(day), b.pushes_until(day), "{id}");
        }
    }
}
