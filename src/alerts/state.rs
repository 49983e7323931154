//! What `pipe alerts --new-only` remembers between runs: the alerts it has
//! reported and when. Parsing, the decision of what to report, and the new
//! state are here; reading and writing the file is the command's job.
//!
//! The file is JSON:
//!
//! ```json
//! { "format": "pipe-alerts-state/1",
//!   "alerts": [ { "key": "stale|P-0031|suspect|2025-10-03", "rule": "stale",
//!                 "id": "P-0031", "owner": "", "severity": "warning",
//!                 "first_reported": "2026-11-27", "last_reported": "2026-11-27" } ] }
//! ```

use super::{Alert, Filter};
use crate::pipeline::Pipeline;
use crate::pipeline::{Rule, Severity};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub const FORMAT: &str = "pipe-alerts-state/1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub format: String,
    pub alerts: Vec<Seen>,
}

/// An alert that was reported and has not cleared since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seen {
    pub key: String,
    pub rule: String,
    pub id: String,
    pub owner: String,
    pub severity: String,
    pub first_reported: NaiveDate,
    pub last_reported: NaiveDate,
}

impl Default for State {
    fn default() -> State {
        State {
            format: FORMAT.into(),
            alerts: Vec::new(),
        }
    }
}

impl State {
    pub fn parse(text: &str) -> Result<State, String> {
        if text.trim().is_empty() {
            return Ok(State::default());
        }
        let s: State = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if s.format != FORMAT {
            return Err(format!(
                "its format is `{}`, and this `pipe` reads `{FORMAT}`",
                s.format
            ));
        }
        Ok(s)
    }

    /// The state as the file holds it, written as it goes (a state of a
    /// million alerts is not laid out whole in memory first).
    pub fn write_json(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        out.write_all(b"\n")
    }
}

/// Decides which of today's alerts to report, alert by alert as they are
/// raised: none is kept, only its record. Alerts the filter leaves out keep
/// their record untouched, so runs with different filters can share a
/// file; a recorded alert the filter covers that is no longer raised has
/// cleared, and is forgotten.
pub struct Update<'s> {
    state: &'s State,
    today: NaiveDate,
    known: HashMap<&'s str, &'s Seen>,
    /// The records, today's first: sorted by key once all are in, the
    /// first of each key kept (today's over a recorded one).
    next: Vec<Seen>,
    /// How many open alerts were already reported and are held back.
    pub held: usize,
}

impl<'s> Update<'s> {
    pub fn new(state: &'s State, today: NaiveDate) -> Update<'s> {
        Update {
            state,
            today,
            known: state.alerts.iter().map(|s| (s.key.as_str(), s)).collect(),
            next: Vec::new(),
            held: 0,
        }
    }

    /// Records an open alert (its repeats already numbered); whether to report it today.
    pub fn take(&mut self, p: &Pipeline, a: &Alert) -> bool {
        let key = a.key(p);
        let seen = self.known.get(key.as_str());
        let due = match seen {
            None => true,
            Some(s) => a
                .realert_after
                .is_some_and(|t| self.today >= t.after(s.last_reported)),
        };
        self.next.push(Seen {
            key,
            rule: a.rule().key().into(),
            id: a.id().into(),
            owner: a.owner().into(),
            severity: a.severity.key().into(),
            first_reported: seen.map_or(self.today, |s| s.first_reported),
            last_reported: match seen {
                Some(s) if !due => s.last_reported,
                _ => self.today,
            },
        });
        self.held += usize::from(!due);
        due
    }

    /// The state to remember: today's records, and those the filter does not cover.
    pub fn finish(self, filter: &Filter) -> State {
        // The look-up of the file's records goes before the records are sorted.
        let Update {
            state,
            mut next,
            known,
            ..
        } = self;
        drop(known);
        next.extend(state.alerts.iter().filter(|s| !covers(filter, s)).cloned());
        // Stable: of equal keys, today's record comes first, then the file's in its order.
        next.sort_by(|a, b| a.key.cmp(&b.key));
        next.dedup_by(|later, first| later.key == first.key);
        State {
            format: FORMAT.into(),
            alerts: next,
        }
    }
}

/// Whether this run's filter looks at a recorded alert (unreadable records count as looked at).
fn covers(filter: &Filter, s: &Seen) -> bool {
    let rule = Rule::parse(&s.rule);
    let severity = match s.severity.as_str() {
        "critical" => Some(Severity::Critical),
        "warning" => Some(Severity::Warning),
        _ => None,
    };
    match (rule, severity) {
        (Some(r), Some(sev)) => filter.accepts(&s.owner, r, sev),
        _ => true,
    }
}
