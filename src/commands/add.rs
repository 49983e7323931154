//! `pipe add`: add a prospect, enforcing the stage's requirements.

use crate::cli::Global;
use crate::context::{self, Context};
use crate::error::{Exit, refused};
use crate::field::Field;
use crate::journal::Kind;
use crate::prospect::{self, describe_fields};
use crate::render;
use crate::workset::{EntryBase, WorkRow, Workset};
use anyhow::Result;

/// Add a prospect to the register.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The id (default: the next number after the register's highest, such as `P-0105`).
    #[arg(long)]
    id: Option<String>,
    /// The stage (default: the first prospect stage of the pipeline).
    #[arg(long)]
    stage: Option<String>,
    /// Contact name.
    #[arg(long)]
    name: Option<String>,
    /// Company.
    #[arg(long)]
    company: Option<String>,
    /// Salesperson in charge.
    #[arg(long)]
    owner: Option<String>,
    /// Amount, such as `12500` or `12 500,50`.
    #[arg(long)]
    amount: Option<String>,
    /// The prospect's own probability, in percent (default: the stage's).
    #[arg(long)]
    probability: Option<String>,
    /// Expected decision date.
    #[arg(long, value_name = "DATE")]
    expected_close: Option<String>,
    /// Date of the next action.
    #[arg(long, value_name = "DATE")]
    next_action: Option<String>,
    /// Product families, separated by the list separator (`|` by default).
    #[arg(long)]
    products: Option<String>,
    /// Any other field or column (repeatable).
    #[arg(long = "set", value_name = "FIELD=VALUE", value_parser = super::parse_assignment)]
    sets: Vec<(String, String)>,
    /// Creation date (default: today).
    #[arg(long, value_name = "DATE")]
    on: Option<String>,
    /// Who added it.
    #[arg(long, value_name = "NAME")]
    by: Option<String>,
    /// A note for the journal.
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
    /// Show what would be added and write nothing.
    #[arg(long, short = 'n')]
    dry_run: bool,
}

pub fn run(g: &Global, a: Args) -> Result<Exit> {
    let ctx = Context::load(g)?;
    let p = &ctx.pipeline;
    let date =
        a.on.as_deref()
            .map(|s| ctx.parse_date("--on", s))
            .transpose()?
            .unwrap_or(ctx.today);
    let given = a.id.as_deref().map(str::trim);
    if given == Some("") {
        return Err(refused("the id cannot be empty"));
    }
    // Keeps the row that already has the id asked for, if any.
    let mut ws = Workset::load_lean(p, |id, _| Some(id) == given, &[])?;
    let id = match given {
        Some(id) if let Some(i) = ws.row_index(id) => {
            return Err(refused(format!(
                "the id `{id}` is already used on line {} of {}",
                ws.rows[i].line, ws.file
            )));
        }
        Some(id) => id.to_string(),
        None => ws.next_id(),
    };
    let stage = match &a.stage {
        Some(s) => p.find_stage(s).ok_or_else(|| refused(p.unknown_stage(s)))?,
        None => p
            .first_stage_of(crate::pipeline::Phase::Prospect)
            .unwrap_or(0),
    };
    let mut given: Vec<(String, String)> = [
        (Field::Name, &a.name),
        (Field::Company, &a.company),
        (Field::Owner, &a.owner),
        (Field::Amount, &a.amount),
        (Field::Probability, &a.probability),
        (Field::ExpectedClose, &a.expected_close),
        (Field::NextAction, &a.next_action),
        (Field::Products, &a.products),
    ]
    .into_iter()
    .filter_map(|(f, v)| v.as_ref().map(|v| (f.key().to_string(), v.clone())))
    .collect();
    given.extend(a.sets.iter().cloned());
    let resolved = crate::moves::resolve_sets(&ws.schema, p, &given).map_err(refused)?;
    let width = ws.schema.headers.len();
    let mut row = WorkRow::appended(width);
    row.set(ws.id_col(), id.clone());
    row.set(
        ws.schema.col(Field::Stage).expect("stage column"),
        p.stages[stage].label.clone(),
    );
    for f in [Field::StageSince, Field::Created] {
        if let Some((col, text)) = ws.ctx_date_cell(f, date) {
            row.set(col, text);
        }
    }
    for (col, canonical) in &resolved {
        let text = ws.cell_text(*col, canonical);
        row.set(*col, text);
    }
    ws.rows.push(row);
    let i = ws.rows.len() - 1;
    let prospect = ws
        .prospect(i)
        .map_err(|e| refused(ws.row_problems(i, &e)))?;
    let missing = prospect::missing_for(stage, &prospect, p);
    if !missing.is_empty() {
        let flags: Vec<String> = missing
            .iter()
            .map(|f| format!("--{} …", f.key().replace('_', "-")))
            .collect();
        return Err(refused(format!(
            "{} requires {}\n  hint: give {}, or add the prospect at an earlier stage",
            p.stages[stage].label,
            describe_fields(&missing),
            flags.join(" ")
        )));
    }
    let mut base = EntryBase::new(&ctx, date, context::who(a.by.as_deref()))?;
    base.note = a.note.clone().unwrap_or_default();
    ws.entries
        .push(base.make(&id, Kind::Add, "stage", "", &p.stages[stage].id));
    let summary = format!(
        "{id} ({}) in {} on {}",
        prospect.display_name(),
        p.stages[stage].label,
        render::date(p, date)
    );
    if a.dry_run {
        println!("would add {summary}");
        return Ok(Exit::Ok);
    }
    let file = ws.file.clone();
    ws.commit()?;
    println!("{id}");
    eprintln!("added {summary}; wrote {file} and 1 journal entry");
    Ok(Exit::Ok)
}

/// The id after the highest one that ends in a number, keeping its prefix and width.
#[cfg(test)]
fn next_id<'a>(ids: impl Iterator<Item = &'a str>) -> String {
    let mut highest = crate::workset::HighestId::default();
    ids.for_each(|id| highest.observe(id));
    highest.next()
}

#[cfg(test)]
mod tests {
    use super::next_id;

    #[test]
    fn next_id_keeps_prefix_and_width() {
        assert_eq!(next_id(["P-0009", "P-0104", "X"].into_iter()), "P-0105");
        assert_eq!(next_id(["A9"].into_iter()), "A10");
        assert_eq!(next_id([].into_iter()), "P-0001");
        // Of two ids with the same number, the first in the register gives the format.
        assert_eq!(next_id(["Q-104", "P-0104"].into_iter()), "Q-105");
        assert_eq!(next_id(["P-0104", "Q-104"].into_iter()), "P-0105");
    }
}
