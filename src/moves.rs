//! The rules of a change: moving a prospect to a stage, or setting its fields.
//!
//! Works on a [`Workset`] in memory; nothing here touches the disk. Each
//! function either applies the whole change (cells and journal entries) or
//! returns the refusal, in words for the person at the terminal.

use crate::field::Field;
use crate::journal::Kind;
use crate::pipeline::Pipeline;
use crate::prospect::{self, describe_fields};
use crate::register::Schema;
use crate::text::or_list;
use crate::workset::{EntryBase, RowEdit, RowsApart, Workset};
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
    schema: &Schema,
    p: &Pipeline,
    sets: &[(String, String)],
) -> Result<Vec<(usize, String)>, String> {
    let mut out = Vec::new();
    for (name, value) in sets {
        let Some(col) = schema.find(name) else {
            let mut known: Vec<&str> = Field::keys()
                .filter(|k| schema.col(Field::from_key(k).unwrap()).is_some())
                .collect();
            known.extend(schema.headers.iter().map(String::as_str));
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
        let field = schema.field_of(col);
        match field {
            Some(Field::Id) => return Err("a prospect's id cannot be changed".into()),
            Some(Field::Stage) => {
                return Err(
                    "change the stage with `pipe move`, which checks the pipeline's rules".into(),
                );
            }
            _ => {}
        }
        let canonical = prospect::canonical(field, value, p)?;
        out.push((col, canonical));
    }
    Ok(out)
}

/// The refusal of a move of an id the register does not have.
fn unknown_id(ws: &Workset, id: &str) -> String {
    let near = ws.near_ids(id);
    if near.is_empty() {
        format!("no prospect has the id `{id}`")
    } else {
        format!(
            "no prospect has the id `{id}`; did you mean {}?",
            or_list(&near)
        )
    }
}

/// What became of a requested move: done, nothing to do, or refused.
pub type Outcome = Result<Option<Moved>, String>;

/// How many moves a batch has before its rows are changed in two parts at once.
const APART_FROM: usize = 1024;

/// Applies the moves in order, each left undone when refused (its row and
/// the journal's entries as they were before it). A large batch, on two
/// cores, changes its rows in two parts at once (each part's moves in order
/// on a thread of its own, a prospect's moves in one part): a move reads
/// and changes its own row only.
pub fn apply_moves(
    ws: &mut Workset,
    today: NaiveDate,
    requests: &[MoveRequest],
    base: &EntryBase,
) -> Vec<Outcome> {
    let rows: Vec<Option<usize>> = requests.iter().map(|r| ws.row_index(&r.id)).collect();
    if requests.len() >= APART_FROM
        && crate::par::worth_it(u64::MAX)
        && let Some(outcomes) = apply_apart(ws, today, requests, &rows, base)
    {
        return outcomes;
    }
    requests
        .iter()
        .zip(&rows)
        .map(|(req, row)| match *row {
            Some(i) => move_prospect(&mut ws.edit(i), today, req, base),
            None => Err(unknown_id(ws, &req.id)),
        })
        .collect()
}

/// [`apply_moves`] in two parts of the rows (in register order, each with
/// about half the moves), one on each thread: the same outcomes, cells and
/// journal entries, in the same order, as one after another. `None` when
/// the workset cannot be changed so ([`Workset::apart`]), and nothing was.
fn apply_apart(
    ws: &mut Workset,
    today: NaiveDate,
    requests: &[MoveRequest],
    rows: &[Option<usize>],
    base: &EntryBase,
) -> Option<Vec<Outcome>> {
    let mut moves = vec![0usize; ws.rows.len()];
    for &i in rows.iter().flatten() {
        moves[i] += 1;
    }
    let half = moves.iter().sum::<usize>() / 2;
    let mut part_of = vec![None; moves.len()];
    let mut before = 0;
    for (i, &n) in moves.iter().enumerate() {
        if n > 0 {
            part_of[i] = Some(usize::from(before >= half));
            before += n;
        }
    }
    let [mut first, mut second] = ws.apart(|i| part_of[i])?;
    // Each part's moves, in order: the request, its outcome, its entries.
    let work = |part: &mut RowsApart, k: usize| {
        let mut done = Vec::new();
        for (n, (req, row)) in requests.iter().zip(rows).enumerate() {
            if let Some(i) = *row
                && part_of[i] == Some(k)
            {
                let before = part.entries.len();
                let outcome = move_prospect(&mut part.edit(i), today, req, base);
                done.push((n, outcome, part.entries.len() - before));
            }
        }
        done
    };
    let (second_done, first_done) = crate::par::beside(
        true,
        "pipe-moves",
        || work(&mut second, 1),
        || work(&mut first, 0),
    );
    let mut entries = [first, second].map(|part| part.entries.into_iter());
    let mut outcomes: Vec<Option<Outcome>> = requests.iter().map(|_| None).collect();
    let mut made = vec![0; requests.len()];
    for (n, outcome, entries) in first_done.into_iter().chain(second_done) {
        outcomes[n] = Some(outcome);
        made[n] = entries;
    }
    // The entries in the order of the moves that made them.
    for (n, row) in rows.iter().enumerate() {
        match row.and_then(|i| part_of[i]) {
            Some(k) => ws.entries.extend(entries[k].by_ref().take(made[n])),
            None => outcomes[n] = Some(Err(unknown_id(ws, &requests[n].id))),
        }
    }
    Some(
        outcomes
            .into_iter()
            .map(|o| o.expect("every move's outcome"))
            .collect(),
    )
}

/// Moves the prospect of row `e`; on refusal the row has not changed.
pub fn move_prospect(
    e: &mut RowEdit,
    today: NaiveDate,
    req: &MoveRequest,
    base: &EntryBase,
) -> Result<Option<Moved>, String> {
    e.attempt(|e| move_row(e, today, req, base))
}

fn move_row(
    e: &mut RowEdit,
    today: NaiveDate,
    req: &MoveRequest,
    base: &EntryBase,
) -> Result<Option<Moved>, String> {
    let (p, schema) = (e.p(), e.schema());
    let current = e.prospect().map_err(|errors| {
        format!(
            "`{}` cannot be moved until its row is fixed:\n{}",
            req.id,
            e.row_problems(&errors)
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
    let sets = resolve_sets(schema, p, &req.sets)?;
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
        let stage_col = schema.col(Field::Stage).expect("schema has a stage column");
        e.set_cell(stage_col, to_stage.label.clone());
        e.entries
            .push(base.make(&id, Kind::Move, "stage", &from_stage.id, &to_stage.id));
        let since = crate::dates::iso(date);
        if let Some(col) = schema.col(Field::StageSince) {
            let history = e
                .history()
                .expect("moves need the history that Workset::load_lean searches for");
            if history.contains(&id) {
                // Undo finds the replaced date in the journal's earlier stage entry.
                let text = e.cell_text(col, &since);
                e.set_cell(col, text);
            } else {
                // A prospect with no stage history (typed into the spreadsheet):
                // the date it replaces is recorded nowhere else, so journal it.
                let since_base = EntryBase {
                    reason: String::new(),
                    ..base.clone()
                };
                e.set_field(col, &since, &since_base);
            }
        }
    } else if sets.is_empty() {
        return Ok(None);
    }
    // A reason given for a move to a lost stage is the lost reason, unless set explicitly.
    let mut sets = sets;
    if to_stage.outcome == crate::pipeline::Outcome::Lost
        && let Some(col) = schema.col(Field::LostReason)
        && !req.reason.trim().is_empty()
        && !sets.iter().any(|(c, _)| *c == col)
        && e.get(col).trim().is_empty()
    {
        sets.push((col, req.reason.trim().to_string()));
    }
    if let Some(col) = schema.col(Field::LostReason)
        && !to_stage.lost_reasons.is_empty()
    {
        let value = sets
            .iter()
            .find(|(c, _)| *c == col)
            .map_or_else(|| e.get(col).trim().to_string(), |(_, v)| v.clone());
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
        let before = e.entries.len();
        e.set_field(*col, value, &entry_base);
        if e.entries.len() > before {
            moved.sets.push(format!(
                "{} = {}",
                schema.headers[*col],
                if value.is_empty() {
                    "(empty)".to_string()
                } else {
                    e.cell_text(*col, value)
                }
            ));
        }
    }
    let after = e.prospect().map_err(|errors| e.row_problems(&errors))?;
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
    ws.edit(i).attempt(|e| {
        let (p, schema) = (e.p(), e.schema());
        let resolved = resolve_sets(schema, p, sets)?;
        let mut done = Vec::new();
        for (col, value) in &resolved {
            let k = e.entries.len();
            e.set_field(*col, value, base);
            if e.entries.len() > k {
                done.push(format!(
                    "{} = {}",
                    schema.headers[*col],
                    if value.is_empty() {
                        "(empty)".to_string()
                    } else {
                        e.cell_text(*col, value)
                    }
                ));
            }
        }
        let after = e.prospect().map_err(|errors| {
            format!(
                "`{id}` cannot be changed until its row is fixed:\n{}",
                e.row_problems(&errors)
            )
        })?;
        let missing = prospect::missing_for(after.stage, &after, p);
        let cleared: Vec<_> = missing
            .iter()
            .filter(|f| resolved.iter().any(|(c, _)| Some(*c) == schema.col(**f)))
            .copied()
            .collect();
        if !cleared.is_empty() {
            return Err(format!(
                "{} requires {}; `{id}` cannot be left without it",
                p.stages[after.stage].label,
                describe_fields(&cleared)
            ));
        }
        Ok(done)
    })
}
