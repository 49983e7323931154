//! The rules of a change: moving a prospect to a stage, or setting its fields.
//!
//! Works on a [`Workset`] in memory; nothing here touches the disk. Each
//! function either applies the whole change (cells and journal entries) or
//! returns the refusal, in words for the person at the terminal.

use crate::field::Field;
use crate::journal::Kind;
use crate::prospect::{self, describe_fields};
use crate::text::or_list;
use crate::workset::{EntryBase, Workset};
use chrono::NaiveDate;

/// One requested move, from the command line or a batch line.
#[derive(Debug, Clone, Default)]
pub struct MoveRequest {
    pub id: String,
    pub stage: String,
    pub on: Option<NaiveDate>,
    pub reason: String,
    pub note: String,
    pub by: String,
    pub sets: Vec<(String, String)>,
    /// The line of a batch file it comes from (0 on the command line).
    pub line: u64,
}

/// What a move did, for the summary.
#[derive(Debug)]
pub struct Moved {
    pub id: String,
    pub name: String,
    pub from: String,
    pub to: String,
    pub date: NaiveDate,
    pub sets: Vec<String>,
}

impl Moved {
    /// `moved P-0012 (Acme) from Devis envoyé to Chaud on 27/11/2026; set …`, for the terminal.
    pub fn describe(&self, p: &crate::pipeline::Pipeline) -> String {
        let sets = if self.sets.is_empty() {
            String::new()
        } else {
            format!("; set {}", self.sets.join(", "))
        };
        format!(
            "moved {} ({}) from {} to {} on {}{sets}",
            self.id,
            self.name,
            self.from,
            self.to,
            crate::render::date(p, self.date)
        )
    }
}

/// `N journal entry` / `N journal entries`.
pub fn entries(n: usize) -> String {
    format!("{n} journal entr{}", if n == 1 { "y" } else { "ies" })
}

/// Resolves `FIELD=VALUE` pairs to columns and canonical values, or says what is wrong.
pub fn resolve_sets(
    ws: &Workset,
    sets: &[(String, String)],
) -> Result<Vec<(usize, String)>, String> {
    let mut out = Vec::new();
    for (name, value) in sets {
        let Some(col) = ws.schema.find(name) else {
            let mut known: Vec<&str> = Field::keys()
                .filter(|k| ws.schema.col(Field::from_key(k).unwrap()).is_some())
                .collect();
            known.extend(ws.schema.headers.iter().map(String::as_str));
            let near = crate::text::suggest(name, known);
            let hint = if near.is_empty() {
                String::new()
            } else {
                format!("; did you mean {}?", or_list(&near))
            };
            return Err(format!(
                "the register has no field or column `{name}`{hint}"
            ));
        };
        let field = ws.schema.field_of(col);
        match field {
            Some(Field::Id) => return Err("a prospect's id cannot be changed".into()),
            Some(Field::Stage) => {
                return Err(
                    "change the stage with `pipe move`, which checks the pipeline's rules".into(),
                );
            }
            _ => {}
        }
        let canonical = prospect::canonical(field, value, ws.p)?;
        out.push((col, canonical));
    }
    Ok(out)
}

/// Moves one prospect; on refusal nothing in the workset has changed.
pub fn apply_move(
    ws: &mut Workset,
    today: NaiveDate,
    req: &MoveRequest,
    base: &EntryBase,
) -> Result<Option<Moved>, String> {
    let i = ws.row_index(&req.id).ok_or_else(|| {
        let near = ws.near_ids(&req.id);
        if near.is_empty() {
            format!("no prospect has the id `{}`", req.id)
        } else {
            format!(
                "no prospect has the id `{}`; did you mean {}?",
                req.id,
                or_list(&near)
            )
        }
    })?;
    ws.attempt(i, |ws| move_row(ws, i, today, req, base))
}

fn move_row(
    ws: &mut Workset,
    i: usize,
    today: NaiveDate,
    req: &MoveRequest,
    base: &EntryBase,
) -> Result<Option<Moved>, String> {
    let p = ws.p;
    let current = ws.prospect(i).map_err(|e| {
        format!(
            "`{}` cannot be moved until its row is fixed:\n{}",
            req.id,
            ws.row_problems(i, &e)
        )
    })?;
    let to = p
        .find_stage(&req.stage)
        .ok_or_else(|| p.unknown_stage(&req.stage))?;
    let date = req.on.unwrap_or(today);
    if date > today {
        return Err(format!("the move date {} is after today ({})", date, today));
    }
    if let Some(since) = current.stage_since
        && date < since
        && to != current.stage
    {
        return Err(format!(
            "`{}` entered {} on {since}; the move cannot be dated {date}, before that",
            req.id, p.stages[current.stage].label
        ));
    }
    let from_stage = &p.stages[current.stage];
    let to_stage = &p.stages[to];
    if to != current.stage && !from_stage.allows(to) {
        let allowed: Vec<&str> = from_stage
            .next
            .iter()
            .flatten()
            .map(|&j| p.stages[j].label.as_str())
            .collect();
        return Err(format!(
            "`{}` cannot go from {} to {}: the pipeline allows {} next",
            req.id,
            from_stage.label,
            to_stage.label,
            if allowed.is_empty() {
                "no stage".to_string()
            } else {
                or_list(&allowed)
            }
        ));
    }
    let sets = resolve_sets(ws, &req.sets)?;
    let mut base = EntryBase {
        at: base.at,
        date,
        by: base.by.clone(),
        reason: req.reason.clone(),
        note: req.note.clone(),
    };
    if req.by.trim() != "" {
        base.by = req.by.clone();
    }
    let id = current.id.clone();
    let mut moved = Moved {
        id: id.clone(),
        name: current.display_name().to_string(),
        from: from_stage.label.clone(),
        to: to_stage.label.clone(),
        date,
        sets: Vec::new(),
    };
    if to != current.stage {
        let stage_col = ws
            .schema
            .col(Field::Stage)
            .expect("schema has a stage column");
        ws.set_cell(i, stage_col, to_stage.label.clone());
        ws.entries
            .push(base.make(&id, Kind::Move, "stage", &from_stage.id, &to_stage.id));
        let since = crate::dates::iso(date);
        if let Some(col) = ws.schema.col(Field::StageSince) {
            let history = ws
                .history
                .as_ref()
                .expect("moves need the history that Workset::load_lean searches for");
            if history.contains(&id) {
                // Undo finds the replaced date in the journal's earlier stage entry.
                let text = ws.cell_text(col, &since);
                ws.set_cell(i, col, text);
            } else {
                // A prospect with no stage history (typed into the spreadsheet):
                // the date it replaces is recorded nowhere else, so journal it.
                let since_base = EntryBase {
                    reason: String::new(),
                    ..base.clone()
                };
                ws.set_field(i, col, &since, &since_base);
            }
        }
    } else if sets.is_empty() {
        return Ok(None);
    }
    // A reason given for a move to a lost stage is the lost reason, unless set explicitly.
    let mut sets = sets;
    if to_stage.outcome == crate::pipeline::Outcome::Lost
        && let Some(col) = ws.schema.col(Field::LostReason)
        && !req.reason.trim().is_empty()
        && !sets.iter().any(|(c, _)| *c == col)
        && ws.rows[i].get(col).trim().is_empty()
    {
        sets.push((col, req.reason.trim().to_string()));
    }
    if let Some(col) = ws.schema.col(Field::LostReason)
        && !to_stage.lost_reasons.is_empty()
    {
        let value = sets.iter().find(|(c, _)| *c == col).map_or_else(
            || ws.rows[i].get(col).trim().to_string(),
            |(_, v)| v.clone(),
        );
        if !value.is_empty() {
            match to_stage.lost_reason(&value) {
                Some(r) => {
                    sets.retain(|(c, _)| *c != col);
                    sets.push((col, r.to_string()));
                }
                None => {
                    return Err(format!(
                        "`{value}` is not a reason {} accepts; it accepts {}",
                        to_stage.label,
                        or_list(&to_stage.lost_reasons)
                    ));
                }
            }
        }
    }
    // The reason belongs to the move; the fields it sets share its note.
    let entry_base = EntryBase {
        reason: String::new(),
        ..base
    };
    for (col, value) in &sets {
        let before = ws.entries.len();
        ws.set_field(i, *col, value, &entry_base);
        if ws.entries.len() > before {
            moved.sets.push(format!(
                "{} = {}",
                ws.schema.headers[*col],
                if value.is_empty() {
                    "(empty)".to_string()
                } else {
                    ws.cell_text(*col, value)
                }
            ));
        }
    }
    let after = ws.prospect(i).map_err(|e| ws.row_problems(i, &e))?;
    let missing = prospect::missing_for(to, &after, p);
    if !missing.is_empty() {
        let flags: Vec<String> = missing
            .iter()
            .map(|f| format!("--set {}=…", f.key()))
            .collect();
        return Err(format!(
            "`{id}` cannot enter {} without {}, which the stage requires\n  hint: give {} with {}",
            to_stage.label,
            describe_fields(&missing),
            if missing.len() == 1 { "it" } else { "them" },
            flags.join(" ")
        ));
    }
    Ok(Some(moved))
}

/// Sets fields of one prospect, keeping its stage's requirements.
pub fn apply_set(
    ws: &mut Workset,
    id: &str,
    sets: &[(String, String)],
    base: &EntryBase,
) -> Result<Vec<String>, String> {
    let i = ws
        .row_index(id)
        .ok_or_else(|| format!("no prospect has the id `{id}`"))?;
    ws.attempt(i, |ws| {
        let resolved = resolve_sets(ws, sets)?;
        let mut done = Vec::new();
        for (col, value) in &resolved {
            let k = ws.entries.len();
            ws.set_field(i, *col, value, base);
            if ws.entries.len() > k {
                done.push(format!(
                    "{} = {}",
                    ws.schema.headers[*col],
                    if value.is_empty() {
                        "(empty)".to_string()
                    } else {
                        ws.cell_text(*col, value)
                    }
                ));
            }
        }
        let after = ws.prospect(i).map_err(|e| {
            format!(
                "`{id}` cannot be changed until its row is fixed:\n{}",
                ws.row_problems(i, &e)
            )
        })?;
        let missing = prospect::missing_for(after.stage, &after, ws.p);
        let cleared: Vec<_> = missing
            .iter()
            .filter(|f| resolved.iter().any(|(c, _)| Some(*c) == ws.schema.col(**f)))
            .copied()
            .collect();
        if !cleared.is_empty() {
            return Err(format!(
                "{} requires {}; `{id}` cannot be left without it",
                ws.p.stages[after.stage].label,
                describe_fields(&cleared)
            ));
        }
        Ok(done)
    })
}
