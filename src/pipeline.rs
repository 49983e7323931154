//! `pipeline.toml`: the company's method in one file (stages, criteria,
//! horizons, rules, product families) and where the register lives.
//!
//! `load` reads the file; everything else works on a string so tests never
//! touch the disk. The serde model is strict (unknown keys are refused with
//! their line) and `validate` adds the checks that span several keys.

use crate::dates::{self, DateFormats};
use crate::diag::{Diagnostic, line_col};
use crate::field::Field;
use crate::hours::Hours;
use crate::term::Term;
use crate::text::{fold, or_list, suggest};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use toml::Spanned;

mod alerts;
pub use alerts::{AlertsConfig, Rule, RuleSettings, Severity, unknown_rule};

// ---------------------------------------------------------------- raw model

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    pipeline: RawMeta,
    register: RawRegister,
    #[serde(default)]
    horizons: BTreeMap<String, Spanned<String>>,
    #[serde(default, rename = "stage")]
    stages: Vec<RawStage>,
    #[serde(default, rename = "product")]
    products: Vec<RawProduct>,
    #[serde(default)]
    activities: Option<RawActivities>,
    #[serde(default)]
    effort: Option<RawEffort>,
    #[serde(default)]
    alerts: alerts::RawAlerts,
    #[serde(default, rename = "products")]
    product_settings: RawProductSettings,
}

/// `[products]`: how reports count a prospect tagged with several families.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawProductSettings {
    #[serde(default)]
    attribution: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    locale: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegister {
    path: Spanned<String>,
    #[serde(default)]
    journal: Option<Spanned<String>>,
    #[serde(default)]
    delimiter: Option<Spanned<String>>,
    #[serde(default)]
    encoding: Option<Spanned<String>>,
    #[serde(default)]
    date_formats: Vec<Spanned<String>>,
    #[serde(default)]
    list_separator: Option<Spanned<String>>,
    #[serde(default)]
    columns: RawColumns,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawColumns {
    id: Option<Spanned<String>>,
    stage: Option<Spanned<String>>,
    stage_since: Option<Spanned<String>>,
    name: Option<Spanned<String>>,
    company: Option<Spanned<String>>,
    owner: Option<Spanned<String>>,
    amount: Option<Spanned<String>>,
    probability: Option<Spanned<String>>,
    expected_close: Option<Spanned<String>>,
    next_action: Option<Spanned<String>>,
    products: Option<Spanned<String>>,
    lost_reason: Option<Spanned<String>>,
    created: Option<Spanned<String>>,
    snooze_until: Option<Spanned<String>>,
}

impl RawColumns {
    fn get(&self, f: Field) -> Option<&Spanned<String>> {
        match f {
            Field::Id => self.id.as_ref(),
            Field::Stage => self.stage.as_ref(),
            Field::StageSince => self.stage_since.as_ref(),
            Field::Name => self.name.as_ref(),
            Field::Company => self.company.as_ref(),
            Field::Owner => self.owner.as_ref(),
            Field::Amount => self.amount.as_ref(),
            Field::Probability => self.probability.as_ref(),
            Field::ExpectedClose => self.expected_close.as_ref(),
            Field::NextAction => self.next_action.as_ref(),
            Field::Products => self.products.as_ref(),
            Field::LostReason => self.lost_reason.as_ref(),
            Field::Created => self.created.as_ref(),
            Field::SnoozeUntil => self.snooze_until.as_ref(),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawNumber {
    Int(i64),
    Float(f64),
}

impl RawNumber {
    fn decimal(&self) -> Decimal {
        match self {
            RawNumber::Int(i) => Decimal::from(*i),
            // The shortest text that reads back as the float: `6.5`, not its binary expansion.
            RawNumber::Float(f) => Decimal::from_str(&f.to_string()).unwrap_or(Decimal::MAX),
        }
    }
}

/// A number, or a text in the notation of a cell (`"6h30"`, `"18 000 €"`).
#[derive(Deserialize)]
#[serde(untagged)]
enum RawQuantity {
    Number(RawNumber),
    Text(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawActivities {
    path: Spanned<String>,
    #[serde(default, rename = "kind")]
    kinds: Vec<RawKind>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKind {
    id: Spanned<String>,
    label: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEffort {
    min_cases: Option<Spanned<i64>>,
    #[serde(default)]
    assumptions: BTreeMap<Spanned<String>, RawAssumption>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAssumption {
    conversion: Option<Spanned<RawNumber>>,
    days: Option<Spanned<RawNumber>>,
    hours: Option<Spanned<RawQuantity>>,
    amount: Option<Spanned<RawQuantity>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    id: Spanned<String>,
    label: Option<String>,
    phase: Phase,
    #[serde(default = "open")]
    outcome: Outcome,
    probability: Option<Spanned<RawNumber>>,
    #[serde(default)]
    criteria: String,
    decision_within: Option<Spanned<String>>,
    decision_after: Option<Spanned<String>>,
    stale_after: Option<Spanned<String>>,
    #[serde(default)]
    requires: Vec<Spanned<String>>,
    next: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    lost_reasons: Vec<String>,
    #[serde(default)]
    next_action_required: bool,
    alerts: Option<alerts::RawStageAlerts>,
    milestone: Option<Spanned<String>>,
}

fn open() -> Outcome {
    Outcome::Open
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProduct {
    id: Spanned<String>,
    label: Option<String>,
}

// ------------------------------------------------------------ validated model

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Suspect,
    Prospect,
    Client,
}

impl Phase {
    pub fn key(self) -> &'static str {
        match self {
            Phase::Suspect => "suspect",
            Phase::Prospect => "prospect",
            Phase::Client => "client",
        }
    }

    pub fn parse(s: &str) -> Option<Phase> {
        match fold(s).as_str() {
            "suspect" | "suspects" => Some(Phase::Suspect),
            "prospect" | "prospects" => Some(Phase::Prospect),
            "client" | "clients" => Some(Phase::Client),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Open,
    Won,
    Lost,
}

impl Outcome {
    pub fn key(self) -> &'static str {
        match self {
            Outcome::Open => "open",
            Outcome::Won => "won",
            Outcome::Lost => "lost",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    Fr,
    En,
}

impl Locale {
    pub fn key(self) -> &'static str {
        match self {
            Locale::Fr => "fr",
            Locale::En => "en",
        }
    }
}

/// A time term, with the horizon name it was given by, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Horizon {
    pub name: Option<String>,
    pub term: Term,
}

#[derive(Debug, Clone)]
pub struct Stage {
    pub id: String,
    pub label: String,
    pub phase: Phase,
    pub outcome: Outcome,
    pub probability: Decimal,
    pub criteria: String,
    pub decision_within: Option<Horizon>,
    pub decision_after: Option<Horizon>,
    pub stale_after: Option<Horizon>,
    pub requires: Vec<Field>,
    /// Indices of the stages this one may move to; `None` means any.
    pub next: Option<Vec<usize>>,
    pub lost_reasons: Vec<String>,
    /// The lost reasons folded ([`crate::text::fold`]), in the same order: a
    /// batch of moves compares a reason given with each, once a move.
    lost_folded: Vec<String>,
    /// Every deal in this stage must have a dated next action (`no_next_action`).
    pub next_action_required: bool,
    /// The alert rules' settings in this stage, in [`Rule::ALL`] order.
    pub alerts: Vec<RuleSettings>,
    /// The rules this stage's `alerts` table overrides.
    pub alert_overrides: Vec<Rule>,
    /// Index in [`Pipeline::milestones`] of the milestone entering this stage reaches.
    pub milestone: Option<usize>,
}

impl Stage {
    pub fn rule(&self, r: Rule) -> &RuleSettings {
        &self.alerts[r.index()]
    }

    pub fn is_open(&self) -> bool {
        self.outcome == Outcome::Open
    }

    /// The window `[from, until]` in which the expected decision must fall, seen from `today`.
    pub fn decision_window(&self, today: NaiveDate) -> (Option<NaiveDate>, Option<NaiveDate>) {
        (
            self.decision_after.as_ref().map(|h| h.term.after(today)),
            self.decision_within.as_ref().map(|h| h.term.after(today)),
        )
    }

    /// The lost reason this stage accepts that `value` names, matched
    /// without regard to case, accents or spacing.
    pub fn lost_reason(&self, value: &str) -> Option<&str> {
        let folded = crate::text::fold(value);
        let i = self.lost_folded.iter().position(|r| *r == folded)?;
        Some(&self.lost_reasons[i])
    }

    pub fn allows(&self, to: usize) -> bool {
        self.next.as_ref().is_none_or(|n| n.contains(&to))
    }
}

/// How a prospect tagged with several product families counts in per-family figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribution {
    /// Fully in each of its families (rows then add up to more than the total).
    Full,
    /// Its amount divided equally among its families.
    Split,
}

impl Attribution {
    pub fn key(self) -> &'static str {
        match self {
            Attribution::Full => "full",
            Attribution::Split => "split",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Product {
    pub id: String,
    pub label: String,
}

/// A kind of sales activity (`prospection`, `appel`…) declared under `[activities]`.
#[derive(Debug, Clone)]
pub struct ActivityKind {
    pub id: String,
    pub label: String,
}

/// The activity log: where it lives and the kinds of activity it records.
#[derive(Debug, Clone)]
pub struct ActivitiesConfig {
    /// The log's path as given in the TOML file, joined to the TOML file's folder.
    pub path: PathBuf,
    pub kinds: Vec<ActivityKind>,
    kind_names: HashMap<String, usize>,
}

impl ActivitiesConfig {
    /// Finds a kind by id or label, without regard to case, accents, `_` or `-`.
    pub fn find_kind(&self, name: &str) -> Option<usize> {
        self.kind_names.get(&fold(name)).copied()
    }

    pub fn unknown_kind(&self, name: &str) -> String {
        let known = self
            .kinds
            .iter()
            .flat_map(|k| [k.label.as_str(), k.id.as_str()]);
        let near = suggest(name, known);
        if near.is_empty() {
            let ids: Vec<&str> = self.kinds.iter().map(|k| k.id.as_str()).collect();
            format!(
                "unknown kind of activity `{name}`; the kinds are {}",
                or_list(&ids)
            )
        } else {
            format!(
                "unknown kind of activity `{name}`; did you mean {}?",
                or_list(&near)
            )
        }
    }
}

/// Figures declared in `pipeline.toml` for reaching a milestone, used where
/// the history holds too few cases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assumption {
    /// Percentage of the step before (new prospects, or the milestone before) that reaches this one.
    pub conversion: Option<Decimal>,
    /// Days from the step before to this milestone.
    pub days: Option<Decimal>,
    /// Hours of work per milestone reached, counting every prospect worked on.
    pub hours: Option<Hours>,
    /// Average amount of a signature (the last milestone only).
    pub amount: Option<Decimal>,
}

/// A point of the funnel the sales effort is measured against: reached when
/// a prospect first enters one of its stages (or a later milestone's).
#[derive(Debug, Clone)]
pub struct Milestone {
    pub name: String,
    /// The stages that mark it, in funnel order.
    pub stages: Vec<usize>,
    pub assumed: Assumption,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delimiter {
    Auto,
    Byte(u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingChoice {
    Auto,
    Utf8,
    Windows1252,
}

#[derive(Debug, Clone)]
pub struct RegisterConfig {
    /// The register's path as given in the TOML file, joined to the TOML file's folder.
    pub path: PathBuf,
    pub journal: PathBuf,
    pub delimiter: Delimiter,
    pub encoding: EncodingChoice,
    pub date_formats: DateFormats,
    pub list_separator: String,
    /// The header each logical field uses in the file.
    pub columns: Vec<(Field, String)>,
}

impl RegisterConfig {
    pub fn header(&self, f: Field) -> &str {
        &self.columns[f.index()].1
    }
}

#[derive(Debug, Clone)]
pub struct Pipeline {
    pub source: PathBuf,
    pub name: String,
    pub currency: String,
    pub locale: Locale,
    pub register: RegisterConfig,
    pub stages: Vec<Stage>,
    pub products: Vec<Product>,
    pub alerts: AlertsConfig,
    /// `[products] attribution`.
    pub attribution: Attribution,
    /// `[activities]`, when the pipeline keeps an activity log.
    pub activities: Option<ActivitiesConfig>,
    /// Milestones in funnel order (by their first stage); the last one counts signatures.
    pub milestones: Vec<Milestone>,
    /// Below this many cases, a figure of the history falls back to its assumption.
    pub min_cases: u32,
    /// The xxh3-128 hash of the pipeline file's text: the register's cache
    /// ([`crate::summary`]) holds rows as read under this very pipeline.
    pub text_hash: u128,
    stage_names: HashMap<String, usize>,
    product_names: HashMap<String, usize>,
    /// Ids and labels exactly as written: most cells match one, which spares folding.
    stage_exact: ExactNames,
    product_exact: ExactNames,
}

// ------------------------------------------------------------------ loading

impl Pipeline {
    /// Reads and validates a pipeline file. Errors are diagnostics ready to print.
    pub fn load(path: &Path) -> Result<Pipeline, Vec<Diagnostic>> {
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(vec![
                    Diagnostic::error(&shown, "no-pipeline", "no pipeline file here")
                        .hint("run `pipe init` to start one, or point at yours with `--config FILE` (or PIPE_CONFIG)"),
                ]);
            }
            Err(e) => {
                return Err(vec![Diagnostic::error(
                    &shown,
                    "unreadable",
                    format!("cannot read the pipeline: {e}"),
                )]);
            }
        };
        Pipeline::from_str(&text, path)
    }

    pub fn from_str(text: &str, path: &Path) -> Result<Pipeline, Vec<Diagnostic>> {
        let file = path.display().to_string();
        let raw: RawFile = match toml::from_str(text) {
            Ok(r) => r,
            Err(e) => {
                let mut d = Diagnostic::error(&file, "bad-toml", e.message().trim().to_string());
                if let Some(span) = e.span() {
                    let (l, c) = line_col(text, span.start);
                    d = d.at(l, c);
                }
                if e.message().contains("unknown field") {
                    d = d
                        .hint("check the spelling against docs/pipeline.md, which lists every key");
                } else if e.message().contains("missing field") {
                    d = d.hint("add the key; docs/pipeline.md lists what each section needs");
                }
                return Err(vec![d]);
            }
        };
        let mut v = Validator {
            text,
            file: &file,
            diags: Vec::new(),
        };
        let p = v.build(raw, path);
        if v.diags.is_empty() {
            Ok(p.expect("a pipeline without diagnostics"))
        } else {
            Err(v.diags)
        }
    }

    /// Finds a stage by id or label, without regard to case, accents, `_` or `-`.
    pub fn find_stage(&self, name: &str) -> Option<usize> {
        match self.stage_exact.get(name) {
            Some(&i) => Some(i),
            None => self.stage_names.get(&fold(name)).copied(),
        }
    }

    /// Every name [`Pipeline::find_stage`] knows, with its stage, sorted: what
    /// decides how the journal's stage names read (the journal's cache keys on it).
    pub fn stage_lookup(&self) -> Vec<(&str, usize)> {
        let mut names: Vec<(&str, usize)> = self
            .stage_exact
            .iter()
            .map(|(n, &i)| (n.as_str(), i))
            .chain(self.stage_names.iter().map(|(n, &i)| (n.as_str(), i)))
            .collect();
        names.sort_unstable();
        names
    }

    /// The message for a stage name that matches nothing.
    pub fn unknown_stage(&self, name: &str) -> String {
        let known = self
            .stages
            .iter()
            .flat_map(|s| [s.label.as_str(), s.id.as_str()]);
        // Suggest each stage once, by its label, whether its id or its label came near.
        let mut near: Vec<&str> = Vec::new();
        for n in suggest(name, known) {
            let label = self
                .find_stage(n)
                .map_or(n, |i| self.stages[i].label.as_str());
            if !near.contains(&label) {
                near.push(label);
            }
        }
        if near.is_empty() {
            let labels: Vec<&str> = self.stages.iter().map(|s| s.label.as_str()).collect();
            format!(
                "unknown stage `{name}`; the stages are {}",
                or_list(&labels)
            )
        } else {
            format!("unknown stage `{name}`; did you mean {}?", or_list(&near))
        }
    }

    pub fn find_product(&self, name: &str) -> Option<usize> {
        match self.product_exact.get(name) {
            Some(&i) => Some(i),
            None => self.product_names.get(&fold(name)).copied(),
        }
    }

    pub fn unknown_product(&self, name: &str) -> String {
        let known = self
            .products
            .iter()
            .flat_map(|p| [p.label.as_str(), p.id.as_str()]);
        let near = suggest(name, known);
        if near.is_empty() {
            format!(
                "unknown product family `{name}`; add it as a [[product]] in the pipeline, or use one of the families listed there"
            )
        } else {
            format!(
                "unknown product family `{name}`; did you mean {}?",
                or_list(&near)
            )
        }
    }

    pub fn first_stage_of(&self, phase: Phase) -> Option<usize> {
        self.stages.iter().position(|s| s.phase == phase)
    }
}

/// Names as written, hashed with a fast hash: looked up once or twice per row of a large scan.
type ExactNames = HashMap<String, usize, foldhash::fast::RandomState>;

fn exact<'a>(names: impl Iterator<Item = [&'a String; 2]>) -> ExactNames {
    let mut out = ExactNames::default();
    for (i, pair) in names.enumerate() {
        for n in pair {
            out.entry(n.clone()).or_insert(i);
        }
    }
    out
}

struct Validator<'a> {
    text: &'a str,
    file: &'a str,
    diags: Vec<Diagnostic>,
}

impl Validator<'_> {
    fn err<T>(&mut self, at: &Spanned<T>, code: &'static str, msg: String, hint: Option<String>) {
        let (l, c) = line_col(self.text, at.span().start);
        let mut d = Diagnostic::error(self.file, code, msg).at(l, c);
        if let Some(h) = hint {
            d = d.hint(h);
        }
        self.diags.push(d);
    }

    fn err_plain(&mut self, code: &'static str, msg: String, hint: Option<String>) {
        let mut d = Diagnostic::error(self.file, code, msg);
        if let Some(h) = hint {
            d = d.hint(h);
        }
        self.diags.push(d);
    }

    fn horizon(
        &mut self,
        horizons: &BTreeMap<String, Term>,
        key: &str,
        owner: &str,
        v: &Spanned<String>,
    ) -> Option<Horizon> {
        let s = v.get_ref().trim();
        if let Some(t) = horizons.get(s) {
            return Some(Horizon {
                name: Some(s.to_string()),
                term: *t,
            });
        }
        match Term::parse(s) {
            Ok(term) => Some(Horizon { name: None, term }),
            Err(_) if !s.starts_with(|c: char| c.is_ascii_digit()) => {
                let names: Vec<&str> = horizons.keys().map(String::as_str).collect();
                let near = suggest(s, names.iter().copied());
                let hint = if names.is_empty() {
                    "define it under [horizons] (such as `imminente = \"3 months\"`) or write a term such as `3 months`".to_string()
                } else if near.is_empty() {
                    format!(
                        "the horizons are {}; or write a term such as `3 months`",
                        or_list(&names)
                    )
                } else {
                    format!("did you mean {}?", or_list(&near))
                };
                self.err(
                    v,
                    "unknown-horizon",
                    format!("{owner}: `{key}` names an unknown horizon `{s}`"),
                    Some(hint),
                );
                None
            }
            Err(e) => {
                self.err(v, "bad-term", format!("{owner}: `{key}`: {e}"), None);
                None
            }
        }
    }

    /// Gathers the stages' `milestone` keys into milestones, in funnel order.
    fn milestones(&mut self, raw: &[RawStage], stages: &mut [Stage]) -> Vec<Milestone> {
        let mut milestones: Vec<Milestone> = Vec::new();
        for (i, s) in raw.iter().enumerate() {
            let Some(m) = &s.milestone else { continue };
            let owner = format!("stage `{}`", s.id.get_ref());
            let name = m.get_ref().trim();
            if name.is_empty() {
                self.err(
                    m,
                    "bad-milestone",
                    format!("{owner}: `milestone` is empty"),
                    Some(
                        "name the milestone the stage marks, such as `meeting`, `quote` or `signature`"
                            .into(),
                    ),
                );
                continue;
            }
            if stages[i].outcome == Outcome::Lost {
                self.err(
                    m,
                    "bad-milestone",
                    format!("{owner}: a lost stage cannot be a milestone"),
                    Some(
                        "milestones mark progress: put them on open stages and on the won stage"
                            .into(),
                    ),
                );
                continue;
            }
            let at = match milestones.iter().position(|x| fold(&x.name) == fold(name)) {
                Some(at) => at,
                None => {
                    milestones.push(Milestone {
                        name: name.to_string(),
                        stages: Vec::new(),
                        assumed: Assumption::default(),
                    });
                    milestones.len() - 1
                }
            };
            milestones[at].stages.push(i);
            stages[i].milestone = Some(at);
        }
        // The last milestone is what a target counts: signatures.
        let n = milestones.len();
        for (k, m) in milestones.iter().enumerate() {
            for &i in &m.stages {
                let at = raw[i].milestone.as_ref().expect("a milestone stage");
                let owner = format!("stage `{}`", raw[i].id.get_ref());
                let won = stages[i].outcome == Outcome::Won;
                if k + 1 == n && !won {
                    self.err(
                        at,
                        "bad-milestone",
                        format!(
                            "{owner}: `{}` is the last milestone, which counts signatures, but the stage's outcome is `{}`",
                            m.name,
                            stages[i].outcome.key()
                        ),
                        Some("put the last milestone on the won stage (such as Gagné), or add a later milestone there".into()),
                    );
                } else if k + 1 < n && won {
                    self.err(
                        at,
                        "bad-milestone",
                        format!(
                            "{owner}: `{}` is on a won stage, but the milestone `{}` comes after it",
                            m.name,
                            milestones[n - 1].name
                        ),
                        Some("only the last milestone (the signature) may be on won stages".into()),
                    );
                }
            }
        }
        milestones
    }

    /// `[effort]`: the minimum number of cases (returned) and the assumptions, set on the milestones.
    fn effort(&mut self, raw: Option<&RawEffort>, milestones: &mut [Milestone]) -> u32 {
        const DEFAULT: u32 = 10;
        let Some(raw) = raw else { return DEFAULT };
        let min_cases = match &raw.min_cases {
            None => DEFAULT,
            Some(v) => match u32::try_from(*v.get_ref()) {
                Ok(n) if n >= 1 => n,
                _ => {
                    self.err(
                        v,
                        "bad-min-cases",
                        format!("[effort] min_cases `{}` is not a whole number of at least 1", v.get_ref()),
                        Some("write how many cases a figure needs before the history is trusted, such as `10`".into()),
                    );
                    DEFAULT
                }
            },
        };
        let last = milestones.len().checked_sub(1);
        for (name, a) in &raw.assumptions {
            let owner = format!("[effort.assumptions.{}]", name.get_ref());
            let Some(k) = milestones
                .iter()
                .position(|m| fold(&m.name) == fold(name.get_ref()))
            else {
                let names: Vec<&str> = milestones.iter().map(|m| m.name.as_str()).collect();
                let near = suggest(name.get_ref(), names.iter().copied());
                let hint = if names.is_empty() {
                    format!(
                        "no stage declares a milestone: add `milestone = \"{}\"` to the stage that marks it",
                        name.get_ref()
                    )
                } else if near.is_empty() {
                    format!("the milestones are {}", or_list(&names))
                } else {
                    format!("did you mean {}?", or_list(&near))
                };
                self.err(
                    name,
                    "unknown-milestone",
                    format!("{owner} names no milestone"),
                    Some(hint),
                );
                continue;
            };
            let mut assumed = Assumption::default();
            if let Some(c) = &a.conversion {
                let v = c.get_ref().decimal();
                if v <= Decimal::ZERO || v > Decimal::ONE_HUNDRED {
                    self.err(
                        c,
                        "bad-assumption",
                        format!("{owner}: conversion {v} is not a percentage above 0 and at most 100"),
                        Some("write the percentage of the step before that reaches this milestone, such as `35`".into()),
                    );
                }
                assumed.conversion = Some(v);
            }
            if let Some(d) = &a.days {
                let v = d.get_ref().decimal();
                if v < Decimal::ZERO {
                    self.err(
                        d,
                        "bad-assumption",
                        format!("{owner}: days {v} is negative"),
                        Some(
                            "write the days from the step before to this milestone, such as `21`"
                                .into(),
                        ),
                    );
                }
                assumed.days = Some(v);
            }
            if let Some(h) = &a.hours {
                let parsed = match h.get_ref() {
                    RawQuantity::Number(n) => Hours::from_hours(n.decimal())
                        .ok_or_else(|| format!("{} hours is too large", n.decimal())),
                    RawQuantity::Text(t) => Hours::parse(t),
                };
                match parsed {
                    Ok(v) if v > Hours::ZERO => assumed.hours = Some(v),
                    Ok(_) => self.err(
                        h,
                        "bad-assumption",
                        format!("{owner}: hours must be more than zero"),
                        Some("write the hours of work per milestone reached, such as `6.5` or `\"6h30\"`".into()),
                    ),
                    Err(e) => self.err(h, "bad-assumption", format!("{owner}: {e}"), None),
                }
            }
            if let Some(m) = &a.amount {
                let parsed = match m.get_ref() {
                    RawQuantity::Number(n) => Ok(n.decimal()),
                    RawQuantity::Text(t) => crate::money::parse(t).map(|(v, _)| v),
                };
                if Some(k) != last {
                    self.err(
                        m,
                        "bad-assumption",
                        format!("{owner}: `amount` is the average amount of a signature"),
                        Some(format!(
                            "put it under [effort.assumptions.{}], the last milestone",
                            milestones[milestones.len() - 1].name
                        )),
                    );
                } else {
                    match parsed {
                        Ok(v) if v > Decimal::ZERO => assumed.amount = Some(v),
                        Ok(_) => self.err(
                            m,
                            "bad-assumption",
                            format!("{owner}: amount must be more than zero"),
                            None,
                        ),
                        Err(e) => self.err(m, "bad-assumption", format!("{owner}: {e}"), None),
                    }
                }
            }
            milestones[k].assumed = assumed;
        }
        min_cases
    }

    /// `[activities]`: the activity log's path and its kinds.
    fn activities(
        &mut self,
        raw: &RawActivities,
        base: &Path,
        register: &Path,
        journal: &Path,
    ) -> Option<ActivitiesConfig> {
        let path = base.join(raw.path.get_ref());
        if raw.path.get_ref().trim().is_empty() {
            self.err(
                &raw.path,
                "bad-activities-path",
                "[activities] path is empty".into(),
                Some("name the activity log's CSV file, such as `activities.csv`".into()),
            );
        } else if path == register || path == journal {
            let what = if path == register {
                "register"
            } else {
                "journal"
            };
            self.err(
                &raw.path,
                "bad-activities-path",
                format!("[activities] path is the {what}'s"),
                Some("the activity log needs a file of its own, such as `activities.csv`".into()),
            );
        }
        if raw.kinds.is_empty() {
            self.err(
                &raw.path,
                "no-activity-kinds",
                "[activities] declares no kind of activity".into(),
                Some("add [[activities.kind]] tables, each with an `id` and a `label`, such as `prospection`, `appel`, `rendez_vous`, `devis` and `relance`".into()),
            );
        }
        let mut kinds: Vec<ActivityKind> = Vec::new();
        let mut kind_names: HashMap<String, usize> = HashMap::new();
        for k in &raw.kinds {
            let i = kinds.len();
            let id = k.id.get_ref().trim().to_string();
            if id.is_empty() {
                self.err(
                    &k.id,
                    "bad-activity-kind",
                    "a kind of activity has an empty id".into(),
                    None,
                );
                continue;
            }
            let label = k
                .label
                .as_deref()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .unwrap_or(&id)
                .to_string();
            for name in [id.as_str(), label.as_str()] {
                match kind_names.get(&fold(name)) {
                    Some(&j) if j != i => self.err(
                        &k.id,
                        "duplicate-activity-kind",
                        format!(
                            "kind of activity `{id}`: the name `{name}` is already used by `{}`",
                            kinds[j].id
                        ),
                        Some("ids and labels must differ from every other kind's, ignoring case and accents".into()),
                    ),
                    _ => {
                        kind_names.insert(fold(name), i);
                    }
                }
            }
            kinds.push(ActivityKind { id, label });
        }
        Some(ActivitiesConfig {
            path,
            kinds,
            kind_names,
        })
    }

    fn build(&mut self, raw: RawFile, path: &Path) -> Option<Pipeline> {
        let base = path.parent().unwrap_or(Path::new(""));

        let locale = match raw.pipeline.locale.as_ref() {
            None => Locale::Fr,
            Some(l) => match l.get_ref().as_str() {
                "fr" => Locale::Fr,
                "en" => Locale::En,
                other => {
                    self.err(
                        l,
                        "bad-locale",
                        format!("[pipeline] locale `{other}` is not supported"),
                        Some("use `fr` or `en`".into()),
                    );
                    Locale::Fr
                }
            },
        };

        // [register]
        let r = &raw.register;
        let reg_path = base.join(r.path.get_ref());
        let journal = match &r.journal {
            Some(j) => base.join(j.get_ref()),
            None => reg_path.with_file_name("journal.csv"),
        };
        let delimiter = match r.delimiter.as_ref() {
            None => Delimiter::Auto,
            Some(d) => match d.get_ref().as_str() {
                "auto" => Delimiter::Auto,
                "," => Delimiter::Byte(b','),
                ";" => Delimiter::Byte(b';'),
                "\t" | "tab" => Delimiter::Byte(b'\t'),
                other => {
                    self.err(
                        d,
                        "bad-delimiter",
                        format!("[register] delimiter `{other}` is not supported"),
                        Some("use `,`, `;`, `tab` (or \"\\t\" in double quotes) or `auto`".into()),
                    );
                    Delimiter::Auto
                }
            },
        };
        let encoding = match r.encoding.as_ref() {
            None => EncodingChoice::Auto,
            Some(e) => match fold(e.get_ref()).replace(' ', "").as_str() {
                "auto" => EncodingChoice::Auto,
                "utf8" => EncodingChoice::Utf8,
                "windows1252" | "cp1252" => EncodingChoice::Windows1252,
                _ => {
                    self.err(
                        e,
                        "bad-encoding",
                        format!("[register] encoding `{}` is not supported", e.get_ref()),
                        Some("use `utf-8`, `windows-1252` or `auto`".into()),
                    );
                    EncodingChoice::Auto
                }
            },
        };
        let mut formats = Vec::new();
        for f in &r.date_formats {
            match dates::check_format(f.get_ref()) {
                Ok(()) => formats.push(f.get_ref().clone()),
                Err(e) => self.err(
                    f,
                    "bad-date-format",
                    format!("[register] date_formats: {e}"),
                    None,
                ),
            }
        }
        let list_separator = match &r.list_separator {
            None => "|".to_string(),
            Some(s) if s.get_ref().trim().is_empty() => {
                self.err(
                    s,
                    "bad-list-separator",
                    "[register] list_separator is empty".into(),
                    Some(
                        "use a character that never appears in a product name, such as `|`".into(),
                    ),
                );
                "|".into()
            }
            Some(s) => s.get_ref().clone(),
        };
        let mut columns = Vec::new();
        let mut seen_headers: HashMap<String, Field> = HashMap::new();
        for f in Field::ALL {
            let header = match r.columns.get(f) {
                Some(h) if h.get_ref().trim().is_empty() => {
                    self.err(
                        h,
                        "bad-column",
                        format!("[register.columns] {} is empty", f.key()),
                        Some("give the header the column has in the register".into()),
                    );
                    f.key().to_string()
                }
                Some(h) => {
                    if let Some(other) = seen_headers.get(h.get_ref()) {
                        self.err(
                            h,
                            "duplicate-column",
                            format!(
                                "[register.columns] {} and {} both use the header `{}`",
                                other.key(),
                                f.key(),
                                h.get_ref()
                            ),
                            Some("each field needs its own column".into()),
                        );
                    }
                    h.get_ref().clone()
                }
                None => f.key().to_string(),
            };
            seen_headers.entry(header.clone()).or_insert(f);
            columns.push((f, header));
        }
        // Headers are matched without regard to case and accents, so they must differ that way too.
        for (i, (f, h)) in columns.iter().enumerate() {
            if let Some((g, _)) = columns[..i]
                .iter()
                .find(|(_, o)| fold(o) == fold(h) && o != h)
            {
                self.err_plain("duplicate-column", format!("[register.columns] {} and {} would both read the column `{h}`", g.key(), f.key()), Some("give each field a header of its own (unset fields use their own name as header)".into()));
            }
        }

        // [horizons]
        let mut horizons = BTreeMap::new();
        for (name, v) in &raw.horizons {
            match Term::parse(v.get_ref()) {
                Ok(t) => {
                    horizons.insert(name.clone(), t);
                }
                Err(e) => self.err(v, "bad-term", format!("[horizons] {name}: {e}"), None),
            }
        }

        // [alerts]
        let alerts = self.alerts(&raw.alerts, &horizons, &DateFormats::new(&formats));

        // [[stage]]
        if raw.stages.is_empty() {
            self.err_plain(
                "no-stages",
                "the pipeline has no [[stage]]".into(),
                Some("add the stages in funnel order; see docs/pipeline.md".into()),
            );
        }
        let mut stage_names: HashMap<String, usize> = HashMap::new();
        for (i, s) in raw.stages.iter().enumerate() {
            let id = s.id.get_ref();
            if id.trim().is_empty() {
                self.err(
                    &s.id,
                    "bad-stage-id",
                    "a stage has an empty id".into(),
                    None,
                );
                continue;
            }
            let label = s.label.clone().unwrap_or_else(|| id.clone());
            for name in [id.as_str(), label.as_str()] {
                let key = fold(name);
                match stage_names.get(&key) {
                    Some(&j) if j != i => {
                        let other = raw.stages[j].id.get_ref();
                        self.err(&s.id, "duplicate-stage", format!("stage `{id}`: the name `{name}` is already used by stage `{other}`"), Some("ids and labels must differ from every other stage's, ignoring case and accents".into()));
                    }
                    _ => {
                        stage_names.insert(key, i);
                    }
                }
            }
        }
        let mut stages = Vec::new();
        for s in &raw.stages {
            let id = s.id.get_ref().clone();
            let owner = format!("stage `{id}`");
            let probability = match &s.probability {
                None => match s.outcome {
                    Outcome::Won => Decimal::ONE_HUNDRED,
                    _ => Decimal::ZERO,
                },
                Some(p) => {
                    let v = p.get_ref().decimal();
                    if v < Decimal::ZERO || v > Decimal::ONE_HUNDRED {
                        self.err(
                            p,
                            "bad-probability",
                            format!("{owner}: probability {v} is outside 0 to 100"),
                            Some("write a percentage, such as `40`".into()),
                        );
                    }
                    v
                }
            };
            let decision_within = s
                .decision_within
                .as_ref()
                .and_then(|v| self.horizon(&horizons, "decision_within", &owner, v));
            let decision_after = s
                .decision_after
                .as_ref()
                .and_then(|v| self.horizon(&horizons, "decision_after", &owner, v));
            if let (Some(w), Some(a), Some(at)) =
                (&decision_within, &decision_after, &s.decision_after)
            {
                let probe = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
                if a.term.after(probe) >= w.term.after(probe) {
                    self.err(
                        at,
                        "empty-window",
                        format!(
                            "{owner}: decision_after ({}) is not shorter than decision_within ({})",
                            a.term, w.term
                        ),
                        Some(
                            "the decision window runs from decision_after to decision_within"
                                .into(),
                        ),
                    );
                }
            }
            let stale_after = s
                .stale_after
                .as_ref()
                .and_then(|v| self.horizon(&horizons, "stale_after", &owner, v));
            let mut requires = Vec::new();
            for r in &s.requires {
                match Field::from_key(r.get_ref()) {
                    Some(f) if f == Field::Id || f == Field::Stage => {
                        self.err(
                            r,
                            "bad-requires",
                            format!(
                                "{owner}: `{}` is always required; drop it from `requires`",
                                f.key()
                            ),
                            None,
                        );
                    }
                    Some(f) => requires.push(f),
                    None => {
                        let near = suggest(r.get_ref(), Field::keys());
                        let hint = if near.is_empty() {
                            format!(
                                "the fields are {}",
                                or_list(&Field::keys().collect::<Vec<_>>())
                            )
                        } else {
                            format!("did you mean {}?", or_list(&near))
                        };
                        self.err(
                            r,
                            "unknown-field",
                            format!(
                                "{owner}: `requires` names an unknown field `{}`",
                                r.get_ref()
                            ),
                            Some(hint),
                        );
                    }
                }
            }
            let next = s.next.as_ref().map(|list| {
                let mut out = Vec::new();
                for n in list {
                    match stage_names.get(&fold(n.get_ref())) {
                        Some(&j) => out.push(j),
                        None => {
                            let known = raw.stages.iter().map(|s| s.id.get_ref().as_str());
                            let near = suggest(n.get_ref(), known);
                            let hint = (!near.is_empty())
                                .then(|| format!("did you mean {}?", or_list(&near)));
                            self.err(
                                n,
                                "unknown-stage",
                                format!("{owner}: `next` names an unknown stage `{}`", n.get_ref()),
                                hint,
                            );
                        }
                    }
                }
                out
            });
            if !s.lost_reasons.is_empty() && s.outcome != Outcome::Lost {
                self.err(
                    &s.id,
                    "misplaced-lost-reasons",
                    format!(
                        "{owner}: lost_reasons is set but the stage's outcome is `{}`",
                        s.outcome.key()
                    ),
                    Some("lost reasons belong on stages with `outcome = \"lost\"`".into()),
                );
            }
            let (stage_alerts, alert_overrides) =
                self.stage_alerts(s.alerts.as_ref(), &horizons, &s.id, &alerts);
            stages.push(Stage {
                label: s.label.clone().unwrap_or_else(|| id.clone()),
                id,
                phase: s.phase,
                outcome: s.outcome,
                probability,
                criteria: s.criteria.trim().to_string(),
                decision_within,
                decision_after,
                stale_after,
                requires,
                next,
                lost_reasons: s.lost_reasons.clone(),
                lost_folded: s
                    .lost_reasons
                    .iter()
                    .map(|r| crate::text::fold(r))
                    .collect(),
                next_action_required: s.next_action_required,
                alerts: stage_alerts,
                alert_overrides,
                milestone: None,
            });
        }
        if !stages.is_empty() && !stages.iter().any(|s| s.outcome == Outcome::Won) {
            self.err_plain("no-won-stage", "no stage has `outcome = \"won\"`".into(), Some("mark the stage that records a signature (such as Gagné) with `outcome = \"won\"`".into()));
        }
        if !stages.is_empty() && !stages.iter().any(Stage::is_open) {
            self.err_plain(
                "no-open-stage",
                "no stage has `outcome = \"open\"`".into(),
                Some("a pipeline needs at least one stage where deals are in progress".into()),
            );
        }

        // milestones, [effort], [activities]
        let mut milestones = self.milestones(&raw.stages, &mut stages);
        let min_cases = self.effort(raw.effort.as_ref(), &mut milestones);
        let activities = raw
            .activities
            .as_ref()
            .and_then(|a| self.activities(a, base, &reg_path, &journal));

        // [[product]]
        let mut products = Vec::new();
        let mut product_names: HashMap<String, usize> = HashMap::new();
        for (i, p) in raw.products.iter().enumerate() {
            let id = p.id.get_ref().clone();
            let label = p.label.clone().unwrap_or_else(|| id.clone());
            if id.trim().is_empty() {
                self.err(
                    &p.id,
                    "bad-product",
                    "a product family has an empty id".into(),
                    None,
                );
            }
            // `|` separates product ids in the journal, whatever the register's separator.
            for sep in [list_separator.as_str(), "|"] {
                if id.contains(sep) || label.contains(sep) {
                    self.err(
                        &p.id,
                        "bad-product",
                        format!("product `{id}` contains `{sep}`, which separates families in list cells or the journal"),
                        Some("choose an id and a label without it".into()),
                    );
                    break;
                }
            }
            for name in [id.as_str(), label.as_str()] {
                match product_names.get(&fold(name)) {
                    Some(&j) if j != i => {
                        self.err(
                            &p.id,
                            "duplicate-product",
                            format!(
                                "product `{id}`: the name `{name}` is already used by product `{}`",
                                raw.products[j].id.get_ref()
                            ),
                            None,
                        );
                    }
                    _ => {
                        product_names.insert(fold(name), i);
                    }
                }
            }
            products.push(Product { id, label });
        }

        // [products]
        let attribution = match raw.product_settings.attribution.as_ref() {
            None => Attribution::Full,
            Some(a) => match a.get_ref().as_str() {
                "full" => Attribution::Full,
                "split" => Attribution::Split,
                other => {
                    self.err(
                        a,
                        "bad-attribution",
                        format!("[products] attribution `{other}` is not supported"),
                        Some("use `full` (a prospect counts fully in each of its families) or `split` (its amount is divided equally among them)".into()),
                    );
                    Attribution::Full
                }
            },
        };

        if !self.diags.is_empty() {
            return None;
        }
        let stage_exact = exact(stages.iter().map(|s| [&s.id, &s.label]));
        let product_exact = exact(products.iter().map(|p| [&p.id, &p.label]));
        Some(Pipeline {
            source: path.to_path_buf(),
            name: raw.pipeline.name.unwrap_or_else(|| "Pipeline".into()),
            currency: raw.pipeline.currency.unwrap_or_else(|| "EUR".into()),
            locale,
            register: RegisterConfig {
                path: reg_path,
                journal,
                delimiter,
                encoding,
                date_formats: DateFormats::new(&formats),
                list_separator,
                columns,
            },
            stages,
            products,
            alerts,
            stage_exact,
            product_exact,
            attribution,
            activities,
            milestones,
            min_cases,
            text_hash: xxhash_rust::xxh3::xxh3_128(self.text.as_bytes()),
            stage_names,
            product_names,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[pipeline]
name = "Test"
[register]
path = "r.csv"
[horizons]
imminente = "3 months"
[[stage]]
id = "a_suivre"
label = "À suivre"
phase = "prospect"
probability = 30
next = ["chaud", "gagne"]
[[stage]]
id = "chaud"
label = "Chaud"
phase = "prospect"
probability = 70
decision_within = "imminente"
[[stage]]
id = "gagne"
label = "Gagné"
phase = "prospect"
outcome = "won"
"#;

    fn load(text: &str) -> Result<Pipeline, Vec<Diagnostic>> {
        Pipeline::from_str(text, Path::new("p.toml"))
    }

    #[test]
    fn loads_a_minimal_pipeline() {
        let p = load(MINIMAL).unwrap();
        assert_eq!(p.stages.len(), 3);
        assert_eq!(p.find_stage("a suivre"), Some(0));
        assert_eq!(p.find_stage("GAGNE"), Some(2));
        assert_eq!(p.stages[2].probability, Decimal::ONE_HUNDRED);
        assert!(p.stages[0].allows(1));
        assert!(!p.stages[0].allows(0));
        assert_eq!(p.register.path, Path::new("r.csv"));
        assert_eq!(p.register.journal, Path::new("journal.csv"));
    }

    #[test]
    fn names_the_line_of_an_unknown_key() {
        let text = MINIMAL.replace("probability = 70", "probabilty = 70");
        let d = load(&text).unwrap_err();
        assert_eq!(d[0].line, Some(18));
        assert!(d[0].message.contains("probabilty"), "{}", d[0].message);
    }

    #[test]
    fn reads_the_attribution_of_multi_family_prospects() {
        assert_eq!(load(MINIMAL).unwrap().attribution, Attribution::Full);
        let split = format!("{MINIMAL}\n[products]\nattribution = \"split\"\n");
        assert_eq!(load(&split).unwrap().attribution, Attribution::Split);
        let bad = format!("{MINIMAL}\n[products]\nattribution = \"half\"\n");
        let d = load(&bad).unwrap_err();
        assert_eq!(d[0].code, "bad-attribution");
        assert_eq!(d[0].line, Some(27));
        let typo = format!("{MINIMAL}\n[products]\nattrib = \"split\"\n");
        assert_eq!(load(&typo).unwrap_err()[0].code, "bad-toml");
    }

    #[test]
    fn reports_every_inconsistency() {
        let text = MINIMAL
            .replace("\"imminente\"\n", "\"imminent\"\n")
            .replace("probability = 30", "probability = 130")
            .replace("outcome = \"won\"", "outcome = \"lost\"");
        let d = load(&text).unwrap_err();
        let codes: Vec<&str> = d.iter().map(|d| d.code).collect();
        assert_eq!(
            codes,
            ["bad-probability", "unknown-horizon", "no-won-stage"]
        );
        assert!(d[1].hint.as_deref().unwrap().contains("imminente"));
    }

    const EFFORT: &str = r#"
[pipeline]
[register]
path = "r.csv"
[activities]
path = "a.csv"
[[activities.kind]]
id = "appel"
label = "Appel"
[[activities.kind]]
id = "rendez_vous"
label = "Rendez-vous"
[effort]
min_cases = 5
[effort.assumptions.meeting]
conversion = 30
days = 21
hours = "6h30"
[effort.assumptions.signature]
hours = 41
amount = "18 000 €"
[[stage]]
id = "rdv"
phase = "prospect"
milestone = "meeting"
[[stage]]
id = "devis"
phase = "prospect"
milestone = "quote"
[[stage]]
id = "perdu"
phase = "prospect"
outcome = "lost"
[[stage]]
id = "gagne"
phase = "prospect"
outcome = "won"
milestone = "signature"
[[stage]]
id = "client"
phase = "client"
outcome = "won"
milestone = "Signature"
"#;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn loads_activities_milestones_and_assumptions() {
        let p = load(EFFORT).unwrap();
        let a = p.activities.as_ref().unwrap();
        assert_eq!(a.path, Path::new("a.csv"));
        assert_eq!(a.find_kind("rendez vous"), Some(1));
        assert_eq!(a.find_kind("APPEL"), Some(0));
        assert_eq!(p.min_cases, 5);
        let names: Vec<&str> = p.milestones.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["meeting", "quote", "signature"]);
        assert_eq!(p.milestones[2].stages, [3, 4]);
        assert_eq!(p.stages[4].milestone, Some(2));
        assert_eq!(p.stages[2].milestone, None);
        let m = &p.milestones[0].assumed;
        assert_eq!(m.conversion, Some(dec("30")));
        assert_eq!(m.days, Some(dec("21")));
        assert_eq!(m.hours, Hours::parse("6.5").ok());
        assert_eq!(p.milestones[2].assumed.amount, Some(dec("18000")));
        assert_eq!(p.milestones[1].assumed, Assumption::default());
    }

    #[test]
    fn defaults_without_effort_settings() {
        let p = load(MINIMAL).unwrap();
        assert!(p.activities.is_none());
        assert!(p.milestones.is_empty());
        assert_eq!(p.min_cases, 10);
    }

    #[test]
    fn reports_bad_effort_settings_with_their_lines() {
        let after =
            format!("{EFFORT}[[stage]]\nid = \"x\"\nphase = \"client\"\nmilestone = \"after\"\n");
        type Case<'a> = (&'a str, &'a str, &'a [(&'a str, u64)]);
        let cases: [Case; 11] = [
            ("min_cases = 5", "min_cases = 0", &[("bad-min-cases", 14)]),
            (
                "[effort.assumptions.meeting]",
                "[effort.assumptions.meting]",
                &[("unknown-milestone", 15)],
            ),
            (
                "conversion = 30",
                "conversion = 140",
                &[("bad-assumption", 16)],
            ),
            ("days = 21", "days = -2", &[("bad-assumption", 17)]),
            (
                "hours = 41",
                "hours = \"41 heures\"",
                &[("bad-assumption", 20)],
            ),
            (
                "days = 21",
                "days = 21\namount = 5",
                &[("bad-assumption", 18)],
            ),
            (
                "path = \"a.csv\"",
                "path = \"r.csv\"",
                &[("bad-activities-path", 6)],
            ),
            (
                "id = \"rendez_vous\"",
                "id = \"appel\"",
                &[("duplicate-activity-kind", 11)],
            ),
            (
                "outcome = \"lost\"",
                "outcome = \"lost\"\nmilestone = \"perte\"",
                &[("bad-milestone", 34)],
            ),
            (
                "milestone = \"Signature\"",
                "milestone = \"meeting\"",
                &[("bad-milestone", 43)],
            ),
            (
                EFFORT,
                &after,
                &[
                    ("bad-milestone", 38),
                    ("bad-milestone", 43),
                    ("bad-milestone", 47),
                    ("bad-assumption", 21),
                ],
            ),
        ];
        for (from, to, want) in cases {
            assert!(EFFORT.contains(from), "{from}");
            let d = load(&EFFORT.replacen(from, to, 1)).unwrap_err();
            let got: Vec<(&str, u64)> = d.iter().map(|d| (d.code, d.line.unwrap())).collect();
            assert_eq!(got, want, "{to}: {d:#?}");
        }
        let d = load(&EFFORT.replace(
            "[effort.assumptions.meeting]",
            "[effort.assumptions.meting]",
        ))
        .unwrap_err();
        assert_eq!(d[0].hint.as_deref(), Some("did you mean `meeting`?"));
    }
}
