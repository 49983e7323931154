//! `pipe check`: validate the pipeline, the register, the journal and the
//! activity log, and that the journal agrees with the register. Prints every
//! problem found.

use crate::activity::ActivityLog;
use crate::cli::Global;
use crate::diag::{Diagnostic, Severity};
use crate::error::Exit;
use crate::pipeline::Pipeline;
use crate::validation;
use anyhow::Result;
use std::io::Write;

/// Check the pipeline, the register, the journal and the activity log; list every problem.
///
/// Exits 0 when there is no error (warnings do not count), 1 otherwise.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Format {
    Text,
    Json,
}

pub fn run(g: &Global, a: Args) -> Result<Exit> {
    let (diags, summary) = match Pipeline::load(&g.config) {
        Err(d) => (d, format!("{} is invalid", g.config.display())),
        Ok(p) => check(&p)?,
    };
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags.len() - errors;
    let mut out = std::io::stdout().lock();
    match a.format {
        Format::Text => {
            for d in &diags {
                writeln!(out, "{d}")?;
            }
        }
        Format::Json => {
            let v = serde_json::json!({ "ok": errors == 0, "errors": errors, "warnings": warnings, "diagnostics": diags });
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
    }
    eprintln!(
        "{summary}: {errors} error{}, {warnings} warning{}",
        plural(errors),
        plural(warnings)
    );
    Ok(if errors == 0 {
        Exit::Ok
    } else {
        Exit::Findings
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Everything wrong with the register, the journal and the activity log, in
/// file order. Streams the register and the journal: what it keeps is the
/// problems found and a few bytes a prospect.
pub fn check(p: &Pipeline) -> Result<(Vec<Diagnostic>, String)> {
    // The register's cache is checked on another thread while the journal is read.
    let mut early = crate::summary::Early::start_rows(p);
    let (mut index, scan) = validation::Index::scan(p, early.hold())?;
    let mut diags = scan.diags;
    let (file, rows, other) =
        match validation::scan_register(p, &mut index, early, |r| diags.append(&mut r.diags))? {
            Ok(found) => found,
            Err(d) => {
                let summary = format!("{} cannot be read", d.file);
                return Ok((vec![d], summary));
            }
        };
    diags.extend(other);
    let mut activities = String::new();
    if let Some(cfg) = &p.activities {
        let (log, adiags) = ActivityLog::read(cfg)?;
        diags.extend(adiags);
        for a in &log.activities {
            if !index.in_register(&a.id) && !index.in_journal(&a.id) {
                diags.push(
                    Diagnostic::warning(&log.file, "unknown-prospect", format!("`{}` is in the activity log but neither in the register nor in the journal", a.id))
                        .at_line(a.line)
                        .hint("correct the id on that line; `pipe log` checks ids, so the line was written by hand"),
                );
            }
        }
        let n = log.activities.len();
        activities = format!(
            "; {}: {n} activit{}",
            log.file,
            if n == 1 { "y" } else { "ies" }
        );
    }
    diags.sort_by(|a, b| {
        a.file
            .cmp(&b.file)
            .then(a.line.cmp(&b.line))
            .then(a.column.cmp(&b.column))
    });
    let entries = scan.entries;
    let summary = format!(
        "{}: {file}: {rows} prospect{}; {}: {entries} entr{}{activities}",
        p.name,
        plural(rows),
        index.journal_file,
        if entries == 1 { "y" } else { "ies" }
    );
    Ok((diags, summary))
}
