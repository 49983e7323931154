//! `pipe effort`: the sales effort per milestone, and what a target takes.

use crate::activity::ActivityLog;
use crate::cli::Global;
use crate::context::Context;
use crate::dates::Period;
use crate::diag::Diagnostic;
use crate::effort::{Amounts, Effort, Plan, Scope, Target};
use crate::error::{Exit, invalid, usage};
use crate::filter::Filter;
use crate::journal::Journal;
use crate::output::{self, Format, OutputArgs};
use crate::render::warn_skipped;
use anyhow::Result;

/// Measure the sales effort: hours per meeting, quote and signature, conversions, and what a target takes.
///
/// For each milestone declared on the stages (such as meeting, quote,
/// signature): how many prospects reached it in the period, the share of
/// the step before that did and in how many days, the hours logged before
/// it and the hours per milestone reached. Where the history holds fewer
/// than [effort] min_cases cases, the rates declared in pipeline.toml are
/// used instead, marked as assumptions.
///
/// With --target or --target-amount, works backwards to the quotes,
/// meetings, new prospects and hours needed, per month over --months, and
/// compares the hours with the current pace. See docs/effort.md.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// First day of the period (default: 12 months before --to).
    #[arg(long, value_name = "DATE")]
    from: Option<String>,
    /// Last day of the period (default: today).
    #[arg(long, value_name = "DATE")]
    to: Option<String>,
    /// Only this salesperson's prospects (case and accents do not matter).
    #[arg(long)]
    owner: Option<String>,
    /// Only prospects tagged with this product family.
    #[arg(long)]
    product: Option<String>,
    /// Plan for this many signatures over the horizon.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), conflicts_with = "target_amount")]
    target: Option<u32>,
    /// Plan for this amount of signatures, counted with the average signature, such as `300000` or `300 000 €`.
    #[arg(long, value_name = "AMOUNT")]
    target_amount: Option<String>,
    /// The plan's horizon in months, starting tomorrow.
    #[arg(long, value_name = "N", default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=120))]
    months: u32,
    #[command(flatten)]
    output: OutputArgs,
}

pub fn run(g: &Global, a: Args) -> Result<Exit> {
    let ctx = Context::load(g)?;
    let p = &ctx.pipeline;
    let format = a.output.resolve(&Format::ALL)?;
    let cfg = p.activities.as_ref().ok_or_else(|| {
        invalid(format!(
            "{} keeps no activity log, so there are no hours to measure\n  hint: add an [activities] section with the log's `path` and its kinds; see docs/effort.md",
            p.source.display()
        ))
    })?;
    if p.milestones.is_empty() {
        return Err(invalid(format!(
            "{} declares no milestone to measure the effort against\n  hint: add `milestone = \"meeting\"`, `\"quote\"` and `\"signature\"` to the stages that mark them; see docs/effort.md",
            p.source.display()
        )));
    }
    let target = match (&a.target, &a.target_amount) {
        (Some(n), _) => Some(Target::Signatures(*n)),
        (None, Some(s)) => match crate::money::parse(s) {
            Ok((v, _)) if v > rust_decimal::Decimal::ZERO => Some(Target::Amount(v)),
            Ok(_) => return Err(usage("--target-amount must be more than zero")),
            Err(e) => return Err(usage(format!("--target-amount: {e}"))),
        },
        (None, None) => None,
    };
    let period = period(&ctx, a.from.as_deref(), a.to.as_deref())?;
    let filter = Filter::new(p, &[], a.owner.as_deref(), a.product.as_deref(), None)?;
    let mut amounts = Amounts::default();
    let (events, journal, skipped) = Journal::effective_stage_events_beside_scan(p, |x| {
        if filter.accepts(p, x) {
            amounts.insert(&x.id, x.amount);
        }
    })?;
    let scope = Scope {
        amounts,
        all: a.owner.is_none() && a.product.is_none(),
        owner: a.owner.clone(),
        product: a.product.clone(),
    };
    let (log, ldiags) = ActivityLog::read(cfg)?;
    let effort = Effort::compute(p, &events, &log.activities, &scope, period);
    let plan = target
        .map(|t| {
            Plan::make(
                &effort,
                t,
                ctx.today.succ_opt().unwrap_or(ctx.today),
                a.months,
            )
        })
        .transpose()
        .map_err(|e| invalid(format!("cannot plan: {}", e.0)))?;

    let kinds = effort.kinds_grid(p);
    let main = effort.grid(p);
    let plan_grid = plan.as_ref().map(|x| x.grid(p, &effort));
    let mut grids = vec![&main, &kinds];
    grids.extend(plan_grid.as_ref());
    let bytes = match format {
        Format::Json => {
            let mut v = effort.json(p);
            v["plan"] = plan
                .as_ref()
                .map_or(serde_json::Value::Null, |x| x.json(&effort));
            let mut s = serde_json::to_string_pretty(&v)?;
            s.push('\n');
            s.into_bytes()
        }
        Format::Csv => match &plan {
            Some(x) => x.csv_grid(&effort).to_csv(a.output.excel)?,
            None => effort.csv_grid().to_csv(a.output.excel)?,
        },
        Format::Md => grids
            .iter()
            .map(|g| g.to_markdown())
            .collect::<Vec<_>>()
            .join("\n")
            .into_bytes(),
        Format::Html => output::html_page(p.locale.key(), &p.name, &grids).into_bytes(),
        Format::Table => grids
            .iter()
            .map(|g| g.to_table())
            .collect::<Vec<_>>()
            .join("\n")
            .into_bytes(),
    };
    a.output.emit(&bytes)?;
    warn_skipped(skipped);
    warn_unread(&journal.diags, &journal.file);
    warn_unread(&ldiags, &log.file);
    Ok(Exit::Ok)
}

/// The period of a report: `--from` and `--to`, by default the 12 months to today.
pub fn period(ctx: &Context, from: Option<&str>, to: Option<&str>) -> Result<Period> {
    let to = to
        .map(|s| ctx.parse_date("--to", s))
        .transpose()?
        .unwrap_or(ctx.today);
    let period = match from {
        Some(s) => Period {
            from: ctx.parse_date("--from", s)?,
            to,
        },
        None => Period::months_to(to, 12),
    };
    if period.from > period.to {
        return Err(usage(format!(
            "--from ({}) is after --to ({})",
            period.from, period.to
        )));
    }
    Ok(period)
}

/// Says on stderr how many lines of a log a report left out.
pub fn warn_unread(diags: &[Diagnostic], file: &str) {
    let n = diags
        .iter()
        .filter(|d| d.severity == crate::diag::Severity::Error)
        .count();
    if n > 0 {
        eprintln!(
            "{file}: {n} problem{} left lines out of the figures; `pipe check` shows them",
            if n == 1 { "" } else { "s" }
        );
    }
}
