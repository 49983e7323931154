//! Settings resolved once before a command runs: the loaded pipeline, today's
//! date, the recording time, and whether to colour output.

use crate::cli::{ColorChoice, Global};
use crate::diag;
use crate::error::{invalid, usage};
use crate::pipeline::Pipeline;
use anyhow::Result;
use chrono::{DateTime, FixedOffset, Local, NaiveDate};

pub struct Context {
    pub pipeline: Pipeline,
    /// The date every date-dependent computation uses (`--today`).
    pub today: NaiveDate,
    /// When changes are recorded (`PIPE_NOW` fixes it for reproducible journals).
    pub now: DateTime<FixedOffset>,
}

impl Context {
    pub fn load(g: &Global) -> Result<Context> {
        let pipeline = Pipeline::load(&g.config).map_err(|d| {
            let head = if d.len() > 1 {
                format!("{} has {} problems:\n", g.config.display(), d.len())
            } else {
                String::new()
            };
            invalid(format!("{head}{}", diag::render(&d)))
        })?;
        let today = resolve_today(g, &pipeline)?;
        Ok(Context {
            pipeline,
            today,
            now: now()?,
        })
    }

    /// Parses a date given on the command line: ISO, or one of the register's formats.
    pub fn parse_date(&self, what: &str, s: &str) -> Result<NaiveDate> {
        parse_date(&self.pipeline, what, s)
    }
}

pub fn parse_date(p: &Pipeline, what: &str, s: &str) -> Result<NaiveDate> {
    p.register.date_formats.parse_date(s).ok_or_else(|| {
        usage(format!(
            "{what} `{s}` is not a date\n  hint: write it as {}",
            p.register.date_formats.describe()
        ))
    })
}

fn resolve_today(g: &Global, p: &Pipeline) -> Result<NaiveDate> {
    match &g.today {
        Some(s) => parse_date(p, "--today", s),
        None => Ok(Local::now().date_naive()),
    }
}

pub fn now() -> Result<DateTime<FixedOffset>> {
    match std::env::var("PIPE_NOW") {
        Ok(s) if !s.is_empty() => DateTime::parse_from_rfc3339(&s).map_err(|_| {
            usage(format!(
                "PIPE_NOW `{s}` is not an RFC 3339 time, such as `2026-11-27T09:30:00+01:00`"
            ))
        }),
        _ => Ok(Local::now().fixed_offset()),
    }
}

/// Whether to colour a stream: `--color`, then `NO_COLOR`, then whether it is a terminal.
pub fn color(choice: ColorChoice, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && is_terminal
        }
    }
}

/// Who made a change: `--by`, else `PIPE_USER`, else the login name.
pub fn who(by: Option<&str>) -> String {
    let given = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    given(by.map(str::to_string))
        .or_else(|| given(std::env::var("PIPE_USER").ok()))
        .or_else(|| given(std::env::var("USER").ok()))
        .or_else(|| given(std::env::var("USERNAME").ok()))
        .unwrap_or_else(|| "unknown".into())
}
