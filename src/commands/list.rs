//! `pipe list`: the prospects, filtered, as a table, CSV or JSON.

use crate::cli::Global;
use crate::context::Context;
use crate::error::{Exit, usage};
use crate::field::Field;
use crate::output::{Cell, Format, Grid, OutputArgs};
use crate::pipeline::{Phase, Pipeline};
use crate::prospect::Prospect;
use crate::render;
use anyhow::Result;

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
    #[command(flatten)]
    output: OutputArgs,
}

/// Prospect filters shared by the listing commands.
pub struct Filter {
    stages: Vec<usize>,
    owner: Option<String>,
    product: Option<usize>,
    phase: Option<Phase>,
}

impl Filter {
    pub fn new(
        p: &Pipeline,
        stages: &[String],
        owner: Option<&str>,
        product: Option<&str>,
        phase: Option<&str>,
    ) -> Result<Filter> {
        let stages = stages
            .iter()
            .map(|s| p.find_stage(s).ok_or_else(|| usage(p.unknown_stage(s))))
            .collect::<Result<_>>()?;
        let product = product
            .map(|s| p.find_product(s).ok_or_else(|| usage(p.unknown_product(s))))
            .transpose()?;
        let phase = phase
            .map(|s| {
                Phase::parse(s).ok_or_else(|| {
                    usage(format!(
                        "unknown phase `{s}`; the phases are `suspect`, `prospect` and `client`"
                    ))
                })
            })
            .transpose()?;
        Ok(Filter {
            stages,
            owner: owner.map(crate::text::fold),
            product,
            phase,
        })
    }

    pub fn accepts(&self, p: &Pipeline, x: &Prospect) -> bool {
        (self.stages.is_empty() || self.stages.contains(&x.stage))
            && self
                .owner
                .as_ref()
                .is_none_or(|o| crate::text::fold(&x.owner) == *o)
            && self.product.is_none_or(|i| x.products.contains(&i))
            && self.phase.is_none_or(|ph| p.stages[x.stage].phase == ph)
    }
}

pub fn run(g: &Global, a: Args) -> Result<Exit> {
    let ctx = Context::load(g)?;
    let p = &ctx.pipeline;
    let format = a
        .output
        .resolve(&[Format::Table, Format::Csv, Format::Json, Format::Md])?;
    let filter = Filter::new(
        p,
        &a.stage,
        a.owner.as_deref(),
        a.product.as_deref(),
        a.phase.as_deref(),
    )?;
    let (all, skipped) = Prospect::read_all(p)?;
    let rows: Vec<Prospect> = all.into_iter().filter(|x| filter.accepts(p, x)).collect();
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
    warn_skipped(skipped);
    Ok(Exit::Ok)
}

/// Says on stderr how many register rows a report left out.
pub fn warn_skipped(skipped: usize) {
    if skipped > 0 {
        eprintln!(
            "skipped {skipped} row{} that cannot be read; `pipe check` shows why",
            if skipped == 1 { "" } else { "s" }
        );
    }
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
