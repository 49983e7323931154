//! `pipe log`: record time spent on a prospect in the activity log.

use crate::activity::{self, Activity};
use crate::batch::{self, Batch};
use crate::cli::Global;
use crate::context::{self, Context};
use crate::error::{Exit, failure, invalid};
use crate::field::Field;
use crate::hours::Hours;
use crate::pipeline::ActivitiesConfig;
use crate::register::Reader;
use crate::render;
use crate::store::{self, AppendLog};
use crate::text::{or_list, suggest};
use anyhow::Result;
use chrono::{DateTime, FixedOffset};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

/// Log time spent on a prospect.
///
/// Appends a line to the activity log named under [activities] in the
/// pipeline: the day, the prospect, the kind of activity, the hours, who did
/// the work and a note. `pipe effort` measures the sales effort from it.
/// Hours are written `1.5`, `1,5`, `1h30` or `90min`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The prospect's id.
    #[arg(required_unless_present = "batch")]
    id: Option<String>,
    /// Time spent: `1.5`, `1,5`, `1h30` or `90min`.
    #[arg(long, value_name = "H", required_unless_present = "batch")]
    hours: Option<String>,
    /// The kind of activity, id or label (default: the first kind declared).
    #[arg(long)]
    kind: Option<String>,
    /// The day of the work (default: today).
    #[arg(long, value_name = "DATE")]
    on: Option<String>,
    /// Who did the work (default: PIPE_USER, then the login name).
    #[arg(long, value_name = "NAME")]
    by: Option<String>,
    /// A note.
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
    /// Log the activities of a CSV file, all or nothing: columns id and hours, and optionally date, kind, by and note.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["id", "hours", "kind", "on", "note"])]
    batch: Option<PathBuf>,
    /// Show what would be logged and write nothing.
    #[arg(long, short = 'n')]
    dry_run: bool,
}

/// One activity as typed, before it is checked.
struct Request {
    /// The batch line it comes from, if any.
    line: Option<usize>,
    id: String,
    hours: String,
    kind: String,
    on: String,
    by: String,
    note: String,
}

pub fn run(g: &Global, a: Args) -> Result<Exit> {
    let ctx = Context::load(g)?;
    let p = &ctx.pipeline;
    let cfg = p.activities.as_ref().ok_or_else(|| {
        invalid(format!(
            "{} keeps no activity log\n  hint: add an [activities] section with the log's `path` and its kinds; see docs/effort.md",
            p.source.display()
        ))
    })?;
    let by = context::who(a.by.as_deref());
    let requests = match &a.batch {
        Some(path) => read_batch(path, &by)?,
        None => vec![Request {
            line: None,
            id: a.id.clone().unwrap_or_default(),
            hours: a.hours.clone().unwrap_or_default(),
            kind: a.kind.clone().unwrap_or_default(),
            on: a.on.clone().unwrap_or_default(),
            by,
            note: a.note.clone().unwrap_or_default(),
        }],
    };
    let _lock = store::lock(&p.register.path)?;
    store::check_office_locks(&cfg.path)?;
    let names = prospect_names(&ctx)?;
    let at = recording_time(&ctx, cfg)?;
    let batch_file = a.batch.as_ref().map(|b| b.display().to_string());
    let mut activities = Vec::new();
    let mut problems: Vec<(Exit, String)> = Vec::new();
    for r in &requests {
        match check(&ctx, cfg, &names, r, at) {
            Ok(x) => activities.push(x),
            Err((exit, why)) => problems.push(match (&batch_file, r.line) {
                (Some(f), Some(line)) => (exit, format!("{f}:{line}: {why}")),
                _ => (exit, why),
            }),
        }
    }
    let mut out = std::io::stdout().lock();
    if a.dry_run {
        for x in &activities {
            writeln!(out, "would log {}", describe(&ctx, cfg, &names, x))?;
        }
        for (_, why) in &problems {
            writeln!(out, "refused: {why}")?;
        }
        return Ok(worst(&problems).unwrap_or(Exit::Ok));
    }
    if let Some(exit) = worst(&problems) {
        let head = if a.batch.is_some() {
            format!(
                "{} of {} activities refused; nothing was written\n",
                problems.len(),
                requests.len()
            )
        } else {
            String::new()
        };
        let lines: Vec<&str> = problems.iter().map(|(_, w)| w.as_str()).collect();
        return Err(failure(exit, format!("{head}{}", lines.join("\n"))));
    }
    if activities.is_empty() {
        eprintln!("the batch file lists no activity; nothing was written");
        return Ok(Exit::Ok);
    }
    let records: Vec<Vec<String>> = activities.iter().map(|x| x.record(cfg)).collect();
    AppendLog {
        path: &cfg.path,
        header: &activity::HEADER,
    }
    .append_all(&records)?;
    let file = cfg.path.display();
    if let [x] = activities.as_slice() {
        eprintln!("logged {}; wrote {file}", describe(&ctx, cfg, &names, x));
    } else {
        let total: Hours = activities.iter().map(|x| x.hours).sum();
        eprintln!(
            "logged {} activities, {} in all; wrote {file}",
            activities.len(),
            render::duration(p, total)
        );
    }
    Ok(Exit::Ok)
}

/// The exit code of a set of refusals: a malformed line (usage, invalid file) before a rule.
fn worst(problems: &[(Exit, String)]) -> Option<Exit> {
    problems.iter().map(|(e, _)| *e).min_by_key(|e| *e as u8)
}

/// `1,5 h of Appel on P-0012 (Fonderie du Forez) on 27/11/2026 by Karim Benali`
fn describe(
    ctx: &Context,
    cfg: &ActivitiesConfig,
    names: &BTreeMap<String, String>,
    x: &Activity,
) -> String {
    let p = &ctx.pipeline;
    let name = names
        .get(&x.id)
        .filter(|n| !n.is_empty())
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    format!(
        "{} of {} on {}{name} on {} by {}",
        render::duration(p, x.hours),
        cfg.kinds[x.kind].label,
        x.id,
        render::date(p, x.date),
        x.by
    )
}

/// Checks one request; a refusal comes with its exit code.
fn check(
    ctx: &Context,
    cfg: &ActivitiesConfig,
    names: &BTreeMap<String, String>,
    r: &Request,
    at: DateTime<FixedOffset>,
) -> Result<Activity, (Exit, String)> {
    let p = &ctx.pipeline;
    // A typo on the command line is a usage error; in a batch file, the file is invalid.
    let malformed = if r.line.is_some() {
        Exit::Invalid
    } else {
        Exit::Usage
    };
    let id = r.id.trim();
    if !names.contains_key(id) {
        let near = suggest(id, names.keys().map(String::as_str));
        let hint = if near.is_empty() {
            "`pipe list` shows the prospects and their ids".to_string()
        } else {
            format!("did you mean {}?", or_list(&near))
        };
        return Err((
            Exit::Refused,
            format!(
                "no prospect has the id `{id}` in {}\n  hint: {hint}",
                p.register.path.display()
            ),
        ));
    }
    let hours = activity::hours(&r.hours).map_err(|e| (malformed, e))?;
    let kind = if r.kind.trim().is_empty() {
        0
    } else {
        cfg.find_kind(&r.kind)
            .ok_or_else(|| (malformed, cfg.unknown_kind(r.kind.trim())))?
    };
    let date = if r.on.trim().is_empty() {
        ctx.today
    } else {
        p.register.date_formats.parse_date(&r.on).ok_or_else(|| {
            (
                malformed,
                format!(
                    "`{}` is not a date; write it as {}",
                    r.on.trim(),
                    p.register.date_formats.describe()
                ),
            )
        })?
    };
    if date > ctx.today {
        return Err((
            Exit::Refused,
            format!(
                "the date {} is after today ({}): log work once it is done",
                render::date(p, date),
                render::date(p, ctx.today)
            ),
        ));
    }
    Ok(Activity {
        at,
        date,
        id: id.to_string(),
        kind,
        hours,
        by: r.by.trim().to_string(),
        note: r.note.trim().to_string(),
        line: 0,
    })
}

/// The register's ids, each with the name `pipe` shows for the prospect.
fn prospect_names(ctx: &Context) -> Result<BTreeMap<String, String>> {
    let mut reader = Reader::open(&ctx.pipeline)?;
    let col = |f: Field| reader.schema.col(f);
    let (id_col, company, name) = (
        col(Field::Id).expect("schema has an id column"),
        col(Field::Company),
        col(Field::Name),
    );
    let mut out = BTreeMap::new();
    while let Some(row) = reader.next_row()? {
        let Ok(id) = row.cell(id_col) else { continue };
        let text = |c: Option<usize>| {
            c.and_then(|c| row.cell(c).ok())
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let shown = Some(text(company))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| text(name));
        out.insert(id.trim().to_string(), shown);
    }
    Ok(out)
}

/// The recording time: now, kept after the log's last line so that one command's lines form one group.
fn recording_time(ctx: &Context, cfg: &ActivitiesConfig) -> Result<DateTime<FixedOffset>> {
    let mut at = ctx.now;
    if let Some(last) = crate::journal::last_at(&cfg.path)?
        && last >= at
    {
        at = (last + chrono::Duration::milliseconds(1)).with_timezone(at.offset());
    }
    Ok(at)
}

/// Reads a batch of activities: a CSV with a header; `id` and `hours` required.
fn read_batch(path: &std::path::Path, by: &str) -> Result<Vec<Request>> {
    let batch = Batch::read(path)?;
    let (Some(id_col), Some(hours_col)) = (batch.col("id"), batch.col("hours")) else {
        return Err(invalid(format!(
            "{}:1: the batch file needs `id` and `hours` columns; its header is `{}`\n  hint: optional columns are date, kind, by and note",
            batch.file,
            batch.headers.join(",")
        )));
    };
    let (date_col, kind_col, by_col, note_col) = (
        batch.col("date"),
        batch.col("kind"),
        batch.col("by"),
        batch.col("note"),
    );
    Ok(batch
        .rows
        .iter()
        .map(|(line, rec)| {
            let get = |c| batch::get(rec, c);
            let who = get(by_col);
            Request {
                line: Some(*line),
                id: get(Some(id_col)),
                hours: get(Some(hours_col)),
                kind: get(kind_col),
                on: get(date_col),
                by: if who.is_empty() { by.to_string() } else { who },
                note: get(note_col),
            }
        })
        .collect())
}
