//! `pipe move`: change a prospect's stage, checking the pipeline's rules.

use crate::batch::{self, Batch};
use crate::cli::Global;
use crate::context::{self, Context};
use crate::error::{Exit, invalid, refused};
use crate::moves::{MoveRequest, Moved, apply_moves};
use crate::pipeline::Pipeline;
use crate::render;
use crate::workset::{EntryBase, Wanted, Workset};
use anyhow::Result;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Move a prospect to another stage.
///
/// Checks that the stage may follow the current one (`next`), that the
/// stage's required fields are filled once the `--set` values are applied,
/// and for lost stages that the reason is one the stage accepts. Then updates
/// the stage and its date in the register and records the move in the journal.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The prospect's id.
    #[arg(required_unless_present = "batch")]
    id: Option<String>,
    /// The stage to move to (id or label; case and accents do not matter).
    #[arg(required_unless_present = "batch")]
    stage: Option<String>,
    /// The date of the move (default: today).
    #[arg(long, value_name = "DATE")]
    on: Option<String>,
    /// Why (for a lost stage, the lost reason if none is set).
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    /// A note for the journal.
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
    /// Who made the move (default: PIPE_USER, then the login name).
    #[arg(long, value_name = "NAME")]
    by: Option<String>,
    /// Also set a field (repeatable), such as `--set expected_close=2027-01-15`.
    #[arg(long = "set", value_name = "FIELD=VALUE", value_parser = super::parse_assignment)]
    sets: Vec<(String, String)>,
    /// Apply the moves listed in a CSV file, all or nothing: columns id, stage, and optionally date, reason, note, by and any field.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["id", "stage", "on", "reason", "note", "sets"])]
    batch: Option<PathBuf>,
    /// Show what would change and write nothing.
    #[arg(long, short = 'n')]
    dry_run: bool,
}

pub fn run(g: &Global, a: Args) -> Result<Exit> {
    let ctx = Context::load(g)?;
    let requests = match &a.batch {
        Some(path) => read_batch(&ctx, path, a.by.as_deref())?,
        None => vec![MoveRequest {
            id: a.id.clone().unwrap_or_default(),
            stage: a.stage.clone().unwrap_or_default(),
            on: a
                .on
                .as_deref()
                .map(|s| ctx.parse_date("--on", s))
                .transpose()?,
            reason: a.reason.clone().unwrap_or_default(),
            note: a.note.clone().unwrap_or_default(),
            by: String::new(),
            sets: a.sets.clone(),
            line: 0,
        }],
    };
    let wanted: Wanted = requests.iter().map(|r| r.id.as_str()).collect();
    let ids: Vec<String> = wanted.ids().cloned().collect();
    let mut ws = Workset::load_lean(&ctx.pipeline, |id, h| wanted.contains(id, h), &ids)?;
    let base = EntryBase::new(&ctx, ctx.today, context::who(a.by.as_deref()))?;
    let mut done: Vec<Moved> = Vec::with_capacity(requests.len());
    let mut refusals = Vec::new();
    // A move makes two entries: its stage, and the date it entered it or its lost reason.
    ws.entries.reserve(2 * requests.len());
    let outcomes = apply_moves(&mut ws, ctx.today, &requests, &base);
    for (req, outcome) in requests.iter().zip(outcomes) {
        match outcome {
            Ok(Some(m)) => done.push(m),
            Ok(None) => eprintln!("`{}` is already in {}; nothing to do", req.id, req.stage),
            Err(why) => refusals.push(match &a.batch {
                Some(path) => format!("{}:{}: {why}", path.display(), req.line),
                None => why,
            }),
        }
    }
    let p = &ctx.pipeline;
    let mut out = std::io::stdout().lock();
    if a.dry_run {
        for m in &done {
            writeln!(
                out,
                "would move {} ({}) from {} to {} on {}",
                m.id,
                m.name,
                m.from,
                m.to,
                render::date(p, m.date)
            )?;
            for s in &m.sets {
                writeln!(out, "  and set {s}")?;
            }
        }
        for r in &refusals {
            writeln!(out, "refused: {r}")?;
        }
        return Ok(if refusals.is_empty() {
            Exit::Ok
        } else {
            Exit::Refused
        });
    }
    if !refusals.is_empty() {
        let head = if a.batch.is_some() {
            format!(
                "{} of {} moves refused; nothing was written\n",
                refusals.len(),
                requests.len()
            )
        } else {
            String::new()
        };
        return Err(refused(format!("{head}{}", refusals.join("\n"))));
    }
    let journal_entries = ws.entries.len();
    let file = ws.file.clone();
    // What a batch read is freed by the thread that tells of its moves.
    let lines = commit_telling(ws, done, (requests, wanted, ids), p)?;
    // Buffered: a batch tells of thousands of moves. The moves are written
    // by now, so a standard error that cannot be written to changes nothing.
    let mut told = std::io::BufWriter::new(std::io::stderr().lock());
    let _ = told.write_all(lines.as_bytes());
    if journal_entries > 0 {
        let _ = writeln!(
            told,
            "wrote {file} and {}",
            crate::moves::entries(journal_entries)
        );
    }
    let _ = told.flush();
    Ok(Exit::Ok)
}

/// Commits the moves and gives the lines that tell of them, one per move;
/// a batch's thousands of lines are made while the register is written, on
/// the thread that frees its rows (and dropped if the commit fails), which
/// then frees the moves and what else is `done_with`.
fn commit_telling(
    ws: Workset,
    done: Vec<Moved>,
    done_with: impl Send,
    p: &Pipeline,
) -> Result<String> {
    let many = done.len() >= 1024;
    let tell = move || {
        let mut lines = String::new();
        for m in &done {
            lines.push_str(&m.describe(p));
            lines.push('\n');
        }
        drop((done, done_with));
        lines
    };
    let (committed, lines) = ws.commit_beside(many, tell);
    committed?;
    Ok(lines)
}

/// Reads a batch of moves: a CSV with a header; `id` and `stage` required.
fn read_batch(ctx: &Context, path: &Path, by: Option<&str>) -> Result<Vec<MoveRequest>> {
    let batch = Batch::read(path)?;
    let shown = &batch.file;
    let col = |name: &str| batch.col(name);
    let (Some(id_col), Some(stage_col)) = (col("id"), col("stage")) else {
        return Err(invalid(format!(
            "{shown}:1: the batch file needs `id` and `stage` columns; its header is `{}`\n  hint: optional columns are date, reason, note, by and any field to set",
            batch.headers.join(",")
        )));
    };
    let (date_col, reason_col, note_col, by_col) =
        (col("date"), col("reason"), col("note"), col("by"));
    let special = [
        Some(id_col),
        Some(stage_col),
        date_col,
        reason_col,
        note_col,
        by_col,
    ];
    let mut out = Vec::new();
    for (line, rec) in &batch.rows {
        let get = |c: Option<usize>| batch::get(rec, c);
        let date = get(date_col);
        let on = if date.is_empty() {
            None
        } else {
            Some(
                ctx.pipeline
                    .register
                    .date_formats
                    .parse_date(&date)
                    .ok_or_else(|| {
                        invalid(format!(
                            "{shown}:{line}:{}: `{date}` is not a date\n  hint: write it as {}",
                            date_col.unwrap_or(0) + 1,
                            ctx.pipeline.register.date_formats.describe()
                        ))
                    })?,
            )
        };
        let sets = batch
            .headers
            .iter()
            .enumerate()
            .filter(|(c, _)| !special.contains(&Some(*c)))
            .filter_map(|(c, h)| {
                rec.get(c)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (h.clone(), v.clone()))
            })
            .collect();
        let who = get(by_col);
        out.push(MoveRequest {
            id: get(Some(id_col)),
            stage: get(Some(stage_col)),
            on,
            reason: get(reason_col),
            note: get(note_col),
            by: if who.is_empty() {
                by.unwrap_or_default().to_string()
            } else {
                who
            },
            sets,
            line: *line as u64,
        });
    }
    Ok(out)
}
