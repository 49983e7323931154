//! `pipe report`: the funnel, product families, salespeople, forecast,
//! movement and delays, as a table, CSV, JSON, Markdown or an HTML page.

use crate::cli::Global;
use crate::context::Context;
use crate::error::{Exit, usage};
use crate::filter::FilterArgs;
use crate::output::{Format, OutputArgs};
use crate::prospect::Prospect;
use crate::report::brief::{Past, Questions};
use crate::report::{Builder, By, Kind, Options, Scope};
use crate::summary::{Damaged, Early};
use anyhow::Result;
use chrono::{Days, Months, NaiveDate};

/// Report on the pipeline: where the deals are, what they are worth, how fast they move.
///
/// The state is taken at the end of `--as-of` (default: today), replayed from
/// the journal for a past day. Flow figures (reached, conversion, won, lost,
/// moves) cover `--from` to `--to`, both days included (default: the 12
/// months up to `--as-of`). Filters apply to each prospect as it stood at
/// `--as-of`. The format is taken from `-o FILE`'s extension when `--format`
/// is not given.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to report.
    #[arg(value_enum, default_value_t = What::Funnel)]
    kind: What,
    #[command(flatten)]
    filter: FilterArgs,
    /// Report the state at the end of this day, replayed from the journal (default: today).
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// First day of the period for flow figures (default: 12 months before `--to`, plus one day).
    #[arg(long, value_name = "DATE")]
    from: Option<String>,
    /// Last day of the period for flow figures (default: `--as-of`, else today).
    #[arg(long, value_name = "DATE")]
    to: Option<String>,
    /// funnel: draw the bars by `count` (default) or `amount`; products and owners: `stage` gives the matrix with one column per stage.
    #[arg(long, value_enum, value_name = "WHAT")]
    by: Option<By>,
    /// delays: how many of the worst offenders to list.
    #[arg(long, default_value_t = 10, value_name = "N")]
    top: usize,
    #[command(flatten)]
    output: OutputArgs,
}

/// The kinds of report: those built from one pass over the register, and calibration.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum What {
    /// Stages in funnel order: counts, amounts, time in stage, conversion.
    Funnel,
    /// Per product family: open, won and win rate.
    Products,
    /// Per salesperson: open, won and win rate.
    Owners,
    /// Amounts by month of expected decision, for the next 12 months.
    Forecast,
    /// What moved between `--from` and `--to`, and how it adds up.
    Movement,
    /// How long decisions take, per open stage, with the worst offenders.
    Delays,
    /// Each open stage's probability against the share of its prospects that ended won.
    Calibration,
}

impl What {
    fn kind(self) -> Option<Kind> {
        Some(match self {
            What::Funnel => Kind::Funnel,
            What::Products => Kind::Products,
            What::Owners => Kind::Owners,
            What::Forecast => Kind::Forecast,
            What::Movement => Kind::Movement,
            What::Delays => Kind::Delays,
            What::Calibration => return None,
        })
    }
}

pub fn run(g: &Global, a: Args) -> Result<Exit> {
    let Some(kind) = a.kind.kind() else {
        return calibration(g, a);
    };
    let ctx = Context::load(g)?;
    let p = &ctx.pipeline;
    let format = a.output.resolve(&Format::ALL)?;
    check_by(kind, a.by)?;
    let date =
        |what: &str, s: &Option<String>| s.as_deref().map(|s| ctx.parse_date(what, s)).transpose();
    let as_of = date("--as-of", &a.as_of)?.unwrap_or(ctx.today);
    if as_of > ctx.today {
        return Err(usage(format!(
            "--as-of {as_of} is after today ({}): a report describes what has happened\n  hint: use `pipe report forecast` for what is expected",
            ctx.today
        )));
    }
    let to = date("--to", &a.to)?.unwrap_or(as_of);
    if to > as_of {
        return Err(usage(format!(
            "--to {to} is after --as-of {as_of}: the period cannot end after the day reported\n  hint: drop --to, or move --as-of to {to} or later"
        )));
    }
    let from = date("--from", &a.from)?.unwrap_or_else(|| year_before(to));
    if from > to {
        return Err(usage(format!(
            "--from {from} is after --to {to}\n  hint: the period runs from --from to --to, both days included"
        )));
    }
    let filter = a.filter.resolve(p)?;
    let mut filter_text = Vec::new();
    for s in &a.filter.stage {
        filter_text.push(format!("stage: {s}"));
    }
    for (name, v) in [
        ("owner", &a.filter.owner),
        ("product", &a.filter.product),
        ("phase", &a.filter.phase),
    ] {
        if let Some(v) = v {
            filter_text.push(format!("{name}: {v}"));
        }
    }

    // The register's cache is checked (its register hashed) while the
    // journal is read, once the journal itself has been hashed.
    let mut early = Early::start(p);
    let hold = early.hold();
    // The reports of the state on one day need only a few answers per
    // prospect from the journal (`delays` also counts the pushes of decision
    // dates), and today's forecast none: it reads the open deals' rows as
    // they are. `movement` replays two days and every move between them.
    let history = if as_of == ctx.today && kind == Kind::Forecast {
        drop(hold);
        Past::Unread
    } else {
        let brief = matches!(
            kind,
            Kind::Funnel | Kind::Products | Kind::Owners | Kind::Forecast | Kind::Delays
        );
        let questions = Questions {
            from,
            to,
            day: as_of,
            today: ctx.today,
        };
        let (history, journal) = Past::read(
            &p.register.journal,
            p,
            questions,
            (brief, kind == Kind::Delays),
            hold,
        )?;
        let diags = journal.diags;
        if !diags.is_empty() {
            eprintln!(
                "pipe: warning: {} problem{} in the journal {}; the report uses the entries that could be read (`pipe check` lists them)",
                diags.len(),
                if diags.len() == 1 { "" } else { "s" },
                journal.file
            );
        }
        history
    };
    let scope = Scope {
        p,
        today: ctx.today,
        as_of,
        from,
        to,
        filter,
        filter_text,
        history,
    };
    let opts = Options {
        by: a.by,
        top: a.top,
    };
    let fresh = || Builder::new(kind, &scope, opts);
    let (builder, skipped) = stream(&scope, early, fresh)?;
    let report = builder.finish(&scope);
    let bytes = report.render(&scope, format, a.output.excel)?;
    a.output.emit(&bytes)?;
    crate::render::warn_skipped(skipped);
    Ok(Exit::Ok)
}

/// `pipe report calibration`: over the whole history unless `--from` says otherwise (see docs/effort.md).
fn calibration(g: &Global, a: Args) -> Result<Exit> {
    let unused = [
        (!a.filter.stage.is_empty(), "--stage"),
        (a.filter.phase.is_some(), "--phase"),
        (a.as_of.is_some(), "--as-of"),
        (a.by.is_some(), "--by"),
    ];
    if let Some((_, flag)) = unused.iter().find(|(given, _)| *given) {
        return Err(usage(format!(
            "`{flag}` does not apply to the calibration report\n  hint: it takes --from, --to, --owner and --product"
        )));
    }
    let args = crate::commands::calibration::Args::new(
        a.from,
        a.to,
        a.filter.owner,
        a.filter.product,
        a.output,
    );
    crate::commands::calibration::run(g, args)
}

/// Feeds every readable prospect of the register to a builder from `fresh`,
/// one row at a time; again to a new one, from the register, should its
/// cache turn out damaged midway. Gives the builder and how many rows were
/// unreadable.
fn stream(scope: &Scope, early: Early, fresh: impl Fn() -> Builder) -> Result<(Builder, u64)> {
    let scan = |early: Early| -> Result<(Builder, u64)> {
        let mut builder = fresh();
        let skipped = Prospect::scan_early(
            scope.p,
            early,
            |ids| scope.touch(ids),
            |x| builder.add(scope, x),
        )?;
        Ok((builder, skipped))
    };
    match scan(early) {
        Err(e) if e.is::<Damaged>() => scan(Early::none()),
        done => done,
    }
}

/// The first day of the 12 months that end on `to`.
fn year_before(to: NaiveDate) -> NaiveDate {
    to.checked_sub_months(Months::new(12))
        .and_then(|d| d.checked_add_days(Days::new(1)))
        .unwrap_or(to)
}

fn check_by(kind: Kind, by: Option<By>) -> Result<()> {
    let ok = matches!(
        (kind, by),
        (_, None)
            | (Kind::Funnel, Some(By::Count | By::Amount))
            | (Kind::Products | Kind::Owners, Some(By::Stage))
    );
    if ok {
        return Ok(());
    }
    Err(usage(format!(
        "`--by {}` does not apply to the {} report\n  hint: `--by count` or `--by amount` go with `funnel`, `--by stage` with `products` and `owners`",
        match by {
            Some(By::Count) => "count",
            Some(By::Amount) => "amount",
            _ => "stage",
        },
        match kind {
            Kind::Funnel => "funnel",
            Kind::Products => "products",
            Kind::Owners => "owners",
            Kind::Forecast => "forecast",
            Kind::Movement => "movement",
            Kind::Delays => "delays",
        }
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_period_is_the_twelve_months_up_to_the_day() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(year_before(d("2026-11-27")), d("2025-11-28"));
        assert_eq!(year_before(d("2024-02-29")), d("2023-03-01"));
    }
}
