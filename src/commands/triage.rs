//! `pipe triage`: the prospects whose data says they belong in another
//! stage, and, with `--apply`, their moves through the checks of `pipe move`.

use crate::cli::Global;
use crate::context::{self, Context};
use crate::error::{Exit, invalid, refused};
use crate::moves::{MoveRequest, apply_moves};
use crate::output::{Format, OutputArgs};
use crate::triage::{self, Report};
use crate::validation;
use crate::workset::{EntryBase, Wanted, Workset};
use anyhow::Result;

/// List the prospects whose expected decision says they belong in another stage.
///
/// A deal's expected decision date (`expected_close`) must fall in its
/// stage's decision window; when it does not, triage names the stage whose
/// window it fits (one the current stage may move to and whose required
/// fields are filled, when there is one) and why. Writes nothing unless
/// `--apply`, which moves those it can through the same checks and journal
/// as `pipe move`, all or nothing.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only this salesperson's prospects (case and accents do not matter).
    #[arg(long, value_name = "NAME")]
    owner: Option<String>,
    /// Move the prospects that can move to the stage that fits.
    #[arg(long)]
    apply: bool,
    /// Show what would move and write nothing (the default).
    #[arg(long, short = 'n', conflicts_with = "apply")]
    dry_run: bool,
    /// Who made the moves (default: PIPE_USER, then the login name).
    #[arg(long, value_name = "NAME")]
    by: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

pub fn run(g: &Global, a: Args) -> Result<Exit> {
    let ctx = Context::load(g)?;
    let p = &ctx.pipeline;
    let format = a.output.resolve(&Format::LISTS)?;
    // The register streams past its checks; only the rows to triage are kept.
    let mut early = crate::summary::Early::start_rows(p);
    let (mut index, _) = validation::Index::scan(p, early.hold())?;
    let owner = a.owner.as_deref().map(crate::text::fold);
    let mut items = Vec::new();
    validation::scan_register(p, &mut index, early, |row| {
        items.extend(triage::item(p, row, ctx.today, owner.as_deref()))
    })?
    .map_err(|d| invalid(d.to_string()))?;
    // `--dry-run` is what triage does unless `--apply`.
    if a.dry_run || !a.apply {
        if items.is_empty() {
            eprintln!("no prospect to triage: every expected decision fits its stage's window");
            return Ok(Exit::Ok);
        }
        let report = Report {
            p,
            today: ctx.today,
            items,
        };
        a.output.emit(&report.render(format, a.output.excel)?)?;
        return Ok(Exit::Ok);
    }

    let requests: Vec<MoveRequest> = items
        .iter()
        .filter_map(|it| {
            it.target().map(|to| MoveRequest {
                id: it.id.clone(),
                stage: p.stages[to].id.clone(),
                reason: "pipe triage".into(),
                note: it.mismatch.message.clone(),
                ..MoveRequest::default()
            })
        })
        .collect();
    for it in items.iter().filter(|it| it.target().is_none()) {
        eprintln!(
            "not moved: {} ({}): {}",
            it.id, it.name, it.mismatch.message
        );
    }
    if requests.is_empty() {
        eprintln!("nothing to move");
        return Ok(Exit::Ok);
    }
    let wanted: Wanted = requests.iter().map(|r| r.id.as_str()).collect();
    let ids: Vec<String> = wanted.ids().cloned().collect();
    let mut ws = Workset::load_lean(p, |id, h| wanted.contains(id, h), &ids)?;
    let base = EntryBase::new(&ctx, ctx.today, context::who(a.by.as_deref()))?;
    let mut done = Vec::new();
    let mut refusals = Vec::new();
    for outcome in apply_moves(&mut ws, ctx.today, &requests, &base) {
        match outcome {
            Ok(Some(m)) => done.push(m),
            Ok(None) => {}
            Err(why) => refusals.push(why),
        }
    }
    if !refusals.is_empty() {
        return Err(refused(format!(
            "{} of {} moves refused; nothing was written\n{}",
            refusals.len(),
            requests.len(),
            refusals.join("\n")
        )));
    }
    let entries = ws.entries.len();
    let file = ws.file.clone();
    ws.commit()?;
    for m in &done {
        eprintln!("{}", m.describe(p));
    }
    if entries > 0 {
        eprintln!("wrote {file} and {}", crate::moves::entries(entries));
    }
    Ok(Exit::Ok)
}
