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

use crate::field::Field;
use crate::journal::Journal;
use crate::pipeline::Pipeline;
use crate::prospect::Prospect;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::collections::HashMap;

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

/// One prospect's history.
#[derive(Debug, Clone, Default)]
pub struct Log {
    pub stages: Vec<StageEvent>,
    pub changes: Vec<Change>,
}

impl Log {
    /// The stage events dated from `from` to `to`, both included.
    pub fn stages_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> impl Iterator<Item = &StageEvent> {
        self.stages
            .iter()
            .filter(move |e| e.date >= from && e.date <= to)
    }

    /// The last stage event on or before `day`.
    pub fn last_stage_on(&self, day: NaiveDate) -> Option<&StageEvent> {
        self.stages.iter().rev().find(|e| e.date <= day)
    }

    /// The changes of `expected_close` that pushed a decision date later, on or before `day`.
    pub fn pushes_until(&self, day: NaiveDate) -> usize {
        self.changes
            .iter()
            .filter(|c| c.field == Field::ExpectedClose && c.date <= day)
            .filter(|c| {
                match (
                    NaiveDate::parse_from_str(c.from.trim(), crate::dates::ISO),
                    NaiveDate::parse_from_str(c.to.trim(), crate::dates::ISO),
                ) {
                    (Ok(a), Ok(b)) => b > a,
                    _ => false,
                }
            })
            .count()
    }
}

/// What a prospect was at the end of a day.
// Short-lived, one at a time: boxing the prospect would only add an allocation per row.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum State<'a> {
    Present(Cow<'a, Prospect>),
    /// Not yet added, or removed.
    Absent,
    /// Created by then, but its stage that day is not recorded anywhere.
    Unknown,
}

/// Every prospect's history, from one reading of the journal.
#[derive(Debug, Default)]
pub struct History {
    logs: HashMap<String, Log>,
}

impl History {
    pub fn new(journal: &Journal, p: &Pipeline) -> History {
        let mut logs: HashMap<String, Log> = HashMap::new();
        for e in &journal.entries {
            let stage = |v: &str| -> Result<Option<usize>, ()> {
                if v.trim().is_empty() {
                    Ok(None)
                } else {
                    p.find_stage(v).map(Some).ok_or(())
                }
            };
            if e.is_stage() {
                // An unknown stage is reported by `pipe check`; it cannot be replayed.
                let (Ok(from), Ok(to)) = (stage(&e.from), stage(&e.to)) else {
                    continue;
                };
                logs.entry(e.id.clone())
                    .or_default()
                    .stages
                    .push(StageEvent {
                        date: e.date,
                        from,
                        to,
                    });
            } else if let Some(field) = Field::from_key(&e.field) {
                logs.entry(e.id.clone()).or_default().changes.push(Change {
                    date: e.date,
                    field,
                    from: e.from.clone(),
                    to: e.to.clone(),
                });
            }
        }
        for log in logs.values_mut() {
            log.stages.sort_by_key(|e| e.date);
            log.changes.sort_by_key(|c| c.date);
        }
        History { logs }
    }

    pub fn log(&self, id: &str) -> Option<&Log> {
        self.logs.get(id)
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
            return State::Present(Cow::Borrowed(x));
        }
        let log = self.logs.get(x.id.as_str());
        let mut y = Cow::Borrowed(x);
        match log.filter(|l| !l.stages.is_empty()) {
            Some(log) => match log.last_stage_on(day) {
                Some(e) => match e.to {
                    None => return State::Absent,
                    Some(s) => {
                        if s != x.stage || x.stage_since != Some(e.date) {
                            let z = y.to_mut();
                            z.stage = s;
                            z.stage_since = Some(e.date);
                        }
                    }
                },
                None => match log.stages[0].from {
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
        if let Some(log) = log {
            for field in REPLAYED {
                let mut changes = log.changes.iter().filter(|c| c.field == field);
                let Some(first_after) = changes.clone().find(|c| c.date > day) else {
                    continue;
                };
                let value = match changes.rfind(|c| c.date <= day) {
                    Some(c) => c.to.as_str(),
                    None => first_after.from.as_str(),
                };
                set_canonical(y.to_mut(), field, value, p);
            }
        }
        State::Present(y)
    }
}

/// The fields whose past values are replayed.
const REPLAYED: [Field; 8] = [
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
    let date = || NaiveDate::parse_from_str(v, crate::dates::ISO).ok();
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
