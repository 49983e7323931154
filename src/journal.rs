//! The journal: an append-only CSV of every change, the history that reports replay.
//!
//! `at,date,id,kind,field,from,to,by,reason,note`; UTF-8, `,`, ISO dates.
//! Values are canonical: stage and product ids, ISO dates, plain decimals.
//! Reading is here; appending durably is `store`'s job.

use crate::csvlog;
use crate::diag::Diagnostic;
use crate::pipeline::Pipeline;
use anyhow::Result;
use chrono::{DateTime, FixedOffset, NaiveDate};
use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

pub const HEADER: [&str; 10] = [
    "at", "date", "id", "kind", "field", "from", "to", "by", "reason", "note",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Add,
    Move,
    Set,
    Undo,
    Sync,
}

impl Kind {
    pub fn key(self) -> &'static str {
        match self {
            Kind::Add => "add",
            Kind::Move => "move",
            Kind::Set => "set",
            Kind::Undo => "undo",
            Kind::Sync => "sync",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "add" => Kind::Add,
            "move" => Kind::Move,
            "set" => Kind::Set,
            "undo" => Kind::Undo,
            "sync" => Kind::Sync,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub at: DateTime<FixedOffset>,
    pub date: NaiveDate,
    pub id: String,
    pub kind: Kind,
    pub field: String,
    pub from: String,
    pub to: String,
    pub by: String,
    pub reason: String,
    pub note: String,
    /// Line in the journal file (0 for an entry not yet written).
    pub line: u64,
}

impl Entry {
    pub fn record(&self) -> [String; 10] {
        [
            format_at(self.at),
            self.date.format(crate::dates::ISO).to_string(),
            self.id.clone(),
            self.kind.key().to_string(),
            self.field.clone(),
            self.from.clone(),
            self.to.clone(),
            self.by.clone(),
            self.reason.clone(),
            self.note.clone(),
        ]
    }

    pub fn is_stage(&self) -> bool {
        self.field == "stage"
    }
}

pub fn format_at(at: DateTime<FixedOffset>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}

const FORMAT: csvlog::Format = csvlog::Format {
    header: &HEADER,
    what: "journal",
    header_code: "journal-header",
    incomplete_hint: "check that line against the register, then finish or remove it; `pipe` refuses to append until then",
};

/// Reads one entry of the journal; `None` (with a diagnostic) when it cannot be used.
fn entry(l: &csvlog::Line, p: &Pipeline, diags: &mut Vec<Diagnostic>) -> Option<Entry> {
    let fields = &l.fields;
    let Ok(at) = DateTime::parse_from_rfc3339(fields[0].trim()) else {
        diags.push(
            l.error(
                0,
                "bad-timestamp",
                format!("`{}` is not an RFC 3339 time", fields[0]),
            )
            .hint("write it as `2026-11-27T09:30:00+01:00`"),
        );
        return None;
    };
    let Ok(date) = NaiveDate::parse_from_str(fields[1].trim(), crate::dates::ISO) else {
        diags.push(
            l.error(1, "bad-date", format!("`{}` is not an ISO date", fields[1]))
                .hint("the journal's dates are written `2026-11-27`"),
        );
        return None;
    };
    let Some(kind) = Kind::parse(fields[3].trim()) else {
        diags.push(
            l.error(
                3,
                "bad-kind",
                format!("`{}` is not a kind of change", fields[3]),
            )
            .hint("the kinds are `add`, `move`, `set`, `undo` and `sync`"),
        );
        return None;
    };
    let entry = Entry {
        at,
        date,
        id: fields[2].trim().to_string(),
        kind,
        field: fields[4].trim().to_string(),
        from: fields[5].clone(),
        to: fields[6].clone(),
        by: fields[7].clone(),
        reason: fields[8].clone(),
        note: fields[9].clone(),
        line: l.line,
    };
    if entry.is_stage() {
        for (i, v) in [(5, &entry.from), (6, &entry.to)] {
            if !v.trim().is_empty() && p.find_stage(v).is_none() {
                diags.push(
                    l.error(i, "unknown-stage", p.unknown_stage(v.trim()))
                        .hint("a stage was renamed or removed in the pipeline; keep its old id or label as a stage, or restore it"),
                );
            }
        }
    }
    Some(entry)
}

#[derive(Debug, Default)]
pub struct Journal {
    pub file: String,
    pub entries: Vec<Entry>,
}

/// A stage change for one prospect: when, which stage (`None`: removed by an undone add), and where it is recorded.
#[derive(Debug, Clone, Copy)]
pub struct StageEvent {
    pub date: NaiveDate,
    pub stage: Option<usize>,
    pub line: u64,
}

impl Journal {
    /// Reads the journal; a missing file is an empty journal. Problems come back as diagnostics beside what could be read.
    pub fn read(path: &Path, p: &Pipeline) -> Result<(Journal, Vec<Diagnostic>)> {
        let mut entries = Vec::new();
        let diags = csvlog::read(path, &FORMAT, |l, diags| {
            if let Some(e) = entry(l, p, diags) {
                entries.push(e);
            }
        })?;
        Ok((
            Journal {
                file: path.display().to_string(),
                entries,
            },
            diags,
        ))
    }

    /// Each prospect's entries, in journal order.
    pub fn by_id(&self) -> HashMap<&str, Vec<&Entry>> {
        let mut out: HashMap<&str, Vec<&Entry>> = HashMap::new();
        for e in &self.entries {
            out.entry(e.id.as_str()).or_default().push(e);
        }
        out
    }

    /// The stage history of every prospect, in journal order.
    pub fn stage_events(&self, p: &Pipeline) -> HashMap<&str, Vec<StageEvent>> {
        let mut out: HashMap<&str, Vec<StageEvent>> = HashMap::new();
        for e in &self.entries {
            if !e.is_stage() {
                continue;
            }
            let stage = if e.to.trim().is_empty() {
                None
            } else {
                p.find_stage(&e.to)
            };
            if stage.is_none() && !e.to.trim().is_empty() {
                continue;
            }
            out.entry(e.id.as_str()).or_default().push(StageEvent {
                date: e.date,
                stage,
                line: e.line,
            });
        }
        out
    }

    /// The stage history of every prospect as it stands once `pipe undo` is
    /// taken into account: the changes an undo took back, and the undo's own
    /// entries, are left out. Milestones and outcomes are read from this.
    pub fn effective_stage_events(&self, p: &Pipeline) -> HashMap<&str, Vec<StageEvent>> {
        // An undo takes back the latest change not yet taken back, as `pipe undo` walks.
        let mut kept: Vec<std::ops::Range<usize>> = Vec::new();
        for g in self.groups() {
            if self.entries[g.start].kind == Kind::Undo {
                kept.pop();
            } else {
                kept.push(g);
            }
        }
        let mut out: HashMap<&str, Vec<StageEvent>> = HashMap::new();
        for e in kept.into_iter().flat_map(|g| &self.entries[g]) {
            if !e.is_stage() || e.to.trim().is_empty() {
                continue;
            }
            if let Some(stage) = p.find_stage(&e.to) {
                out.entry(e.id.as_str()).or_default().push(StageEvent {
                    date: e.date,
                    stage: Some(stage),
                    line: e.line,
                });
            }
        }
        out
    }

    /// The last recorded stage of each prospect (`None`: the prospect was removed by an undo).
    pub fn last_stages(&self, p: &Pipeline) -> HashMap<&str, StageEvent> {
        self.stage_events(p)
            .into_iter()
            .filter_map(|(id, ev)| ev.last().copied().map(|e| (id, e)))
            .collect()
    }

    /// Index ranges of the groups of entries written by one command (same `at`), oldest first.
    pub fn groups(&self) -> Vec<std::ops::Range<usize>> {
        let mut out = Vec::new();
        let mut start = 0;
        for i in 1..=self.entries.len() {
            if i == self.entries.len() || self.entries[i].at != self.entries[start].at {
                if i > start {
                    out.push(start..i);
                }
                start = i;
            }
        }
        out
    }
}

/// True when the file's last byte ends a line.
pub fn ends_with_newline(path: &Path) -> Result<bool> {
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok(true);
    }
    f.seek(SeekFrom::Start(len - 1))?;
    let mut b = [0u8; 1];
    f.read_exact(&mut b)?;
    Ok(b[0] == b'\n' || b[0] == b'\r')
}

/// The time of the journal's last entry, read from the end of the file.
pub fn last_at(path: &Path) -> Result<Option<DateTime<FixedOffset>>> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let len = f.metadata()?.len();
    let from = len.saturating_sub(64 * 1024);
    f.seek(SeekFrom::Start(from))?;
    let mut tail = Vec::new();
    f.read_to_end(&mut tail)?;
    let text = String::from_utf8_lossy(&tail);
    Ok(text
        .lines()
        .rev()
        .filter_map(|l| l.split(',').next())
        .find_map(|a| DateTime::parse_from_rfc3339(a.trim()).ok()))
}
