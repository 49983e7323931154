//! `pipe show`: one prospect's fields and its history, with the time spent in each stage.

use crate::cli::Global;
use crate::context::Context;
use crate::error::{Exit, refused};
use crate::field::Field;
use crate::journal::Journal;
use crate::register::Reader;
use crate::render;
use anyhow::Result;
use std::io::Write;

/// Show a prospect: its fields, then its journal history.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The prospect's id.
    id: String,
}

pub fn run(g: &Global, a: Args) -> Result<Exit> {
    let ctx = Context::load(g)?;
    let p = &ctx.pipeline;
    // A large journal is searched on a second thread while the register is read.
    let path = &p.register.journal;
    let journal_len = std::fs::metadata(path).map_or(0, |m| m.len());
    let (found, history) = std::thread::scope(|s| {
        let search = crate::par::worth_it(journal_len)
            .then(|| {
                std::thread::Builder::new()
                    .name("pipe-journal".into())
                    .spawn_scoped(s, || history_of(p, &a.id))
                    .ok()
            })
            .flatten();
        let found = find_row(p, &a.id);
        let history = match search.map(|h| h.join()) {
            Some(Ok(h)) => h,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => match &found {
                Ok(_) => history_of(p, &a.id),
                Err(_) => Ok(Vec::new()),
            },
        };
        (found, history)
    });
    let (reader, cells) = found?;
    let kept = history?;
    let mut out = std::io::stdout().lock();
    let width = reader
        .schema
        .headers
        .iter()
        .map(|h| h.chars().count())
        .max()
        .unwrap_or(0);
    for (h, v) in reader.schema.headers.iter().zip(&cells) {
        let v = v
            .replace("\r\n", "\n")
            .replace('\n', &format!("\n{:width$}  ", ""));
        writeln!(out, "{h:width$}  {v}")?;
    }
    if let Ok(x) = crate::prospect::Prospect::parse(
        |c| cells.get(c).map_or("", String::as_str),
        &reader.schema,
        p,
        &mut Default::default(),
    ) {
        stage_panel(&mut out, &ctx, &x)?;
    }
    let journal = Journal {
        file: path.display().to_string(),
        entries: kept,
    };
    let entries = &journal.entries;
    if entries.is_empty() {
        writeln!(out, "\nno history in {}", journal.file)?;
        return Ok(Exit::Ok);
    }
    writeln!(out, "\nHistory ({})", journal.file)?;
    let events = journal
        .stage_events(p)
        .remove(a.id.as_str())
        .unwrap_or_default();
    let mut t = render::table(&["Date", "Change", "By", "Reason / note", "Days"]);
    for e in entries {
        let label = |v: &str| {
            p.find_stage(v)
                .map_or(v.to_string(), |i| p.stages[i].label.clone())
        };
        let change = if e.is_stage() {
            match (e.from.is_empty(), e.to.is_empty()) {
                (true, false) => format!("{} → {}", e.kind.key(), label(&e.to)),
                (false, true) => format!("{}: {} → (removed)", e.kind.key(), label(&e.from)),
                _ => format!("{}: {} → {}", e.kind.key(), label(&e.from), label(&e.to)),
            }
        } else {
            format!(
                "{} {}: {} → {}",
                e.kind.key(),
                e.field,
                if e.from.is_empty() {
                    "(empty)"
                } else {
                    &e.from
                },
                if e.to.is_empty() { "(empty)" } else { &e.to }
            )
        };
        let days = if e.is_stage() {
            events.iter().position(|ev| ev.line == e.line).map(|k| {
                let end = events.get(k + 1).map_or(ctx.today, |n| n.date);
                let n = (end - e.date).num_days();
                if k + 1 == events.len() {
                    format!("{n} (so far)")
                } else {
                    n.to_string()
                }
            })
        } else {
            None
        };
        let why = [e.reason.as_str(), e.note.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" — ");
        t.add_row(vec![
            render::date(p, e.date),
            change,
            e.by.clone(),
            why,
            days.unwrap_or_default(),
        ]);
    }
    render::align_right(&mut t, &[4]);
    writeln!(out, "{t}")?;
    Ok(Exit::Ok)
}

/// The register as read up to the row of prospect `id`, and that row's cells.
fn find_row(p: &crate::pipeline::Pipeline, id: &str) -> Result<(Reader, Vec<String>)> {
    let mut reader = Reader::open(p)?;
    let id_col = reader.schema.col(Field::Id).expect("id column");
    while let Some(row) = reader.next_row()? {
        if row
            .cell(id_col)
            .map_err(|d| crate::error::invalid(d.to_string()))?
            .trim()
            == id
        {
            let cells = row
                .cells()
                .map_err(|d| crate::error::invalid(d.to_string()))?;
            return Ok((reader, cells));
        }
    }
    Err(refused(format!(
        "no prospect has the id `{id}` in {}\n  hint: `pipe list` shows the prospects and their ids",
        reader.file
    )))
}

/// The journal entries of prospect `id`, in order: only the lines holding
/// the id are parsed; or, when that search cannot tell, this prospect's
/// entries are kept as the whole journal streams past.
fn history_of(p: &crate::pipeline::Pipeline, id: &str) -> Result<Vec<crate::journal::Entry>> {
    let path = &p.register.journal;
    if let Some(kept) = crate::journal::search::entries_of(path, p, id)? {
        return Ok(kept);
    }
    let mut kept = Vec::new();
    Journal::scan(path, p, |e| {
        if e.id == id {
            kept.push(e.owned());
        }
    })?;
    Ok(kept)
}

/// What the prospect's stage means and whether the prospect meets it.
fn stage_panel(out: &mut impl Write, ctx: &Context, x: &crate::prospect::Prospect) -> Result<()> {
    let p = &ctx.pipeline;
    let s = &p.stages[x.stage];
    let term = |t: crate::term::Term| match p.locale {
        crate::pipeline::Locale::Fr => t.french(),
        crate::pipeline::Locale::En => t.to_string(),
    };
    writeln!(
        out,
        "\nStage {}: {}, {}, probability {}",
        s.label,
        s.phase.key(),
        s.outcome.key(),
        render::percent(p, x.probability(p))
    )?;
    if !s.criteria.is_empty() {
        writeln!(out, "  criteria: {}", s.criteria)?;
    }
    if let Some(since) = x.stage_since {
        let days = (ctx.today - since).num_days();
        let state = match &s.stale_after {
            Some(h) if ctx.today > h.term.after(since) => {
                format!("; past its limit of {}", term(h.term))
            }
            Some(h) => format!("; limit {}", term(h.term)),
            None => String::new(),
        };
        writeln!(
            out,
            "  in this stage since {} ({days} days{state})",
            render::date(p, since)
        )?;
    }
    let (after, within) = s.decision_window(ctx.today);
    let window = match (&s.decision_after, &s.decision_within) {
        (Some(a), Some(w)) => Some(format!("between {} and {}", term(a.term), term(w.term))),
        (Some(a), None) => Some(format!("after {}", term(a.term))),
        (None, Some(w)) => Some(format!("within {}", term(w.term))),
        (None, None) => None,
    };
    if let Some(window) = window {
        let fits = match x.expected_close {
            None => "no expected decision date".to_string(),
            Some(d) if after.is_some_and(|a| d < a) || within.is_some_and(|w| d > w) => {
                format!("expected {}: outside the window", render::date(p, d))
            }
            Some(d) => format!("expected {}: fits", render::date(p, d)),
        };
        writeln!(out, "  decision expected {window}; {fits}")?;
    }
    if let Some(w) = x.weighted(p) {
        writeln!(out, "  weighted amount: {}", render::money(p, w))?;
    }
    Ok(())
}
