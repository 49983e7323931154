//! The alert rules: pure functions of a prospect, its journal history, the
//! pipeline and today, each giving the alerts it raises. Nothing here reads
//! a file; `commands/alerts.rs` feeds the rows and writes the report.
//!
//! An alert is kept compact: the rule's finding as typed figures (dates,
//! counts, terms), and the prospect's id, name and owner shared by all the
//! alerts of its row. Its message, its figures in words and its key are
//! written when they are asked for, in the pipeline's locale, so a register
//! that raises a million alerts does not hold a million messages.

use crate::calendar::Calendar;
use crate::field::Field;
use crate::pipeline::{Locale, Outcome, Pipeline, Rule, RuleSettings, Severity, Stage};
use crate::prospect::{self, Prospect};
use crate::render;
use crate::term::{Term, Unit};
use crate::validation::RowCheck;
use crate::words::{self, pick};
use chrono::NaiveDate;
use serde_json::{Value, json};
use std::sync::Arc;

pub mod history;
pub mod report;
pub mod state;

pub use history::{Fact, Look, Past, Short};

/// A figure as a CSV cell and as JSON (the words that show it to people are
/// in the alert's message).
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    pub plain: String,
    /// A whole number in JSON rather than text.
    number: Option<i64>,
}

/// A figure before it is written out ([`Figure::write`], [`Figure::measure`]).
enum Figure {
    /// A whole number: days, or a count.
    Whole(i64),
    Date(NaiveDate),
    /// A term, and whether it counts working days.
    Term(Term, bool),
    Text(String),
    Word(&'static str),
}

impl Figure {
    /// Appends the figure's plain text: a CSV cell.
    fn write(&self, out: &mut String) {
        use std::fmt::Write as _;
        // Writing to a String cannot fail.
        let _ = match self {
            Figure::Whole(n) => write!(out, "{n}"),
            Figure::Date(d) => {
                render::push_date(out, Locale::En, *d);
                Ok(())
            }
            Figure::Term(t, business) => {
                let _ = write!(out, "{t}");
                if *business && matches!(t.unit, Unit::Days | Unit::Weeks) {
                    out.push_str(" (working days)");
                }
                Ok(())
            }
            Figure::Text(s) => out.write_str(s),
            Figure::Word(s) => out.write_str(s),
        };
    }

    fn measure(self) -> Measure {
        let number = match self {
            Figure::Whole(n) => Some(n),
            _ => None,
        };
        let plain = match self {
            Figure::Text(s) => s,
            Figure::Word(s) => s.to_string(),
            other => {
                let mut plain = String::new();
                other.write(&mut plain);
                plain
            }
        };
        Measure { plain, number }
    }
}

impl Measure {
    /// The figure in JSON: a number, a string, or `null` for an empty text.
    pub fn json(&self) -> Value {
        match self.number {
            Some(n) => json!(n),
            None if self.plain.is_empty() => Value::Null,
            None => json!(self.plain),
        }
    }
}

/// The stage a prospect's data says it belongs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub stage: usize,
    /// Whether the current stage's `next` allows the move.
    pub allowed: bool,
    /// What the stage requires and the prospect lacks.
    pub missing: Vec<Field>,
}

impl Suggestion {
    /// Whether `pipe move` would accept the move as the prospect stands.
    pub fn movable(&self) -> bool {
        self.allowed && self.missing.is_empty()
    }
}

/// The row an alert is about, shared by every alert the row raises: its id,
/// name (the company, or the contact when there is no company), owner, and
/// the stage cell as written for a row whose stage names no stage, held in
/// one string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Who {
    text: Box<str>,
    /// Where the name, the owner and the stage cell start.
    cuts: [u32; 3],
}

impl Who {
    pub fn new(id: &str, name: &str, owner: &str, stage_cell: &str) -> Who {
        let mut text =
            String::with_capacity(id.len() + name.len() + owner.len() + stage_cell.len());
        let mut cuts = [0; 3];
        for (cut, part) in cuts.iter_mut().zip([id, name, owner]) {
            text.push_str(part);
            *cut = u32::try_from(text.len()).expect("a row's cells fit in 4 GiB");
        }
        text.push_str(stage_cell);
        Who {
            text: text.into_boxed_str(),
            cuts,
        }
    }

    pub fn id(&self) -> &str {
        &self.text[..self.cuts[0] as usize]
    }

    pub fn name(&self) -> &str {
        &self.text[self.cuts[0] as usize..self.cuts[1] as usize]
    }

    pub fn owner(&self) -> &str {
        &self.text[self.cuts[1] as usize..self.cuts[2] as usize]
    }

    pub fn stage_cell(&self) -> &str {
        &self.text[self.cuts[2] as usize..]
    }
}

/// What a rule found, in figures; words come when the alert is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// In its stage since `since`, `days` days, past `limit`.
    Stale {
        since: NaiveDate,
        days: i64,
        limit: Term,
        business: bool,
    },
    /// The expected decision `close` passed `days` days ago, `grace` allowed.
    DecisionOverdue {
        close: NaiveDate,
        days: i64,
        grace: Term,
        business: bool,
    },
    /// The expected decision falls outside the stage's window.
    HorizonMismatch {
        close: NaiveDate,
        /// Boxed: few alerts have one, and every alert is as large as the largest finding.
        suggestion: Option<Box<Suggestion>>,
    },
    /// A field the stage requires is empty.
    MissingField(Field),
    /// The next action, due `due`, is `days` days late, `grace` allowed.
    NextActionOverdue {
        due: NaiveDate,
        days: i64,
        grace: Term,
        business: bool,
    },
    NoNextAction,
    /// Set aside until `until`, which has come.
    SnoozedUntilPassed {
        until: NaiveDate,
    },
    /// Pushed back `slips.count` times, `limit` allowed.
    DecisionSlipped {
        slips: Slips,
        limit: u32,
    },
    /// An error `pipe check` finds on the row.
    InvalidRow(Box<Invalid>),
}

/// A row `pipe check` rejects, one error of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub code: &'static str,
    /// `file:line:column`.
    pub location: String,
    pub message: String,
    pub column: Option<u64>,
}

impl Finding {
    pub fn rule(&self) -> Rule {
        match self {
            Finding::Stale { .. } => Rule::Stale,
            Finding::DecisionOverdue { .. } => Rule::DecisionOverdue,
            Finding::HorizonMismatch { .. } => Rule::HorizonMismatch,
            Finding::MissingField(_) => Rule::MissingField,
            Finding::NextActionOverdue { .. } => Rule::NextActionOverdue,
            Finding::NoNextAction => Rule::NoNextAction,
            Finding::SnoozedUntilPassed { .. } => Rule::SnoozedUntilPassed,
            Finding::DecisionSlipped { .. } => Rule::DecisionSlipped,
            Finding::InvalidRow(_) => Rule::InvalidRow,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Alert {
    pub severity: Severity,
    pub who: Arc<Who>,
    /// The stage the row is in, when it names one.
    pub stage: Option<usize>,
    pub finding: Finding,
    /// After how long `--new-only` reports it again while it stays open.
    pub realert_after: Option<Term>,
    /// The row's line in the register, for ordering.
    pub line: u64,
    /// 1, or 2, 3… for the alerts whose key an earlier alert has (rows that
    /// share an id); set by [`Repeats`].
    pub repeat: u32,
}

impl Alert {
    pub fn rule(&self) -> Rule {
        self.finding.rule()
    }

    pub fn id(&self) -> &str {
        self.who.id()
    }

    pub fn name(&self) -> &str {
        self.who.name()
    }

    pub fn owner(&self) -> &str {
        self.who.owner()
    }

    /// The stage's label, or the stage cell of a row that names no stage.
    pub fn stage_label<'a>(&'a self, p: &'a Pipeline) -> &'a str {
        self.stage
            .map_or(self.who.stage_cell(), |i| p.stages[i].label.as_str())
    }

    /// The stage's id, or the stage cell of a row that names no stage.
    pub fn stage_key<'a>(&'a self, p: &'a Pipeline) -> &'a str {
        self.stage
            .map_or(self.who.stage_cell(), |i| p.stages[i].id.as_str())
    }

    /// What identifies this alert from one run to the next (`--new-only`):
    /// the rule, the prospect, its stage and what the rule looked at.
    pub fn key(&self, p: &Pipeline) -> String {
        let key = self.base_key(p);
        if self.repeat > 1 {
            format!("{key}#{}", self.repeat)
        } else {
            key
        }
    }

    /// The key before [`Repeats`] tells repeats apart.
    fn base_key(&self, p: &Pipeline) -> String {
        let rule = self.rule().key();
        match &self.finding {
            Finding::InvalidRow(e) => {
                let who = if self.id().is_empty() {
                    format!("line {}", self.line)
                } else {
                    self.id().to_string()
                };
                format!("{rule}|{who}|{}|{}", e.code, e.column.unwrap_or(0))
            }
            f => {
                let detail = match f {
                    Finding::Stale { since: d, .. }
                    | Finding::DecisionOverdue { close: d, .. }
                    | Finding::HorizonMismatch { close: d, .. }
                    | Finding::NextActionOverdue { due: d, .. }
                    | Finding::SnoozedUntilPassed { until: d } => d.to_string(),
                    Finding::MissingField(fld) => fld.key().to_string(),
                    Finding::NoNextAction => String::new(),
                    Finding::DecisionSlipped { slips, .. } => slips.count.to_string(),
                    Finding::InvalidRow(_) => unreachable!("handled above"),
                };
                format!("{rule}|{}|{}|{detail}", self.id(), self.stage_key(p))
            }
        }
    }

    /// [`Alert::write_message`] into a string of its own.
    #[cfg(test)]
    pub fn message(&self, p: &Pipeline, today: NaiveDate) -> String {
        let mut out = String::new();
        self.write_message(p, today, &mut out);
        out
    }

    /// The finding in words, in the pipeline's locale, appended to `out` (a
    /// report writes a great many).
    pub fn write_message(&self, p: &Pipeline, today: NaiveDate, out: &mut String) {
        use std::fmt::Write as _;
        let label = self.stage_label(p);
        // Writing to a String cannot fail.
        let _ = match &self.finding {
            Finding::Stale {
                since,
                days,
                limit,
                business,
            } => {
                let days = words::days_shown(p, *days, *business);
                let date = render::date_shown(p, *since);
                let term = words::counted_term(p, *limit, *business);
                match p.locale {
                    Locale::Fr => write!(
                        out,
                        "dans l'étape {label} depuis {days} (depuis le {date}) ; limite : {term}"
                    ),
                    Locale::En => {
                        write!(out, "in {label} for {days} (since {date}); limit: {term}")
                    }
                }
            }
            Finding::DecisionOverdue {
                close,
                days,
                grace,
                business,
            } => {
                let (date, days) = (
                    render::date_shown(p, *close),
                    words::days_shown(p, *days, *business),
                );
                let _ = match p.locale {
                    Locale::Fr => write!(out, "décision prévue le {date}, dépassée de {days}"),
                    Locale::En => write!(out, "decision expected on {date}, now {days} past"),
                };
                write_grace(p, *grace, *business, out)
            }
            Finding::HorizonMismatch { close, suggestion } => {
                let stage = self.stage.expect("a prospect's alert has a stage");
                let m = describe_mismatch(p, stage, *close, suggestion.as_deref(), today);
                out.write_str(&m.message)
            }
            Finding::MissingField(fld) => {
                let name = words::field(p, *fld);
                match p.locale {
                    Locale::Fr => write!(out, "{name} est vide alors que l'étape {label} l'exige"),
                    Locale::En => write!(out, "{name} is empty, and {label} requires it"),
                }
            }
            Finding::NextActionOverdue {
                due,
                days,
                grace,
                business,
            } => {
                let name = words::field(p, Field::NextAction);
                let (date, days) = (
                    render::date_shown(p, *due),
                    words::days_shown(p, *days, *business),
                );
                let _ = match p.locale {
                    Locale::Fr => write!(out, "{name} : {date}, en retard de {days}"),
                    Locale::En => write!(out, "{name}: {date}, {days} late"),
                };
                write_grace(p, *grace, *business, out)
            }
            Finding::NoNextAction => {
                let name = words::field(p, Field::NextAction);
                match p.locale {
                    Locale::Fr => write!(
                        out,
                        "{name} est vide : l'étape {label} demande une prochaine action datée"
                    ),
                    Locale::En => {
                        write!(out, "{name} is empty: {label} asks for a dated next action")
                    }
                }
            }
            Finding::SnoozedUntilPassed { until } => {
                let date = render::date_shown(p, *until);
                match p.locale {
                    Locale::Fr => write!(
                        out,
                        "en veille jusqu'au {date} : la date est arrivée, l'affaire est à reprendre"
                    ),
                    Locale::En => write!(
                        out,
                        "set aside until {date}: the day has come, take the deal up again"
                    ),
                }
            }
            Finding::DecisionSlipped { slips, .. } => {
                let times = words::times(p, slips.count);
                let _ = match p.locale {
                    Locale::Fr => write!(out, "décision repoussée {times}"),
                    Locale::En => write!(out, "decision pushed back {times}"),
                };
                match slips.last {
                    Some((on, from, to)) => {
                        let (on, from, to) = (
                            render::date_shown(p, on),
                            render::date_shown(p, from),
                            render::date_shown(p, to),
                        );
                        match p.locale {
                            Locale::Fr => {
                                write!(out, " (dernier report le {on} : du {from} au {to})")
                            }
                            Locale::En => write!(out, " (last on {on}: from {from} to {to})"),
                        }
                    }
                    None => Ok(()),
                }
            }
            Finding::InvalidRow(e) => write!(
                out,
                "{}: {} ({})",
                e.location,
                e.message,
                pick(
                    p,
                    "ligne refusée par `pipe check`",
                    "row rejected by `pipe check`"
                )
            ),
        };
    }

    /// The figure that broke the rule.
    pub fn value(&self) -> Measure {
        self.value_figure().measure()
    }

    /// Appends [`Alert::value`]'s plain text.
    pub fn write_value(&self, out: &mut String) {
        self.value_figure().write(out);
    }

    fn value_figure(&self) -> Figure {
        match &self.finding {
            Finding::Stale { days, .. }
            | Finding::DecisionOverdue { days, .. }
            | Finding::NextActionOverdue { days, .. } => Figure::Whole(*days),
            Finding::HorizonMismatch { close, .. } => Figure::Date(*close),
            Finding::MissingField(fld) => Figure::Word(fld.key()),
            Finding::NoNextAction => Figure::Word(""),
            Finding::SnoozedUntilPassed { until } => Figure::Date(*until),
            Finding::DecisionSlipped { slips, .. } => Figure::Whole(i64::from(slips.count)),
            Finding::InvalidRow(e) => Figure::Word(e.code),
        }
    }

    /// The threshold the figure broke.
    pub fn threshold(&self, p: &Pipeline, today: NaiveDate) -> Measure {
        self.threshold_figure(p, today).measure()
    }

    /// Appends [`Alert::threshold`]'s plain text.
    pub fn write_threshold(&self, p: &Pipeline, today: NaiveDate, out: &mut String) {
        self.threshold_figure(p, today).write(out);
    }

    fn threshold_figure(&self, p: &Pipeline, today: NaiveDate) -> Figure {
        match &self.finding {
            Finding::Stale {
                limit, business, ..
            } => Figure::Term(*limit, *business),
            Finding::DecisionOverdue {
                grace, business, ..
            }
            | Finding::NextActionOverdue {
                grace, business, ..
            } => Figure::Term(*grace, *business),
            Finding::HorizonMismatch { close, suggestion } => {
                let stage = self.stage.expect("a prospect's alert has a stage");
                let m = describe_mismatch(p, stage, *close, suggestion.as_deref(), today);
                Figure::Text(m.bound)
            }
            Finding::MissingField(_) | Finding::NoNextAction => Figure::Word("required"),
            Finding::SnoozedUntilPassed { .. } => Figure::Date(today),
            Finding::DecisionSlipped { limit, .. } => Figure::Whole(i64::from(*limit)),
            Finding::InvalidRow(_) => Figure::Word("pipe check"),
        }
    }

    /// The stage the prospect's data says it belongs in (`horizon_mismatch`).
    pub fn suggestion(&self) -> Option<&Suggestion> {
        match &self.finding {
            Finding::HorizonMismatch { suggestion, .. } => suggestion.as_deref(),
            _ => None,
        }
    }
}

/// Everything the rules need to know about one prospect.
struct Facts<'a> {
    p: &'a Pipeline,
    x: &'a Prospect,
    stage: &'a Stage,
    past: Look<'a>,
    today: NaiveDate,
    /// Set when the journal's brief could not answer a rule (see [`Short`]).
    short: std::cell::Cell<bool>,
}

impl<'a> Facts<'a> {
    fn settings(&self, r: Rule) -> Option<&'a RuleSettings> {
        Some(self.stage.rule(r)).filter(|s| s.enabled)
    }

    fn calendar(&self, s: &RuleSettings) -> Calendar<'_> {
        Calendar::new(s.business_days, &self.p.alerts.working_holidays)
    }
}

/// Every alert one prospect raises today, in [`Rule::ALL`] order, given its
/// journal's facts (up to today).
#[cfg(test)]
pub fn evaluate(
    p: &Pipeline,
    x: &Prospect,
    history: &[Fact],
    today: NaiveDate,
    line: u64,
) -> Vec<Alert> {
    match evaluate_with(p, x, Look::Facts(history), today, line) {
        Ok(found) => found,
        Err(Short) => unreachable!("the facts answer every question the rules ask"),
    }
}

/// [`evaluate`], with what the rules read of the journal as facts or as a brief.
pub fn evaluate_with(
    p: &Pipeline,
    x: &Prospect,
    past: Look<'_>,
    today: NaiveDate,
    line: u64,
) -> Result<Vec<Alert>, Short> {
    let f = Facts {
        p,
        x,
        stage: &p.stages[x.stage],
        past,
        today,
        short: std::cell::Cell::new(false),
    };
    let mut found: Vec<(&RuleSettings, Finding)> = Vec::new();
    found.extend(stale(&f));
    found.extend(decision_overdue(&f));
    found.extend(horizon_alert(&f));
    found.extend(missing_field(&f));
    found.extend(next_action_overdue(&f));
    found.extend(no_next_action(&f));
    found.extend(snoozed_until_passed(&f));
    found.extend(decision_slipped(&f));
    if f.short.get() {
        return Err(Short);
    }
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let who = Arc::new(Who::new(&x.id, x.display_name(), &x.owner, ""));
    Ok(found
        .into_iter()
        .map(|(s, finding)| Alert {
            severity: s.severity,
            who: Arc::clone(&who),
            stage: Some(x.stage),
            finding,
            realert_after: s.realert_after,
            line,
            repeat: 1,
        })
        .collect())
}

/// When the prospect entered its stage: the register's date, else the
/// journal's (when the brief cannot tell, `f.short` is set).
fn entered(f: &Facts) -> Option<NaiveDate> {
    f.x.stage_since.or_else(|| match f.past.entered(f.x.stage) {
        Ok(date) => date,
        Err(Short) => {
            f.short.set(true);
            None
        }
    })
}

/// `stale`: in the stage longer than its `stale_after` (not while snoozed).
fn stale<'a>(f: &Facts<'a>) -> Option<(&'a RuleSettings, Finding)> {
    let s = f.settings(Rule::Stale)?;
    let limit = f.stage.stale_after.as_ref()?.term;
    if f.x.snooze_until.is_some_and(|d| d > f.today) {
        return None;
    }
    let since = entered(f)?;
    let cal = f.calendar(s);
    if cal.past(since, limit, f.today) <= 0 {
        return None;
    }
    let days = cal.count(since, f.today);
    Some((
        s,
        Finding::Stale {
            since,
            days,
            limit,
            business: s.business_days,
        },
    ))
}

/// How late a date is, past its grace, or `None` when it is not.
fn overdue(f: &Facts, s: &RuleSettings, date: NaiveDate) -> Option<i64> {
    let cal = f.calendar(s);
    (cal.past(date, s.grace, f.today) > 0).then(|| cal.count(date, f.today))
}

/// ` (tolérance : 1 jour)`, appended to a message; nothing without a grace.
fn write_grace(p: &Pipeline, grace: Term, business: bool, out: &mut String) -> std::fmt::Result {
    if grace.count == 0 {
        return Ok(());
    }
    use std::fmt::Write as _;
    let g = words::counted_term(p, grace, business);
    write!(out, " ({} {g})", pick(p, "tolérance :", "grace:"))
}

/// `decision_overdue`: an open deal whose expected decision date has passed.
fn decision_overdue<'a>(f: &Facts<'a>) -> Option<(&'a RuleSettings, Finding)> {
    let s = f.settings(Rule::DecisionOverdue)?;
    if !f.stage.is_open() {
        return None;
    }
    let close = f.x.expected_close?;
    let days = overdue(f, s, close)?;
    Some((
        s,
        Finding::DecisionOverdue {
            close,
            days,
            grace: s.grace,
            business: s.business_days,
        },
    ))
}

/// A deal whose expected decision falls outside its stage's decision window.
#[derive(Debug, Clone)]
pub struct Mismatch {
    pub close: NaiveDate,
    /// The window's bound for programs: `<= 2027-02-27` (the message has it in words).
    pub bound: String,
    pub suggestion: Option<Suggestion>,
    /// In words, with the suggestion.
    pub message: String,
}

fn fits(s: &Stage, d: NaiveDate, today: NaiveDate) -> bool {
    let (after, within) = s.decision_window(today);
    after.is_none_or(|a| d >= a) && within.is_none_or(|w| d <= w)
}

fn has_window(s: &Stage) -> bool {
    s.decision_after.is_some() || s.decision_within.is_some()
}

/// Whether an open deal's expected decision (today or later) misses its
/// stage's decision window, and the stage whose window it fits. Past dates
/// are `decision_overdue`'s business.
pub fn horizon_mismatch(p: &Pipeline, x: &Prospect, today: NaiveDate) -> Option<Mismatch> {
    let (close, suggestion) = mismatch(p, x, today)?;
    Some(describe_mismatch(
        p,
        x.stage,
        close,
        suggestion.as_ref(),
        today,
    ))
}

/// The expected decision that misses the stage's window, and the stage it fits.
fn mismatch(
    p: &Pipeline,
    x: &Prospect,
    today: NaiveDate,
) -> Option<(NaiveDate, Option<Suggestion>)> {
    let stage = &p.stages[x.stage];
    let close = x.expected_close?;
    if !stage.is_open() || !has_window(stage) || close < today || fits(stage, close, today) {
        return None;
    }
    Some((close, fitting_stage(p, x, close, today)))
}

/// A mismatch in words: the window, its bound, and the message.
fn describe_mismatch(
    p: &Pipeline,
    stage: usize,
    close: NaiveDate,
    suggestion: Option<&Suggestion>,
    today: NaiveDate,
) -> Mismatch {
    let stage = &p.stages[stage];
    let (after, within) = stage.decision_window(today);
    let mut bounds = Vec::new();
    let mut plain = Vec::new();
    if let Some(a) = after {
        bounds.push(format!(
            "{} {}",
            pick(p, "pas avant le", "not before"),
            render::date(p, a)
        ));
        plain.push(format!(">= {a}"));
    }
    if let Some(w) = within {
        bounds.push(format!(
            "{} {}",
            pick(p, "au plus tard le", "by"),
            render::date(p, w)
        ));
        plain.push(format!("<= {w}"));
    }
    let window = format!(
        "{}, {} {}",
        words::window(p, stage).unwrap_or_default(),
        pick(p, "soit", "that is"),
        words::list(p, &bounds)
    );
    let date = render::date(p, close);
    let label = &stage.label;
    let mut message = match p.locale {
        Locale::Fr => {
            format!("décision prévue le {date}, hors de la fenêtre de l'étape {label} ({window})")
        }
        Locale::En => {
            format!("decision expected on {date}, outside {label}'s window ({window})")
        }
    };
    match suggestion {
        None => message += pick(p, " ; aucune étape ne convient", "; no stage's window fits"),
        Some(sg) => {
            let to = &p.stages[sg.stage].label;
            message += &match p.locale {
                Locale::Fr => format!(" ; l'étape qui convient : {to}"),
                Locale::En => format!("; the stage that fits: {to}"),
            };
            if !sg.allowed {
                message += &match p.locale {
                    Locale::Fr => {
                        format!(" (l'étape {label} ne peut pas y passer directement)")
                    }
                    Locale::En => {
                        format!(" ({label} cannot move there directly)")
                    }
                };
            } else if !sg.missing.is_empty() {
                let fields: Vec<String> = sg.missing.iter().map(|f| words::field(p, *f)).collect();
                message += &format!(
                    " ({} {})",
                    pick(p, "à remplir d'abord :", "fill in first:"),
                    words::list(p, &fields)
                );
            }
        }
    }
    Mismatch {
        close,
        bound: plain.join(" and "),
        suggestion: suggestion.cloned(),
        message,
    }
}

/// Among the open stages with a decision window, the one a date fits best:
/// one the current stage may move to, whose requirements are met, with the
/// tightest window, nearest in the funnel.
fn fitting_stage(p: &Pipeline, x: &Prospect, d: NaiveDate, today: NaiveDate) -> Option<Suggestion> {
    let current = &p.stages[x.stage];
    p.stages
        .iter()
        .enumerate()
        .filter(|(j, s)| *j != x.stage && s.is_open() && has_window(s) && fits(s, d, today))
        .map(|(j, s)| {
            let sg = Suggestion {
                stage: j,
                allowed: current.allows(j),
                missing: prospect::missing_for(j, x, p),
            };
            let within = s.decision_window(today).1.unwrap_or(NaiveDate::MAX);
            let rank = (
                !sg.allowed,
                !sg.missing.is_empty(),
                within,
                j.abs_diff(x.stage),
            );
            (rank, sg)
        })
        .min_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, sg)| sg)
}

/// `horizon_mismatch`, as a finding.
fn horizon_alert<'a>(f: &Facts<'a>) -> Option<(&'a RuleSettings, Finding)> {
    let s = f.settings(Rule::HorizonMismatch)?;
    let (close, suggestion) = mismatch(f.p, f.x, f.today)?;
    Some((
        s,
        Finding::HorizonMismatch {
            close,
            suggestion: suggestion.map(Box::new),
        },
    ))
}

/// `missing_field`: a field the stage requires is empty.
fn missing_field<'a>(f: &Facts<'a>) -> Vec<(&'a RuleSettings, Finding)> {
    let Some(s) = f.settings(Rule::MissingField) else {
        return Vec::new();
    };
    // `no_next_action` says it better when the stage asks for a next action.
    let told = f.stage.next_action_required && f.settings(Rule::NoNextAction).is_some();
    prospect::missing_for(f.x.stage, f.x, f.p)
        .into_iter()
        .filter(|fld| !(told && *fld == Field::NextAction))
        .map(|fld| (s, Finding::MissingField(fld)))
        .collect()
}

/// `next_action_overdue`: the next action's date has passed (not on lost deals).
fn next_action_overdue<'a>(f: &Facts<'a>) -> Option<(&'a RuleSettings, Finding)> {
    let s = f.settings(Rule::NextActionOverdue)?;
    if f.stage.outcome == Outcome::Lost {
        return None;
    }
    let due = f.x.next_action?;
    let days = overdue(f, s, due)?;
    Some((
        s,
        Finding::NextActionOverdue {
            due,
            days,
            grace: s.grace,
            business: s.business_days,
        },
    ))
}

/// `no_next_action`: the stage asks for a dated next action and there is none.
fn no_next_action<'a>(f: &Facts<'a>) -> Option<(&'a RuleSettings, Finding)> {
    let s = f.settings(Rule::NoNextAction)?;
    if !f.stage.next_action_required || f.x.next_action.is_some() {
        return None;
    }
    Some((s, Finding::NoNextAction))
}

/// `snoozed_until_passed`: a deal set aside until a date, and the date has come.
fn snoozed_until_passed<'a>(f: &Facts<'a>) -> Option<(&'a RuleSettings, Finding)> {
    let s = f.settings(Rule::SnoozedUntilPassed)?;
    let until = f.x.snooze_until.filter(|d| *d <= f.today)?;
    Some((s, Finding::SnoozedUntilPassed { until }))
}

/// How often an open deal's expected decision was pushed back, from the journal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Slips {
    pub count: u32,
    /// The last push: when, from which date, to which date.
    pub last: Option<(NaiveDate, NaiveDate, NaiveDate)>,
}

/// Counts the times `expected_close` moved later, since the deal was last
/// reopened from a won or lost stage. An undone push no longer counts.
pub fn decision_slips(p: &Pipeline, history: &[Fact]) -> Slips {
    let mut slips = Slips::default();
    for e in history {
        slips.add(p, e);
    }
    slips
}

impl Slips {
    /// Takes the prospect's next fact, in journal order.
    pub fn add(&mut self, p: &Pipeline, e: &Fact) {
        let open = |s: Option<u16>| s.map(|i| p.stages[usize::from(i)].is_open());
        match *e {
            Fact::Stage { from, to, .. } => {
                if open(from) == Some(false) && open(to) == Some(true) {
                    *self = Slips::default();
                }
            }
            Fact::Decision {
                undo: true,
                from,
                to,
                ..
            } => {
                if to < from {
                    self.count = self.count.saturating_sub(1);
                }
            }
            Fact::Decision { date, from, to, .. } => {
                if to > from {
                    self.count += 1;
                    self.last = Some((date, from, to));
                }
            }
        }
    }
}

/// `decision_slipped`: the expected decision was pushed back `count` times or more.
fn decision_slipped<'a>(f: &Facts<'a>) -> Option<(&'a RuleSettings, Finding)> {
    let s = f.settings(Rule::DecisionSlipped)?;
    if !f.stage.is_open() {
        return None;
    }
    let slips = f.past.slips(f.p);
    if slips.count < s.count {
        return None;
    }
    Some((
        s,
        Finding::DecisionSlipped {
            slips,
            limit: s.count,
        },
    ))
}

/// `invalid_row`: one alert for each error `pipe check` finds on a row.
pub fn invalid_row(p: &Pipeline, row: &RowCheck) -> Vec<Alert> {
    let s = p.alerts.rule(Rule::InvalidRow);
    if !s.enabled {
        return Vec::new();
    }
    let stage_cell = if row.stage.is_some() {
        ""
    } else {
        &row.stage_text
    };
    let who = Arc::new(Who::new(&row.id, &row.name, &row.owner, stage_cell));
    row.errors()
        .map(|d| Alert {
            severity: s.severity,
            who: Arc::clone(&who),
            stage: row.stage,
            finding: Finding::InvalidRow(Box::new(Invalid {
                code: d.code,
                location: d.location(),
                message: d.message.clone(),
                column: d.column,
            })),
            realert_after: s.realert_after,
            line: row.line,
            repeat: 1,
        })
        .collect()
}

/// The alerts one checked row raises today, given what the rules read of
/// each prospect's journal (up to today).
pub fn raise_row(
    p: &Pipeline,
    row: &RowCheck,
    past: &Past,
    today: NaiveDate,
) -> Result<Vec<Alert>, Short> {
    if row.rejected() {
        return Ok(invalid_row(p, row));
    }
    let Some(x) = &row.prospect else {
        return Ok(Vec::new());
    };
    evaluate_with(p, x, past.look(row.number), today, row.line)
}

/// Keys must tell alerts apart even on rows that share an id: repeats get
/// `#2`, `#3`…, numbered alert by alert in the order they are raised.
#[derive(Default)]
pub struct Repeats(hashbrown::HashMap<String, u32, foldhash::fast::RandomState>);

impl Repeats {
    pub fn number(&mut self, p: &Pipeline, a: &mut Alert) {
        let n = self.0.entry(a.base_key(p)).or_insert(0);
        *n += 1;
        a.repeat = *n;
    }
}

/// The order of a report (the tests' reference for [`report::Writer`]'s):
/// critical first, then in register order, then in rule order; alerts that
/// tie keep their order.
#[cfg(test)]
pub fn sort(alerts: &mut [Alert]) {
    alerts.sort_by_key(|a| (std::cmp::Reverse(a.severity), a.line, a.rule()));
}

/// Which alerts a run looks at: `--owner`, `--rule` and `--severity`.
#[derive(Debug, Default)]
pub struct Filter {
    /// Folded.
    pub owner: Option<String>,
    pub rules: Vec<Rule>,
    pub severity: Option<Severity>,
}

impl Filter {
    pub fn accepts(&self, owner: &str, rule: Rule, severity: Severity) -> bool {
        self.owner
            .as_ref()
            .is_none_or(|o| crate::text::fold(owner) == *o)
            && (self.rules.is_empty() || self.rules.contains(&rule))
            && self.severity.is_none_or(|s| severity >= s)
    }

    pub fn accepts_alert(&self, a: &Alert) -> bool {
        self.accepts(a.owner(), a.rule(), a.severity)
    }
}

#[cfg(test)]
mod tests;
