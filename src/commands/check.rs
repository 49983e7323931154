//! `pipe check`: validate the pipeline, the register and the journal, and
//! that the journal agrees with the register. Prints every problem found.

use crate::cli::Global;
use crate::diag::{Diagnostic, Severity};
use crate::error::Exit;
use crate::field::Field;
use crate::ids::Ids;
use crate::journal::Journal;
use crate::pipeline::Pipeline;
use crate::prospect::{self, Prospect, Styles};
use crate::register::Reader;
use anyhow::Result;
use std::io::Write;

/// A stage number in 16 bits: no stage (unreadable, or removed in the journal).
const NO_STAGE: u16 = u16::MAX;
/// No stage entry in the journal.
const NO_ENTRY: u16 = u16::MAX - 1;

fn stage_number(s: Option<usize>) -> u16 {
    s.map_or(NO_STAGE, |s| {
        u16::try_from(s)
            .ok()
            .filter(|&s| s < NO_ENTRY)
            .expect("fewer stages")
    })
}

/// Check the pipeline, the register and the journal; list every problem.
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
            // The message starts with where the problem is: `file:`, `file:line:` or `file:line:column:`.
            let mut d = Diagnostic::error(&file, "unreadable-register", msg.as_str());
            if let Some(mut rest) = msg.strip_prefix(&format!("{file}:")) {
                let mut at = Vec::new();
                while at.len() < 2
                    && let Some((n, r)) = rest.split_once(':')
                    && let Ok(n) = n.parse::<u64>()
                {
                    at.push(n);
                    rest = r;
                }
                d.line = at.first().copied();
                d.column = at.get(1).copied();
                d.message = rest.trim_start().to_string();
            }
            diags.push(d);
            return Ok((diags, format!("{file} cannot be read")));
        }
    };
    let mut styles = Styles::default();
    // Per id (numbered by `ids`): the line it is first seen on in the register
    // (0: not there), and the last stage the journal records for it.
    let mut ids = Ids::default();
    let mut first_line: Vec<u64> = Vec::new();
    // Per row: its id, its stage (NO_STAGE when it has none) and its line.
    let mut rows: Vec<(u32, u16, u64)> = Vec::new();
    let number = |ids: &mut Ids, first_line: &mut Vec<u64>, id: &str| {
        let (n, new) = ids.insert(id);
        if new {
            first_line.push(0);
        }
        n
    };
    let id_col = reader.schema.col(Field::Id).expect("id column");
    let mut x = Prospect::empty();
    let mut count = 0usize;
    while let Some(row) = reader.next_row()? {
        count += 1;
        // The id first: a row that cannot be read further is still that prospect's row.
        let id_cell = row.cell(id_col).unwrap_or_default();
        let id = id_cell.trim();
        let n = number(&mut ids, &mut first_line, id);
        if !id.is_empty() {
            let first = first_line[n as usize];
            if first != 0 {
                diags.push(
                    row.diag(
                        id_col,
                        "duplicate-id",
                        format!("the id `{id}` is already used on line {first}"),
                    )
                    .hint("give each prospect its own id"),
                );
            } else {
                first_line[n as usize] = row.line();
            }
        }
        if let Err(d) = row.check_width() {
            diags.push(d);
            continue;
        }
        let cells = match row.text_cells() {
            Ok(c) => c,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let stage = match x.read(|c| cells.get(c), row.schema, p, &mut styles) {
            Ok(()) => {
                let missing = prospect::missing_for(x.stage, &x, p);
                for f in missing {
                    let col = row.schema.col(f);
                    let d = match col {
                        Some(c) => row.diag(c, "missing-field", format!("`{id}` is in {} but its {} is empty", p.stages[x.stage].label, f.key())),
                        None => Diagnostic::error(row.file, "missing-field", format!("`{id}` is in {} which requires {}, but the register has no `{}` column", p.stages[x.stage].label, f.key(), p.register.header(f))).at_line(row.line()),
                    };
                    diags.push(
                        Diagnostic {
                            severity: Severity::Warning,
                            ..d
                        }
                        .hint(format!("fill it, with `pipe set {id} {}=…`", f.key())),
                    );
                }
                Some(x.stage)
            }
            Err(errors) => {
                for e in errors {
                    let mut d = row.diag(e.col, e.code, e.message);
                    if let Some(h) = e.hint {
                        d = d.hint(h);
                    }
                    diags.push(d);
                }
                row.schema
                    .col(Field::Stage)
                    .and_then(|c| p.find_stage(cells.get(c)))
            }
        };
        rows.push((n, stage_number(stage), row.line()));
    }
    // The last stage entry of each prospect, in journal order (not by date):
    // NO_ENTRY when there is none, NO_STAGE when it removed the prospect.
    let mut last: Vec<(u16, u64)> = vec![(NO_ENTRY, 0); ids.len()];
    let journal = Journal::scan(&p.register.journal, p, |e| {
        if !e.is_stage() {
            return;
        }
        let stage = if e.to.trim().is_empty() {
            None
        } else {
            match e.to_stage {
                Some(s) => Some(s),
                None => return,
            }
        };
        let n = number(&mut ids, &mut first_line, e.id) as usize;
        if n == last.len() {
            last.push((NO_ENTRY, 0));
        }
        last[n] = (stage_number(stage), e.line);
    })?;
    diags.extend(journal.diags);
    let file = reader.file.clone();
    let stage_of = |s: u16| (s != NO_STAGE).then_some(s as usize);
    for &(n, stage, line) in &rows {
        let (Some(stage), Some(&(ev_stage, ev_line))) = (stage_of(stage), last.get(n as usize))
        else {
            continue;
        };
        if ev_stage == NO_ENTRY {
            continue;
        }
        if stage_of(ev_stage) != Some(stage) {
            let recorded = stage_of(ev_stage).map_or("removed".to_string(), |s| {
                format!("in {}", p.stages[s].label)
            });
            let id = ids.get(n);
            diags.push(
                Diagnostic::error(&file, "journal-mismatch", format!("`{id}` is in {} here, but the journal's last record ({}:{}) has it {recorded}", p.stages[stage].label, journal.file, ev_line))
                    .at_line(line)
                    .hint("the register was edited outside `pipe` (or a `pipe` command was interrupted); run `pipe sync` to record the change in the journal"),
            );
        }
    }
    for (n, &(ev_stage, ev_line)) in last.iter().enumerate() {
        if ev_stage != NO_ENTRY && ev_stage != NO_STAGE && first_line[n] == 0 {
            let id = ids.get(n as u32);
            diags.push(
                Diagnostic::warning(&journal.file, "missing-prospect", format!("`{id}` is in the journal but not in the register"))
                    .at_line(ev_line)
                    .hint("if the row was deleted on purpose, run `pipe sync` to record it; otherwise restore it"),
            );
        }
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
        "{}: {file}: {count} prospect{}; {}: {} entr{}",
        p.name,
        plural(count),
        journal.file,
        journal.entries,
        if journal.entries == 1 { "y" } else { "ies" }
    );
    Ok((diags, summary))
}
