//! `pipe sync`: record in the journal the stage changes made outside `pipe` (in a spreadsheet).

use crate::cli::Global;
use crate::context::Context;
use crate::error::{Exit, invalid};
use crate::field::Field;
use crate::journal::{Journal, Kind};
use crate::workset::{EntryBase, Workset};
use anyhow::Result;

/// Record in the journal the stage edits made by hand in the register.
///
/// For each prospect whose stage differs from the journal's last record, a
/// `sync` entry is appended (by `external edit`), dated by the register's
/// stage date when it has one. The register itself is not changed.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Show what would be recorded and write nothing.
    #[arg(long, short = 'n')]
    dry_run: bool,
}

pub fn run(g: &Global, a: Args) -> Result<Exit> {
    let ctx = Context::load(g)?;
    let p = &ctx.pipeline;
    // Hold the lock from reading the journal to appending to it.
    let lock = crate::store::lock(&p.register.path)?;
    let (last, journal) = Journal::last_stages_at(&p.register.journal, p)?;
    if let Some(d) = journal.diags.first() {
        return Err(invalid(format!(
            "{}: {}\n  hint: fix the journal first (`pipe check` lists every problem)",
            d.location(),
            d.message
        )));
    }
    // Only the rows whose stage the journal does not record are kept (those
    // whose stage names none too, which stop the command below), and the
    // rows that cannot be decoded, so that loading them says why.
    let mut ws = Workset::load_rows(p, lock, |id, row| {
        let Ok(cells) = row.text_cells() else {
            return true;
        };
        let Some(ev) = last.get(id) else {
            return false;
        };
        let stage = row.schema.col(Field::Stage).map_or("", |c| cells.get(c));
        p.find_stage(stage) != ev.stage || ev.stage.is_none()
    })?;
    let base = EntryBase::new(&ctx, ctx.today, "external edit".into())?;
    let mut said = Vec::new();
    let stage_col = ws.schema.col(Field::Stage).expect("stage column");
    for i in 0..ws.rows.len() {
        let id = ws.rows[i].get(ws.id_col()).trim().to_string();
        let Some(ev) = last.get(id.as_str()) else {
            continue;
        };
        let Some(stage) = p.find_stage(ws.rows[i].get(stage_col)) else {
            return Err(invalid(format!(
                "{}:{}: {}\n  hint: fix the stage first",
                ws.file,
                ws.rows[i].line,
                p.unknown_stage(ws.rows[i].get(stage_col))
            )));
        };
        if ev.stage == Some(stage) {
            continue;
        }
        let since = ws
            .prospect(i)
            .ok()
            .and_then(|x| x.stage_since)
            .filter(|d| *d <= ctx.today)
            .unwrap_or(ctx.today);
        let from = ev.stage.map_or(String::new(), |s| p.stages[s].id.clone());
        let mut e = base.make(&id, Kind::Sync, "stage", &from, &p.stages[stage].id);
        e.date = since;
        ws.entries.push(e);
        said.push(format!(
            "{id}: {} → {}",
            ev.stage
                .map_or("(removed)".to_string(), |s| p.stages[s].label.clone()),
            p.stages[stage].label
        ));
    }
    // In journal order: `last` is a hash map, whose order changes from run to run.
    let mut gone: Vec<_> = last.iter().collect();
    gone.sort_by_key(|(_, ev)| ev.line);
    for (id, ev) in gone {
        if let Some(s) = ev.stage
            && !ws.ids.contains_key(id.as_str())
        {
            ws.entries
                .push(base.make(id, Kind::Sync, "stage", &p.stages[s].id, ""));
            said.push(format!(
                "{id}: {} → (removed from the register)",
                p.stages[s].label
            ));
        }
    }
    if said.is_empty() {
        eprintln!(
            "the journal already agrees with {}; nothing to record",
            ws.file
        );
        return Ok(Exit::Ok);
    }
    said.sort();
    let verb = if a.dry_run {
        "would record"
    } else {
        "recorded"
    };
    for s in &said {
        println!("{verb} {s}");
    }
    if !a.dry_run {
        let n = ws.entries.len();
        let journal_file = journal.file.clone();
        ws.commit()?;
        eprintln!(
            "appended {n} entr{} to {journal_file}",
            if n == 1 { "y" } else { "ies" }
        );
    }
    Ok(Exit::Ok)
}
