//! `pipeline.toml`: the company's method in one file (stages, criteria,
//! horizons, rules, product families) and where the register lives.
//!
//! `load` reads the file; everything else works on a string so tests never
//! touch the disk. The serde model is strict (unknown keys are refused with
//! their line) and `validate` adds the checks that span several keys.

use crate::dates::{self, DateFormats};
use crate::diag::{Diagnostic, line_col};
use crate::field::Field;
use crate::term::Term;
use crate::text::{fold, or_list, suggest};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use toml::Spanned;

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
}

impl Stage {
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
    /// `[products] attribution`.
    pub attribution: Attribution,
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
                    let v = match p.get_ref() {
                        RawNumber::Int(i) => Decimal::from(*i),
                        RawNumber::Float(f) => {
                            Decimal::from_str(&f.to_string()).unwrap_or(Decimal::MAX)
                        }
                    };
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
            stage_exact,
            product_exact,
            attribution,
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
}
