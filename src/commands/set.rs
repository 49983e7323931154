//! `pipe set`: change fields of a prospect and journal each change.

use crate::cli::Global;
use crate::context::{self, Context};
use crate::error::{Exit, refused};
use crate::moves::apply_set;
use crate::workset::{EntryBase, Workset};
use anyhow::Result;

/// Change fields of a prospect (expected decision date, amount, owner, products…).
///
/// FIELD is a field name (`amount`, `expected_close`…) or a column header of
/// the register, including your own columns. An empty VALUE clears the cell.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The prospect's id.
    id: String,
    /// The changes, such as `expected_close=2027-02-15 amount=18000`.
    #[arg(required = true, value_name = "FIELD=VALUE", value_parser = super::parse_assignment)]
    sets: Vec<(String, String)>,
    /// The effective date recorded in the journal (default: today).
    #[arg(long, value_name = "DATE")]
    on: Option<String>,
    /// Who made the change.
    #[arg(long, value_name = "NAME")]
    by: Option<String>,
    /// Why, for the journal.
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    /// A note for the journal.
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
    /// Show what would change and write nothing.
    #[arg(long, short = 'n')]
    dry_run: bool,
}

pub fn run(g: &Global, a: Args) -> Result<Exit> {
    let ctx = Context::load(g)?;
    let date =
        a.on.as_deref()
            .map(|s| ctx.parse_date("--on", s))
            .transpose()?
            .unwrap_or(ctx.today);
    let mut ws = Workset::load_lean(&ctx.pipeline, |id, _| id == a.id, &[])?;
    ws.find(&a.id)?;
    let mut base = EntryBase::new(&ctx, date, context::who(a.by.as_deref()))?;
    base.reason = a.reason.unwrap_or_default();
    base.note = a.note.unwrap_or_default();
    let done = apply_set(&mut ws, &a.id, &a.sets, &base).map_err(refused)?;
    if done.is_empty() {
        eprintln!("`{}` already has these values; nothing to do", a.id);
        return Ok(Exit::Ok);
    }
    if a.dry_run {
        for d in &done {
            println!("would set {d} on {}", a.id);
        }
        return Ok(Exit::Ok);
    }
    let file = ws.file.clone();
    ws.commit()?;
    eprintln!(
        "set {} on {}; wrote {file} and {} journal entr{}",
        done.join(", "),
        a.id,
        done.len(),
        if done.len() == 1 { "y" } else { "ies" }
    );
    Ok(Exit::Ok)
}
