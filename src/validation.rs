//! What `pipe check` finds wrong in the register, row by row, and whether the
//! register agrees with its journal. `pipe check` prints it; `pipe alerts`
//! turns every row it rejects into an `invalid_row` alert, so both always
//! agree. Reads the register and the journal; the row rules are those of
//! [`Prospect::parse`] and [`prospect::missing_for`].

use crate::diag::{Diagnostic, Severity};
use crate::field::Field;
use crate::journal::Journal;
use crate::pipeline::Pipeline;
use crate::prospect::{self, Prospect, Styles};
use crate::register::{Reader, Row};
use anyhow::Result;
use std::collections::HashMap;

/// One register row as `pipe check` sees it.
#[derive(Debug)]
pub struct RowCheck {
    pub line: u64,
    /// The row's cells as written, as far as they can be decoded (for rows that cannot be read).
    pub id: String,
    pub owner: String,
    pub name: String,
    pub stage_text: String,
    /// The stage the row names, if it names one.
    pub stage: Option<usize>,
    /// The prospect, when every cell could be read.
    pub prospect: Option<Prospect>,
    /// Errors and warnings on this row, in the order `pipe check` finds them.
    pub diags: Vec<Diagnostic>,
}

impl RowCheck {
    /// What `pipe check` rejects: its errors (warnings do not count).
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diags.iter().filter(|d| d.severity == Severity::Error)
    }

    pub fn rejected(&self) -> bool {
        self.errors().next().is_some()
    }
}

/// The register checked row by row, with the journal read beside it.
#[derive(Debug)]
pub struct RegisterCheck {
    pub file: String,
    pub rows: Vec<RowCheck>,
    pub journal: Journal,
    /// Problems tied to no register row: the journal's own, prospects only the
    /// journal knows, and the leftovers of an interrupted write.
    pub other: Vec<Diagnostic>,
}

impl RegisterCheck {
    /// Every diagnostic, sorted by file, line and column.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut diags: Vec<Diagnostic> = self
            .rows
            .iter()
            .flat_map(|r| r.diags.iter().cloned())
            .chain(self.other.iter().cloned())
            .collect();
        diags.sort_by(|a, b| {
            a.file
                .cmp(&b.file)
                .then(a.line.cmp(&b.line))
                .then(a.column.cmp(&b.column))
        });
        diags
    }
}

/// Checks the register and the journal. `Ok(Err(d))`: the register cannot be read at all.
pub fn check_register(p: &Pipeline) -> Result<Result<RegisterCheck, Diagnostic>> {
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
            return Ok(Err(d));
        }
    };
    let mut styles = Styles::default();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut rows = Vec::new();
    while let Some(row) = reader.next_row()? {
        rows.push(check_row(&row, p, &mut styles, &mut seen));
    }
    let (journal, jdiags) = Journal::read(&p.register.journal, p)?;
    let mut other = jdiags;
    let last = journal.last_stages(p);
    let file = reader.file.clone();
    for r in rows.iter_mut() {
        let (Some(stage), Some(ev)) = (r.stage, last.get(r.id.as_str())) else {
            continue;
        };
        if !r.counted() {
            continue;
        }
        if ev.stage != Some(stage) {
            let recorded = ev.stage.map_or("removed".to_string(), |s| {
                format!("in {}", p.stages[s].label)
            });
            r.diags.push(
                Diagnostic::error(&file, "journal-mismatch", format!("`{}` is in {} here, but the journal's last record ({}:{}) has it {recorded}", r.id, p.stages[stage].label, journal.file, ev.line))
                    .at_line(r.line)
                    .hint("the register was edited outside `pipe` (or a `pipe` command was interrupted); run `pipe sync` to record the change in the journal"),
            );
        }
    }
    for (id, ev) in &last {
        if ev.stage.is_some() && !seen.contains_key(*id) {
            other.push(
                Diagnostic::warning(&journal.file, "missing-prospect", format!("`{id}` is in the journal but not in the register"))
                    .at_line(ev.line)
                    .hint("if the row was deleted on purpose, run `pipe sync` to record it; otherwise restore it"),
            );
        }
    }
    let backup = crate::store::backup_path(&p.register.path);
    if backup.exists() {
        other.push(Diagnostic::warning(backup.display().to_string(), "interrupted-write", "a `pipe` command was interrupted: this is the register as it was before it").hint("run `pipe check` again after `pipe sync`; once the register is right, delete this file"));
    }
    Ok(Ok(RegisterCheck {
        file,
        rows,
        journal,
        other,
    }))
}

impl RowCheck {
    /// Whether the row's cells could be read (its width and encoding are right),
    /// so that it takes part in the id and journal checks.
    fn counted(&self) -> bool {
        !self
            .diags
            .iter()
            .any(|d| d.code == "row-width" || d.code == "bad-encoding")
    }
}

/// Checks one row: its width, its encoding, its id (unique so far), every
/// cell, and the fields its stage requires.
fn check_row(
    row: &Row,
    p: &Pipeline,
    styles: &mut Styles,
    seen: &mut HashMap<String, u64>,
) -> RowCheck {
    let text = |f: Field| {
        row.schema
            .col(f)
            .and_then(|c| row.cell(c).ok())
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let mut r = RowCheck {
        line: row.line(),
        id: text(Field::Id),
        owner: text(Field::Owner),
        name: {
            let company = text(Field::Company);
            if company.is_empty() {
                text(Field::Name)
            } else {
                company
            }
        },
        stage_text: text(Field::Stage),
        stage: None,
        prospect: None,
        diags: Vec::new(),
    };
    r.stage = p.find_stage(&r.stage_text);
    // The id first: a row that cannot be read further is still that prospect's row.
    let id_col = row.schema.col(Field::Id).expect("id column");
    let id = r.id.clone();
    if !id.is_empty() {
        if let Some(first) = seen.get(&id) {
            r.diags.push(
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
    if let Err(d) = row.check_width() {
        r.diags.push(d);
        return r;
    }
    let cells = match row.cells() {
        Ok(c) => c,
        Err(d) => {
            r.diags.push(d);
            return r;
        }
    };
    match Prospect::parse(
        |c| cells.get(c).map_or("", String::as_str),
        row.schema,
        p,
        styles,
    ) {
        Ok(pr) => {
            for f in prospect::missing_for(pr.stage, &pr, p) {
                let d = match row.schema.col(f) {
                    Some(c) => row.diag(c, "missing-field", format!("`{id}` is in {} but its {} is empty", p.stages[pr.stage].label, f.key())),
                    None => Diagnostic::error(row.file, "missing-field", format!("`{id}` is in {} which requires {}, but the register has no `{}` column", p.stages[pr.stage].label, f.key(), p.register.header(f))).at_line(row.line()),
                };
                r.diags.push(
                    Diagnostic {
                        severity: Severity::Warning,
                        ..d
                    }
                    .hint(format!("fill it, with `pipe set {id} {}=…`", f.key())),
                );
            }
            r.stage = Some(pr.stage);
            r.prospect = Some(pr);
        }
        Err(errors) => {
            for e in errors {
                let mut d = row.diag(e.col, e.code, e.message);
                if let Some(h) = e.hint {
                    d = d.hint(h);
                }
                r.diags.push(d);
            }
        }
    }
    r
}
