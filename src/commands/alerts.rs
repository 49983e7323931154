//! `pipe alerts`: check every prospect against the pipeline's standards and
//! list what breaks them; made for cron, which mails whatever it prints.

use crate::alerts::report::{Head, Writer};
use crate::alerts::state::{self, State};
use crate::alerts::{self, Alert, Filter};
use crate::cli::Global;
use crate::context::Context;
use crate::diag::Severity as DiagSeverity;
use crate::digest;
use crate::error::{Exit, invalid};
use crate::output::{Format, OutputArgs};
use crate::pipeline::{Rule, Severity, unknown_rule};
use crate::text::fold;
use crate::validation;
use anyhow::{Context as _, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// List the deals that are outside the pipeline's standards.
///
/// Checks each prospect against its stage on `--today` with the rules of the
/// `[alerts]` section: stale, decision_overdue, horizon_mismatch,
/// missing_field, next_action_overdue, no_next_action, snoozed_until_passed,
/// decision_slipped and invalid_row. Prints nothing when there is nothing to
/// report (cron mails any output), unless `--verbose`.
///
/// Exit codes: 0, or 7 with `--fail-on` when an alert of that severity or
/// worse is open; 2 to 6 when `pipe` cannot run (see docs/alerts.md).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only this salesperson's alerts (case and accents do not matter).
    #[arg(long, value_name = "NAME")]
    owner: Option<String>,
    /// Only this rule (repeatable), such as `stale` or `decision_overdue`.
    #[arg(long = "rule", value_name = "RULE", value_parser = parse_rule)]
    rules: Vec<Rule>,
    /// Only alerts of this severity or worse.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    severity: Option<Severity>,
    /// Exit with code 7 when an alert of this severity or worse is open.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    fail_on: Option<Severity>,
    /// Print only the alerts not reported before, and those still open after
    /// their `realert_after`; remember them in `--state`.
    #[arg(long, requires = "state")]
    new_only: bool,
    /// The file where `--new-only` remembers what it reported (JSON, replaced atomically).
    #[arg(long, value_name = "FILE", requires = "new_only")]
    state: Option<PathBuf>,
    /// Write one file per salesperson into `--out-dir`, and `_all` with every alert.
    #[arg(
        long,
        value_enum,
        value_name = "BY",
        requires = "out_dir",
        conflicts_with = "output"
    )]
    split_by: Option<SplitBy>,
    /// The folder `--split-by` writes into (created if needed).
    #[arg(long, value_name = "DIR", requires = "split_by")]
    out_dir: Option<PathBuf>,
    /// Print the report even when there is nothing to report.
    #[arg(long, short = 'v')]
    verbose: bool,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum SplitBy {
    Owner,
}

fn parse_rule(s: &str) -> Result<Rule, String> {
    Rule::parse(s).ok_or_else(|| unknown_rule(s))
}

pub fn run(g: &Global, a: Args) -> Result<Exit> {
    let ctx = Context::load(g)?;
    let format = a.output.resolve(&Format::LISTS)?;
    let filter = Filter {
        owner: a.owner.as_deref().map(fold),
        rules: a.rules.clone(),
        severity: a.severity,
    };
    let (worst, next_state) = match (&a.split_by, &a.out_dir) {
        (Some(SplitBy::Owner), Some(dir)) => split(&ctx, &a, &filter, format, dir)?,
        _ => streamed(&ctx, &a, &filter, format)?,
    };
    let fail = a.fail_on.is_some_and(|s| worst.is_some_and(|w| w >= s));
    if let (Some(path), Some(s)) = (&a.state, next_state) {
        crate::store::write_atomic_with(path, |out| Ok(s.write_json(out)?))
            .with_context(|| format!("cannot write the alert state {}", path.display()))?;
    }
    Ok(if fail { Exit::Alerts } else { Exit::Ok })
}

/// The worst severity among the open alerts, and the state to write (when it changed).
type Ran = (Option<Severity>, Option<State>);

/// What takes the open alerts as they are raised, in register order: those
/// to show, and (with `--new-only`) those already reported and held back.
trait Shows {
    fn show(&mut self, x: &Alert) -> Result<()>;
    fn hold(&mut self, x: &Alert);
}

impl Shows for Writer<'_> {
    fn show(&mut self, x: &Alert) -> Result<()> {
        self.push(x)
    }

    fn hold(&mut self, _: &Alert) {}
}

/// Raises the alerts into what `fresh` makes: each open alert (the filters
/// applied) is shown or, with `--new-only` and already reported, held; none
/// is kept. Gives what took them, the worst severity open, and the state
/// to remember (with `--new-only`), its held alerts counted.
fn raise_open<'s, S: Shows>(
    ctx: &Context,
    filter: &Filter,
    old: Option<&'s State>,
    mut fresh: impl FnMut() -> S,
) -> Result<(S, Option<Severity>, Option<state::Update<'s>>)> {
    let p = &ctx.pipeline;
    let mut worst = None;
    type Sink<'s, S> = (
        S,
        Option<anyhow::Error>,
        Option<(state::Update<'s>, alerts::Repeats)>,
    );
    let (shows, failed, remembered) = raise_into(
        ctx,
        || {
            let remember = old.map(|old| {
                (
                    state::Update::new(old, ctx.today),
                    alerts::Repeats::default(),
                )
            });
            Ok((fresh(), None, remember))
        },
        |(shows, failed, remember): &mut Sink<'s, S>, found: &mut [Alert]| {
            // In rule order within the row, as [`alerts::sort`] leaves them.
            found.sort_by_key(Alert::rule);
            for x in found.iter_mut() {
                if let Some((_, repeats)) = remember {
                    repeats.number(p, x);
                }
                if !filter.accepts_alert(x) {
                    continue;
                }
                worst = worst.max(Some(x.severity));
                let due = match remember {
                    Some((update, _)) => update.take(p, x),
                    None => true,
                };
                if !due {
                    shows.hold(x);
                } else if failed.is_none() {
                    *failed = shows.show(x).err();
                }
            }
        },
    )?;
    if let Some(e) = failed {
        return Err(crate::output::spool::failed("the alerts", &e));
    }
    Ok((shows, worst, remembered.map(|(update, _)| update)))
}

/// The state to write once the run is done: when it changed, or the file is new.
fn changed(
    update: Option<state::Update>,
    old: Option<&State>,
    filter: &Filter,
    path: Option<&PathBuf>,
) -> Option<State> {
    let (update, old, path) = (update?, old?, path?);
    let next = update.finish(filter);
    (next != *old || !path.exists()).then_some(next)
}

/// One report, alert by alert: each alert is written into its severity's
/// spool as it is raised and none is kept (with `--new-only`, only its
/// record for the state file).
fn streamed(ctx: &Context, a: &Args, filter: &Filter, format: Format) -> Result<Ran> {
    let old = a.state.as_deref().map(read_state).transpose()?;
    let head = Head::new(&ctx.pipeline, ctx.today);
    let (mut report, worst, update) = raise_open(ctx, filter, old.as_ref(), || {
        Writer::new(head.clone(), format, a.output.excel)
    })?;
    if let Some(u) = &update {
        report.set_held(u.held);
    }
    let next_state = changed(update, old.as_ref(), filter, a.state.as_ref());
    let nothing = report.is_empty();
    // A file is always written, so that it never shows yesterday's alerts.
    if !nothing || a.verbose || a.output.output.is_some() {
        a.output
            .write_with(!nothing || a.verbose, |out| report.finish(out))?;
    }
    Ok((worst, next_state))
}

/// `--split-by owner`, alert by alert: one report per salesperson (named
/// after the file stem of the owner) and `_all`, each written into its
/// spools as the alerts are raised.
struct Split<'p> {
    head: Head<'p>,
    format: Format,
    excel: bool,
    all: Writer<'p>,
    owners: HashMap<String, Owner<'p>>,
    /// Alerts held back (`--new-only`), by file stem.
    held: HashMap<String, usize>,
}

/// One salesperson's report, and the owner's name as its first alert in
/// the report's order gives it (critical alerts come first).
struct Owner<'p> {
    first_critical: Option<String>,
    first: String,
    report: Writer<'p>,
}

impl Shows for Split<'_> {
    fn show(&mut self, x: &Alert) -> Result<()> {
        self.all.push(x)?;
        let owner = self
            .owners
            .entry(file_stem(x.owner()))
            .or_insert_with(|| Owner {
                first_critical: None,
                first: x.owner().to_string(),
                report: Writer::new(self.head.clone(), self.format, self.excel),
            });
        if x.severity == Severity::Critical && owner.first_critical.is_none() {
            owner.first_critical = Some(x.owner().to_string());
        }
        owner.report.push(x)
    }

    fn hold(&mut self, x: &Alert) {
        *self.held.entry(file_stem(x.owner())).or_default() += 1;
    }
}

/// `--split-by owner`: one file per salesperson (`_unassigned` for deals
/// without one) and `_all` with everything, each named after the owner:
/// `elodie-garnier.csv`.
fn split(ctx: &Context, a: &Args, filter: &Filter, format: Format, dir: &Path) -> Result<Ran> {
    let old = a.state.as_deref().map(read_state).transpose()?;
    let head = Head::new(&ctx.pipeline, ctx.today);
    let (split, worst, update) = raise_open(ctx, filter, old.as_ref(), || Split {
        head: head.clone(),
        format,
        excel: a.output.excel,
        all: Writer::new(head.clone(), format, a.output.excel),
        owners: HashMap::new(),
        held: HashMap::new(),
    })?;
    let next_state = changed(update, old.as_ref(), filter, a.state.as_ref());
    if split.all.is_empty() && !a.verbose {
        return Ok((worst, next_state));
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    let ext = format.extension();
    let mut owners: Vec<(String, Owner)> = split.owners.into_iter().collect();
    owners.sort_by(|a, b| a.0.cmp(&b.0));
    let written = owners.len();
    for (stem, owner) in owners {
        let mut report = owner.report;
        report.set_owner(owner.first_critical.unwrap_or(owner.first));
        report.set_held(split.held.get(&stem).copied().unwrap_or(0));
        write_file(&dir.join(format!("{stem}.{ext}")), report)?;
    }
    let mut all = split.all;
    all.set_held(split.held.values().sum());
    write_file(&dir.join(format!("_all.{ext}")), all)?;
    eprintln!(
        "wrote {} file{} in {}",
        written + 1,
        if written == 0 { "" } else { "s" },
        dir.display()
    );
    Ok((worst, next_state))
}

fn write_file(path: &Path, report: Writer) -> Result<()> {
    crate::store::write_atomic_with(path, |out| report.finish(out))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Reads the journal, then each register row, and hands each row's alerts
/// to `each`, in register order, into what `start` makes. The rules read
/// the journal's briefs; when one falls short, what was made is dropped and
/// the run starts again from the full history.
///
/// For a large register the alerts are raised on a second thread and taken
/// by `each` on this one as they come, a batch at a time: writing them out
/// costs about as much as raising them.
fn raise_into<S>(
    ctx: &Context,
    mut start: impl FnMut() -> Result<S>,
    mut each: impl FnMut(&mut S, &mut [Alert]),
) -> Result<S> {
    let full = std::env::var_os("PIPE_HISTORY").is_some_and(|v| v == "full");
    let len = std::fs::metadata(&ctx.pipeline.register.path).map_or(0, |m| m.len());
    let concurrent = crate::par::worth_it(len);
    for full in [full, true] {
        let mut sink = start()?;
        let raised = if concurrent {
            crate::par::pipelined(
                |feed: &mut crate::par::Feed<Found>| {
                    let mut batch = Found::default();
                    let mut taken = true;
                    let raised = raise(ctx, full, &mut |mut found| {
                        // A row without alerts has nothing to take.
                        if taken && !found.is_empty() {
                            batch.alerts.append(&mut found);
                            batch.ends.push(batch.alerts.len());
                            if batch.alerts.len() >= ALERTS_PER_BATCH {
                                taken = feed.pass(&mut batch);
                            }
                        }
                    })?;
                    feed.pass(&mut batch);
                    Ok(raised)
                },
                |batch| {
                    let mut start = 0;
                    for &end in &batch.ends {
                        each(&mut sink, &mut batch.alerts[start..end]);
                        start = end;
                    }
                },
            )?
        } else {
            raise(ctx, full, &mut |mut found| each(&mut sink, &mut found))?
        };
        if let Some((journal, errors)) = raised {
            if errors > 0 {
                eprintln!(
                    "pipe: warning: {journal} has {errors} unreadable entr{}; decision_slipped counts the others\n  hint: `pipe check` lists them",
                    if errors == 1 { "y" } else { "ies" }
                );
            }
            return Ok(sink);
        }
    }
    unreachable!("the full history answers every question the rules ask")
}

/// How many alerts the raising thread hands over at a time.
const ALERTS_PER_BATCH: usize = 512;

/// The alerts of a run of rows, raised on one thread for another to take.
#[derive(Default)]
struct Found {
    alerts: Vec<Alert>,
    /// Where each row's alerts end.
    ends: Vec<usize>,
}

impl crate::par::Batch for Found {
    fn clear(&mut self) {
        self.alerts.clear();
        self.ends.clear();
    }
}

/// One pass over the journal gives the index `pipe check` uses and what the
/// rules read of the prospects' past (briefs, or the `full` history); the
/// register then streams past, row by row, each row's alerts going to
/// `each`. Gives the journal's name and its count of unreadable entries, or
/// `None` when a brief fell short and the run is to be made again in full.
fn raise(
    ctx: &Context,
    full: bool,
    each: &mut dyn FnMut(Vec<Alert>),
) -> Result<Option<(String, usize)>> {
    let p = &ctx.pipeline;
    let file = p.register.journal.display().to_string();
    // The register's cache is checked on another thread while the journal is read.
    let mut early = crate::summary::Early::start_rows(p);
    let ((mut index, past), ids, scan) = digest::scan_holding(
        &p.register.journal,
        p,
        early.hold(),
        || {
            (
                validation::Index::new(file.clone()),
                alerts::history::Gather::new(p, ctx.today, full),
            )
        },
        |(index, past), s| {
            index.take(s);
            past.add(s);
        },
    )?;
    // One numbering, in the ids' order, for the index and the past: a row
    // looks its id up once, and both through memory in order.
    let past = past.finish_with(&mut index, ids);
    let errors = scan
        .diags
        .iter()
        .filter(|d| d.severity == DiagSeverity::Error)
        .count();
    let mut short = false;
    validation::scan_register(p, &mut index, early, |row| {
        if short {
            return;
        }
        match alerts::raise_row(p, row, &past, ctx.today) {
            Ok(found) => each(found),
            Err(alerts::Short) => short = true,
        }
    })?
    .map_err(|d| invalid(d.to_string()))?;
    Ok((!short).then_some((scan.file, errors)))
}

fn read_state(path: &Path) -> Result<State> {
    match std::fs::read_to_string(path) {
        Ok(text) => State::parse(&text).map_err(|e| {
            invalid(format!(
                "{}: this is not a `pipe alerts` state file: {e}\n  hint: delete it (the next run reports every open alert again), or point `--state` at another file",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
        Err(e) => Err(anyhow::Error::new(e)
            .context(format!("cannot read the alert state {}", path.display()))),
    }
}

/// A file name for a salesperson: lower case ASCII letters, digits and `-`.
fn file_stem(owner: &str) -> String {
    let mut out = String::new();
    for c in fold(owner).chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "_unassigned".into()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::file_stem;

    #[test]
    fn file_names_for_owners() {
        assert_eq!(file_stem("Élodie Garnier"), "elodie-garnier");
        assert_eq!(file_stem("  "), "_unassigned");
        assert_eq!(file_stem("J.-P. O'Neil"), "j-p-o-neil");
    }
}
