//! `pipe list`: the prospects, filtered, as a table, CSV or JSON.

use crate::cli::Global;
use crate::context::Context;
use crate::error::Exit;
use crate::field::Field;
use crate::filter::FilterArgs;
use crate::output::{Cell, Format, Grid, OutputArgs};
use crate::pipeline::Pipeline;
use crate::prospect::Prospect;
use crate::render;
use anyhow::Result;

/// List prospects, with filters.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    filter: FilterArgs,
    #[command(flatten)]
    output: OutputArgs,
}

pub fn run(g: &Global, a: Args) -> Result<Exit> {
    let ctx = Context::load(g)?;
    let p = &ctx.pipeline;
    let format = a.output.resolve(&Format::LISTS)?;
    let filter = a.filter.resolve(p)?;
    let mut rows = Vec::new();
    let skipped = Prospect::scan(p, |x| {
        if filter.accepts(p, x) {
            rows.push(x.clone());
        }
    })?;
    let bytes = match format {
        Format::Json => {
            let mut s =
                serde_json::to_string_pretty(&rows.iter().map(|x| json(p, x)).collect::<Vec<_>>())?;
            s.push('\n');
            s.into_bytes()
        }
        Format::Csv => full_grid(p, &rows).to_csv(a.output.excel)?,
        Format::Md => short_grid(&ctx, &rows).to_markdown().into_bytes(),
        _ => short_grid(&ctx, &rows).to_table().into_bytes(),
    };
    a.output.emit(&bytes)?;
    render::warn_skipped(skipped);
    Ok(Exit::Ok)
}

/// The columns people look at, under the register's own headers.
fn short_grid(ctx: &Context, rows: &[Prospect]) -> Grid {
    let p = &ctx.pipeline;
    let h = |f: Field| p.register.header(f);
    let days = match p.locale {
        crate::pipeline::Locale::Fr => "Jours",
        crate::pipeline::Locale::En => "Days",
    };
    let mut g = Grid::new(&[
        h(Field::Id),
        h(Field::Stage),
        days,
        h(Field::Company),
        h(Field::Owner),
        h(Field::Amount),
        h(Field::ExpectedClose),
    ]);
    for x in rows {
        let since = x
            .stage_since
            .map(|d| (ctx.today - d).num_days().to_string())
            .unwrap_or_default();
        g.push(vec![
            Cell::text(&x.id),
            Cell::text(&p.stages[x.stage].label),
            Cell::number(since.clone(), since),
            Cell::text(x.display_name()),
            Cell::text(&x.owner),
            Cell::number(
                x.amount.map(|v| render::money(p, v)).unwrap_or_default(),
                x.amount.map(|v| v.to_string()).unwrap_or_default(),
            ),
            Cell::text(render::opt_date(p, x.expected_close)),
        ]);
    }
    g.notes.push(format!(
        "{} prospect{}",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    ));
    g
}

/// Every field, with plain values, for programs and spreadsheets.
fn full_grid(p: &Pipeline, rows: &[Prospect]) -> Grid {
    let mut g = Grid::new(&[
        "id",
        "stage",
        "stage_since",
        "name",
        "company",
        "owner",
        "amount",
        "probability",
        "expected_close",
        "next_action",
        "products",
        "lost_reason",
        "created",
    ]);
    let d = |d: Option<chrono::NaiveDate>| Cell::text(d.map(|d| d.to_string()).unwrap_or_default());
    let n =
        |v: Option<rust_decimal::Decimal>| Cell::text(v.map(|v| v.to_string()).unwrap_or_default());
    for x in rows {
        let products: Vec<&str> = x
            .products
            .iter()
            .map(|&i| p.products[i].id.as_str())
            .collect();
        g.push(vec![
            Cell::text(&x.id),
            Cell::text(&p.stages[x.stage].id),
            d(x.stage_since),
            Cell::text(&x.name),
            Cell::text(&x.company),
            Cell::text(&x.owner),
            n(x.amount),
            n(x.probability),
            d(x.expected_close),
            d(x.next_action),
            Cell::text(products.join("|")),
            Cell::text(&x.lost_reason),
            d(x.created),
        ]);
    }
    g
}

fn json(p: &Pipeline, x: &Prospect) -> serde_json::Value {
    serde_json::json!({
        "id": x.id,
        "stage": p.stages[x.stage].id,
        "stage_label": p.stages[x.stage].label,
        "phase": p.stages[x.stage].phase.key(),
        "stage_since": x.stage_since,
        "name": x.name,
        "company": x.company,
        "owner": x.owner,
        "amount": x.amount,
        "probability": x.probability(p),
        "weighted": x.weighted(p),
        "expected_close": x.expected_close,
        "next_action": x.next_action,
        "products": x.products.iter().map(|&i| p.products[i].id.clone()).collect::<Vec<_>>(),
        "lost_reason": x.lost_reason,
        "created": x.created,
    })
}
