//! The activity log: an append-only CSV of the hours spent on each prospect,
//! the record `pipe effort` measures the sales effort from.
//!
//! `at,date,id,kind,hours,by,note`; UTF-8, `,`, LF, ISO dates, kind ids and
//! hours in canonical form (`1.5`, `1h20`). Reading is here, appending
//! durably is `store::AppendLog`'s job.

use crate::csvlog::{self, Line};
use crate::diag::Diagnostic;
use crate::hours::Hours;
use crate::pipeline::ActivitiesConfig;
use anyhow::Result;
use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::Decimal;

pub const HEADER: [&str; 7] = ["at", "date", "id", "kind", "hours", "by", "note"];

const FORMAT: csvlog::Format = csvlog::Format {
    header: &HEADER,
    what: "activity log",
    header_code: "activities-header",
    incomplete_hint: "finish or remove that line; `pipe log` refuses to append until then",
};

/// Reads the hours of one activity: a duration above zero, at most a day.
pub fn hours(s: &str) -> Result<Hours, String> {
    let h = Hours::parse(s)?;
    if h == Hours::ZERO {
        return Err("the hours must be more than zero".into());
    }
    if h > Hours::from_minutes(Decimal::from(24 * 60)) {
        return Err(format!(
            "`{}` is more than the 24 hours of a day; log longer work day by day",
            s.trim()
        ));
    }
    Ok(h)
}

/// Time spent on one prospect on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// When it was recorded; one command's activities share it.
    pub at: DateTime<FixedOffset>,
    /// The day the work was done.
    pub date: NaiveDate,
    pub id: String,
    /// Index in the pipeline's activity kinds.
    pub kind: usize,
    pub hours: Hours,
    pub by: String,
    pub note: String,
    /// Line in the log (0 for an activity not yet written).
    pub line: u64,
}

impl Activity {
    /// The cells of its line in the log.
    pub fn record(&self, cfg: &ActivitiesConfig) -> Vec<String> {
        vec![
            crate::journal::format_at(self.at),
            self.date.format(crate::dates::ISO).to_string(),
            self.id.clone(),
            cfg.kinds[self.kind].id.clone(),
            self.hours.canonical(),
            self.by.clone(),
            self.note.clone(),
        ]
    }
}

#[derive(Debug, Default)]
pub struct ActivityLog {
    pub file: String,
    pub activities: Vec<Activity>,
}

impl ActivityLog {
    /// Reads the log; a missing file is an empty log. Problems come back as diagnostics beside what could be read.
    pub fn read(cfg: &ActivitiesConfig) -> Result<(ActivityLog, Vec<Diagnostic>)> {
        let mut activities = Vec::new();
        let diags = csvlog::read(&cfg.path, &FORMAT, |l, diags| {
            if let Some(a) = activity(l, cfg, diags) {
                activities.push(a);
            }
        })?;
        Ok((
            ActivityLog {
                file: cfg.path.display().to_string(),
                activities,
            },
            diags,
        ))
    }
}

/// Reads one line; `None` (with diagnostics) when it cannot be used.
fn activity(l: &Line, cfg: &ActivitiesConfig, diags: &mut Vec<Diagnostic>) -> Option<Activity> {
    let f = &l.fields;
    let before = diags.len();
    let at = DateTime::parse_from_rfc3339(f[0].trim()).ok();
    if at.is_none() {
        diags.push(
            l.error(
                0,
                "bad-timestamp",
                format!("`{}` is not an RFC 3339 time", f[0]),
            )
            .hint("write it as `2026-11-27T09:30:00+01:00`"),
        );
    }
    let date = NaiveDate::parse_from_str(f[1].trim(), crate::dates::ISO).ok();
    if date.is_none() {
        diags.push(
            l.error(1, "bad-date", format!("`{}` is not an ISO date", f[1]))
                .hint("the activity log's dates are written `2026-11-27`"),
        );
    }
    let id = f[2].trim();
    if id.is_empty() {
        diags.push(
            l.error(2, "missing-id", "this activity names no prospect")
                .hint("write the prospect's id, such as `P-0012`"),
        );
    }
    let kind = cfg.find_kind(f[3].trim());
    if kind.is_none() {
        diags.push(
            l.error(3, "unknown-kind", cfg.unknown_kind(f[3].trim()))
                .hint("declare it as an [[activities.kind]] in the pipeline, or correct the line"),
        );
    }
    let hours = match hours(&f[4]) {
        Ok(h) => Some(h),
        Err(e) => {
            diags.push(l.error(4, "bad-hours", e));
            None
        }
    };
    if diags.len() > before {
        return None;
    }
    Some(Activity {
        at: at?,
        date: date?,
        id: id.to_string(),
        kind: kind?,
        hours: hours?,
        by: f[5].trim().to_string(),
        note: f[6].clone(),
        line: l.line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::Pipeline;
    use std::path::Path;

    const PIPELINE: &str = r#"
[pipeline]
[register]
path = "r.csv"
[activities]
path = "a.csv"
[[activities.kind]]
id = "appel"
label = "Appel"
[[stage]]
id = "ouvert"
phase = "prospect"
[[stage]]
id = "gagne"
phase = "prospect"
outcome = "won"
"#;

    #[test]
    fn reads_good_lines_and_reports_bad_ones() {
        let dir = tempfile::tempdir().unwrap();
        let p = Pipeline::from_str(PIPELINE, &dir.path().join("p.toml")).unwrap();
        let cfg = p.activities.as_ref().unwrap();
        std::fs::write(
            &cfg.path,
            "at,date,id,kind,hours,by,note\n\
             2026-11-27T10:00:00.000+01:00,2026-11-20,P-1,appel,1h20,Karim,\"a, b\"\n\
             2026-11-27T10:00:00.000+01:00,2026-11-21,P-1,visite,0,Karim,\n\
             2026-11-27T10:00:00.000+01:00,2026-11-21,P-1,Appel,1,Karim",
        )
        .unwrap();
        let (log, diags) = ActivityLog::read(cfg).unwrap();
        assert_eq!(log.activities.len(), 1);
        let a = &log.activities[0];
        assert_eq!(a.hours, Hours::parse("80min").unwrap());
        assert_eq!(a.note, "a, b");
        assert_eq!(a.record(cfg)[4], "1h20");
        let codes: Vec<(&str, Option<u64>, Option<u64>)> =
            diags.iter().map(|d| (d.code, d.line, d.column)).collect();
        assert_eq!(
            codes,
            [
                ("unknown-kind", Some(3), Some(46)),
                ("bad-hours", Some(3), Some(53)),
                ("row-width", Some(4), Some(1)),
                ("incomplete-entry", Some(4), Some(1)),
            ]
        );
        assert!(Path::new(&log.file).ends_with("a.csv"));
    }
}
