//! `pipe check`: validate the pipeline, the register, the journal and the
//! activity log, and that the journal agrees with the register. Prints every
//! problem found.

use crate::activity::ActivityLog;
use crate::cli::Global;
use crate::diag::{Diagnostic, Severity};
use crate::error::Exit;
use crate::field::Field;
use crate::journal::Journal;
use crate::pipeline::Pipeline;
use crate::prospect::{self, Prospect, Styles};
use crate::register::Reader;
use anyhow::Result;
use std::collections::HashMap;
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

/// Everything wrong with the register and the journal, in file order.
pub fn check(p: &Pipeline) -> Result<(Vec<Diagnostic>, String)> {
    let mut diags = Vec::new();
    let mut reader = match Reader::open(p) {
        Ok(r) => r,
        Err(e) => {
            let file = p.register.path.display().to_string();
            let msg = format!("{e:#}");
            let msg = msg
                .strip_prefix(&format!("{file}: "))
                .unwrap_or(&msg)
                .to_string();
            diags.push(Diagnostic::error(&file, "unreadable-register", msg));
            return Ok((diags, format!("{file} cannot be read")));
        }
    };
    let mut styles = Styles::default();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut stages: Vec<(String, Option<usize>, u64)> = Vec::new();
    let mut rows = 0usize;
    let id_col = reader.schema.col(Field::Id).expect("id column");
    while let Some(row) = reader.next_row()? {
        rows += 1;
        if let Err(d) = row.check_width() {
            diags.push(d);
            continue;
        }
        let cells = match row.cells() {
            Ok(c) => c,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let id = cells[id_col].trim().to_string();
        if !id.is_empty() {
            if let Some(first) = seen.get(&id) {
                diags.push(
                    row.diag(
                        id_col,
                        "duplicate-id",
                        format!("the id `{id}` is already used on line {first}"),
                    )
                    .hint("give each prospect its own id"),
                );
            } else {
                seen.insert(id.clone(), row.line());
            }
        }
        match Prospect::parse(
            |c| cells.get(c).map_or("", String::as_str),
            row.schema,
            p,
            &mut styles,
        ) {
            Ok(pr) => {
                let missing = prospect::missing_for(pr.stage, &pr, p);
                for f in missing {
                    let col = row.schema.col(f);
                    let d = match col {
                        Some(c) => row.diag(c, "missing-field", format!("`{id}` is in {} but its {} is empty", p.stages[pr.stage].label, f.key())),
                        None => Diagnostic::error(row.file, "missing-field", format!("`{id}` is in {} which requires {}, but the register has no `{}` column", p.stages[pr.stage].label, f.key(), p.register.header(f))).at_line(row.line()),
                    };
                    diags.push(
                        Diagnostic {
                            severity: Severity::Warning,
                            ..d
                        }
                        .hint(format!("fill it, with `pipe set {id} {}=…`", f.key())),
                    );
                }
                stages.push((id, Some(pr.stage), row.line()));
            }
            Err(errors) => {
                for e in errors {
                    let mut d = row.diag(e.col, e.code, e.message);
                    if let Some(h) = e.hint {
                        d = d.hint(h);
                    }
                    diags.push(d);
                }
                let stage = row
                    .schema
                    .col(Field::Stage)
                    .and_then(|c| p.find_stage(&cells[c]));
                stages.push((id, stage, row.line()));
            }
        }
    }
    let (journal, jdiags) = Journal::read(&p.register.journal, p)?;
    diags.extend(jdiags);
    let last = journal.last_stages(p);
    let file = reader.file.clone();
    for (id, stage, line) in &stages {
        let (Some(stage), Some(ev)) = (stage, last.get(id.as_str())) else {
            continue;
        };
        if ev.stage != Some(*stage) {
            let recorded = ev.stage.map_or("removed".to_string(), |s| {
                format!("in {}", p.stages[s].label)
            });
            diags.push(
                Diagnostic::error(&file, "journal-mismatch", format!("`{id}` is in {} here, but the journal's last record ({}:{}) has it {recorded}", p.stages[*stage].label, journal.file, ev.line))
                    .at_line(*line)
                    .hint("the register was edited outside `pipe` (or a `pipe` command was interrupted); run `pipe sync` to record the change in the journal"),
            );
        }
    }
    for (id, ev) in &last {
        if ev.stage.is_some() && !seen.contains_key(*id) {
            diags.push(
                Diagnostic::warning(&journal.file, "missing-prospect", format!("`{id}` is in the journal but not in the register"))
                    .at_line(ev.line)
                    .hint("if the row was deleted on purpose, run `pipe sync` to record it; otherwise restore it"),
            );
        }
    }
    let mut activities = String::new();
    if let Some(cfg) = &p.activities {
        let (log, adiags) = ActivityLog::read(cfg)?;
        diags.extend(adiags);
        for a in &log.activities {
            if !seen.contains_key(&a.id) && !last.contains_key(a.id.as_str()) {
                diags.push(
                    Diagnostic::warning(&log.file, "unknown-prospect", format!("`{}` is in the activity log but neither in the register nor in the journal", a.id))
                        .at_line(a.line)
                        .hint("correct the id on that line; `pipe log` checks ids, so the line was written by hand"),
                );
            }
        }
        activities = format!(
            "; {}: {} activit{}",
            log.file,
            log.activities.len(),
            if log.activities.len() == 1 {
                "y"
            } else {
                "ies"
            }
        );
    }
    let backup = crate::store::backup_path(&p.register.path);
    if backup.exists() {
        diags.push(Diagnostic::warning(backup.display().to_string(), "interrupted-write", "a `pipe` command was interrupted: this is the register as it was before it").hint("run `pipe check` again after `pipe sync`; once the register is right, delete this file"));
    }
    diags.sort_by(|a, b| {
        a.file
            .cmp(&b.file)
            .then(a.line.cmp(&b.line))
            .then(a.column.cmp(&b.column))
    });
    let summary = format!(
        "{}: {file}: {rows} prospect{}; {}: {} entr{}{activities}",
        p.name,
        plural(rows),
        journal.file,
        journal.entries.len(),
        if journal.entries.len() == 1 {
            "y"
        } else {
            "ies"
        }
    );
    Ok((diags, summary))
}
