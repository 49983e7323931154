//! `pipe undo`: revert the last change recorded in the journal by recording its inverse.

use crate::cli::Global;
use crate::context::{self, Context};
use crate::error::{Exit, refused};
use crate::field::Field;
use crate::journal::{Journal, Kind, format_at};
use crate::prospect;
use crate::workset::{EntryBase, Workset};
use anyhow::Result;
use std::collections::HashSet;

/// Revert the last change (every entry one command recorded) by recording its inverse.
///
/// Repeated, it walks back through earlier changes. It refuses when the
/// register no longer holds what the change left (edited since).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Who is undoing.
    #[arg(long, value_name = "NAME")]
    by: Option<String>,
    /// Show what would be reverted and write nothing.
    #[arg(long, short = 'n')]
    dry_run: bool,
}

pub fn run(g: &Global, a: Args) -> Result<Exit> {
    let ctx = Context::load(g)?;
    let p = &ctx.pipeline;
    // Hold the lock from reading the journal to writing the inverse.
    let lock = crate::store::lock(&p.register.path)?;
    let (target, journal) = Journal::undo_target(&p.register.journal, p)?;
    if let Some(d) = journal.diags.first() {
        return Err(crate::error::invalid(format!(
            "{}: {}\n  hint: fix the journal before undoing (`pipe check` lists every problem)",
            d.location(),
            d.message
        )));
    }
    let Some(entries) = target else {
        return Err(refused(format!(
            "there is nothing to undo in {}",
            journal.file
        )));
    };
    let entries = &entries[..];
    let ids: HashSet<String> = entries.iter().map(|e| e.id.clone()).collect();
    let mut ws = Workset::load_lean_locked(p, lock, |id, _| ids.contains(id))?;
    let mut base = EntryBase::new(&ctx, ctx.today, context::who(a.by.as_deref()))?;
    base.note = format!("undoes the change recorded at {}", format_at(entries[0].at));
    // Changes already taken back, and the undos' own entries, are not when a
    // stage was entered: after a move, an undo, a move and an undo, the stage
    // dates back to its first entry.
    let (events, _) =
        Journal::effective_stage_events_of(&p.register.journal, p, |id| ids.contains(id))?;
    let mut said = Vec::new();
    for e in entries.iter().rev() {
        let i = ws.row_index(&e.id).ok_or_else(|| {
            refused(format!(
                "cannot undo: `{}` is no longer in the register",
                e.id
            ))
        })?;
        let col = ws.schema.find(&e.field).ok_or_else(|| {
            refused(format!(
                "cannot undo: the register has no `{}` column any more",
                e.field
            ))
        })?;
        let now = prospect::cell_canonical(ws.schema.field_of(col), ws.rows[i].get(col), p);
        let expected = prospect::cell_canonical(ws.schema.field_of(col), &e.to, p);
        let same = prospect::same_value(ws.schema.field_of(col), &now, &expected, p);
        if !same {
            return Err(refused(format!(
                "cannot undo: `{}`'s {} is now `{}`, not `{}` as the change left it (journal line {}); it was edited since\n  hint: change it back by hand with `pipe move` or `pipe set`",
                e.id, e.field, now, e.to, e.line
            )));
        }
        if e.kind == Kind::Add {
            ws.rows[i].deleted = true;
            ws.entries
                .push(base.make(&e.id, Kind::Undo, "stage", &e.to, ""));
            said.push(format!("removed {} (added on {})", e.id, e.date));
            continue;
        }
        if e.is_stage() {
            let Some(back) = p.find_stage(&e.from) else {
                return Err(refused(format!(
                    "cannot undo journal line {}: it records no stage to go back to",
                    e.line
                )));
            };
            ws.rows[i].set(col, p.stages[back].label.clone());
            // The stage's date goes back to when the earlier stage was entered.
            let earlier = events
                .get(e.id.as_str())
                .and_then(|mut ev| ev.rfind(|x| x.line < e.line))
                .map(|x| x.date);
            let since_journaled = entries
                .iter()
                .any(|x| x.id == e.id && x.field == Field::StageSince.key());
            if let Some(d) = earlier.filter(|_| !since_journaled)
                && let Some((c, text)) = ws.ctx_date_cell(Field::StageSince, d)
            {
                ws.rows[i].set(c, text);
            }
            ws.entries.push(base.make(
                &e.id,
                Kind::Undo,
                "stage",
                &p.stages[p.find_stage(&e.to).unwrap_or(back)].id,
                &p.stages[back].id,
            ));
            said.push(format!("moved {} back to {}", e.id, p.stages[back].label));
        } else {
            let text = ws.cell_text(col, &e.from);
            ws.rows[i].set(col, text);
            ws.entries
                .push(base.make(&e.id, Kind::Undo, &e.field, &e.to, &e.from));
            said.push(format!("set {}'s {} back to `{}`", e.id, e.field, e.from));
        }
    }
    if a.dry_run {
        for s in &said {
            println!("would have {s}");
        }
        return Ok(Exit::Ok);
    }
    ws.commit()?;
    for s in &said {
        eprintln!("{s}");
    }
    eprintln!(
        "undid the change recorded at {} (journal line {})",
        format_at(entries[0].at),
        entries[0].line
    );
    Ok(Exit::Ok)
}
