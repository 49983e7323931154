//! `pipe list`: the prospects, filtered, as a table, CSV or JSON.

use crate::cli::Global;
use crate::context::Context;
use crate::error::Exit;
use crate::field::Field;
use crate::filter::Filter;
use crate::prospect::{Prospect, Styles};
use crate::register::Reader;
use crate::render;
use anyhow::Result;
use std::io::Write;

/// List prospects, with filters.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only these stages (repeatable; id or label).
    #[arg(long)]
    stage: Vec<String>,
    /// Only this salesperson's prospects (case and accents do not matter).
    #[arg(long)]
    owner: Option<String>,
    /// Only prospects tagged with this product family.
    #[arg(long)]
    product: Option<String>,
    /// Only this phase: suspect, prospect or client.
    #[arg(long)]
    phase: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Format {
    Table,
    Csv,
    Json,
}

pub fn run(g: &Global, a: Args) -> Result<Exit> {
    let ctx = Context::load(g)?;
    let p = &ctx.pipeline;
    let filter = Filter::new(
        p,
        &a.stage,
        a.owner.as_deref(),
        a.product.as_deref(),
        a.phase.as_deref(),
    )?;
    let mut reader = Reader::open(p)?;
    let mut styles = Styles::default();
    let mut out = std::io::stdout().lock();
    let mut skipped = 0;
    let mut rows = Vec::new();
    while let Some(row) = reader.next_row()? {
        let Ok(cells) = row.cells() else {
            skipped += 1;
            continue;
        };
        match Prospect::parse(
            |c| cells.get(c).map_or("", String::as_str),
            &reader.schema,
            p,
            &mut styles,
        ) {
            Ok(x) if filter.accepts(p, &x) => rows.push(x),
            Ok(_) => {}
            Err(_) => skipped += 1,
        }
    }
    let h = |f: Field| p.register.header(f).to_string();
    match a.format {
        Format::Table => {
            let headers = [
                h(Field::Id),
                h(Field::Stage),
                "Jours".into(),
                h(Field::Company),
                h(Field::Owner),
                h(Field::Amount),
                h(Field::ExpectedClose),
            ];
            let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
            let mut t = render::table(&headers);
            for x in &rows {
                t.add_row(vec![
                    x.id.clone(),
                    p.stages[x.stage].label.clone(),
                    x.stage_since
                        .map(|d| (ctx.today - d).num_days().to_string())
                        .unwrap_or_default(),
                    x.display_name().to_string(),
                    x.owner.clone(),
                    x.amount.map(|v| render::money(p, v)).unwrap_or_default(),
                    render::opt_date(p, x.expected_close),
                ]);
            }
            render::align_right(&mut t, &[2, 5]);
            writeln!(out, "{t}")?;
            writeln!(
                out,
                "{} prospect{}",
                rows.len(),
                if rows.len() == 1 { "" } else { "s" }
            )?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record([
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
            ])?;
            for x in &rows {
                let d = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
                let products: Vec<&str> = x
                    .products
                    .iter()
                    .map(|&i| p.products[i].id.as_str())
                    .collect();
                w.write_record([
                    render::csv_safe(&x.id),
                    p.stages[x.stage].id.clone(),
                    d(x.stage_since),
                    render::csv_safe(&x.name),
                    render::csv_safe(&x.company),
                    render::csv_safe(&x.owner),
                    x.amount.map(|v| v.to_string()).unwrap_or_default(),
                    x.probability.map(|v| v.to_string()).unwrap_or_default(),
                    d(x.expected_close),
                    d(x.next_action),
                    products.join("|"),
                    render::csv_safe(&x.lost_reason),
                    d(x.created),
                ])?;
            }
            w.flush()?;
        }
        Format::Json => {
            let items: Vec<serde_json::Value> = rows
                .iter()
                .map(|x| {
                    serde_json::json!({
                        "id": x.id, "stage": p.stages[x.stage].id, "stage_label": p.stages[x.stage].label, "phase": p.stages[x.stage].phase.key(),
                        "stage_since": x.stage_since, "name": x.name, "company": x.company, "owner": x.owner,
                        "amount": x.amount, "probability": x.probability(p), "weighted": x.weighted(p), "expected_close": x.expected_close,
                        "next_action": x.next_action,
                        "products": x.products.iter().map(|&i| p.products[i].id.clone()).collect::<Vec<_>>(),
                        "lost_reason": x.lost_reason, "created": x.created,
                    })
                })
                .collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&items)?)?;
        }
    }
    if skipped > 0 {
        eprintln!(
            "skipped {skipped} row{} that cannot be read; `pipe check` shows why",
            if skipped == 1 { "" } else { "s" }
        );
    }
    Ok(Exit::Ok)
}
