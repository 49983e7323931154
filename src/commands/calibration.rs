//! `pipe report calibration`: the stages' configured probabilities against what the history shows.

use crate::calibration::Calibration;
use crate::cli::Global;
use crate::commands::effort::warn_unread;
use crate::context::Context;
use crate::error::{Exit, usage};
use crate::filter::Filter;
use crate::journal::Journal;
use crate::output::{self, Format, OutputArgs};
use crate::render::warn_skipped;
use anyhow::Result;
use std::collections::HashSet;

/// The options of `pipe report calibration`: compare each open stage's
/// probability with the share of its prospects that ended won.
///
/// For every open stage: the probability configured in pipeline.toml, the
/// share of the prospects that passed through the stage and have since ended
/// (won or lost) that ended won, the number of those cases, and a 95 %
/// confidence interval (Wilson score). A stage whose probability lies outside
/// the interval is flagged; one with fewer than [effort] min_cases ended cases
/// is not judged. Nothing is changed: probabilities are edited in
/// pipeline.toml. See docs/effort.md.
#[derive(Debug)]
pub struct Args {
    /// Count only prospects that entered the stage on or after this day (default: the whole history).
    from: Option<String>,
    /// Read outcomes as of this day (default: today).
    to: Option<String>,
    /// Only this salesperson's prospects (case and accents do not matter).
    owner: Option<String>,
    /// Only prospects tagged with this product family.
    product: Option<String>,
    output: OutputArgs,
}

impl Args {
    pub fn new(
        from: Option<String>,
        to: Option<String>,
        owner: Option<String>,
        product: Option<String>,
        output: OutputArgs,
    ) -> Args {
        Args {
            from,
            to,
            owner,
            product,
            output,
        }
    }
}

pub fn run(g: &Global, a: Args) -> Result<Exit> {
    let ctx = Context::load(g)?;
    let p = &ctx.pipeline;
    let format = a.output.resolve(&Format::ALL)?;
    let as_of =
        a.to.as_deref()
            .map(|s| ctx.parse_date("--to", s))
            .transpose()?
            .unwrap_or(ctx.today);
    let from = a
        .from
        .as_deref()
        .map(|s| ctx.parse_date("--from", s))
        .transpose()?;
    if let Some(f) = from
        && f > as_of
    {
        return Err(usage(format!("--from ({f}) is after --to ({as_of})")));
    }
    let filter = Filter::new(p, &[], a.owner.as_deref(), a.product.as_deref(), None)?;
    let all = a.owner.is_none() && a.product.is_none();
    let mut kept: HashSet<String, foldhash::fast::RandomState> = HashSet::default();
    let (events, journal, skipped) = Journal::effective_stage_events_beside_scan(p, |x| {
        if !all && filter.accepts(p, x) {
            kept.insert(x.id.clone());
        }
    })?;
    let report = Calibration::compute(
        p,
        &events,
        |id| all || kept.contains(id),
        from,
        as_of,
        a.owner.clone(),
        a.product.clone(),
    );
    let grid = report.grid(p);
    let bytes = match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&report.json(p))?;
            s.push('\n');
            s.into_bytes()
        }
        Format::Csv => report.csv_grid(p).to_csv(a.output.excel)?,
        Format::Md => grid.to_markdown().into_bytes(),
        Format::Html => output::html_page(p.locale.key(), &p.name, &[&grid]).into_bytes(),
        Format::Table => grid.to_table().into_bytes(),
    };
    a.output.emit(&bytes)?;
    warn_skipped(skipped);
    warn_unread(&journal.diags, &journal.file);
    Ok(Exit::Ok)
}
