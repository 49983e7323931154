//! The staff manual, generated from `pipeline.toml`: the stages in funnel
//! order with their criteria, decision windows, required fields, next
//! stages and limits; the lost reasons; the product families; the alert
//! rules and their thresholds. Written in the pipeline's locale from the
//! same model the checks and alerts use, so the two cannot disagree.
//!
//! [`build`] makes a document value; [`Manual::to_markdown`] and
//! [`Manual::to_html`] render it. Pure.

use crate::field::Field;
use crate::pipeline::{Outcome, Phase, Pipeline, Rule, RuleSettings, Stage};
use crate::render;
use crate::words::{self, pick};

/// A piece of running text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Strong(String),
    Code(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Heading(u8, String),
    Paragraph(Vec<Inline>),
    List(Vec<Vec<Inline>>),
    Table {
        headers: Vec<String>,
        rows: Vec<Vec<Vec<Inline>>>,
    },
}

#[derive(Debug, Clone)]
pub struct Manual {
    pub title: String,
    pub lang: &'static str,
    pub blocks: Vec<Block>,
}

fn text(s: impl Into<String>) -> Inline {
    Inline::Text(s.into())
}

fn strong(s: impl Into<String>) -> Inline {
    Inline::Strong(s.into())
}

fn code(s: impl Into<String>) -> Inline {
    Inline::Code(s.into())
}

/// Text whose `backticked` spans are code.
fn rich(s: &str) -> Vec<Inline> {
    s.split('`')
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(i, part)| if i % 2 == 1 { code(part) } else { text(part) })
        .collect()
}

/// `label : value` as a list item, the label in bold.
fn item(p: &Pipeline, label: &str, mut rest: Vec<Inline>) -> Vec<Inline> {
    let mut out = vec![strong(label), text(pick(p, "\u{a0}: ", ": "))];
    out.append(&mut rest);
    out
}

pub fn build(p: &Pipeline) -> Manual {
    let mut b = Vec::new();
    let title = format!(
        "{} — {}",
        pick(p, "Manuel commercial", "Sales manual"),
        p.name
    );
    b.push(Block::Heading(1, title.clone()));
    b.push(Block::Paragraph(vec![
        text(pick(
            p,
            "Ce manuel est produit par ",
            "This manual is produced by ",
        )),
        code("pipe manual"),
        text(pick(p, " à partir de ", " from ")),
        code("pipeline.toml"),
        text(pick(
            p,
            ", la source même des contrôles de ",
            ", the very source of the checks of ",
        )),
        code("pipe check"),
        text(pick(p, " et des alertes de ", " and of the alerts of ")),
        code("pipe alerts"),
        text(pick(
            p,
            ". Pour le changer, modifiez la méthode dans pipeline.toml, puis régénérez-le.",
            ". To change it, change the method in pipeline.toml, then generate it again.",
        )),
    ]));
    stages(p, &mut b);
    lost_reasons(p, &mut b);
    products(p, &mut b);
    alerts(p, &mut b);
    Manual {
        title,
        lang: pick(p, "fr", "en"),
        blocks: b,
    }
}

fn phase(p: &Pipeline, ph: Phase) -> &'static str {
    match ph {
        Phase::Suspect => pick(p, "suspect", "suspect"),
        Phase::Prospect => pick(p, "prospect", "prospect"),
        Phase::Client => pick(p, "client", "client"),
    }
}

fn outcome(p: &Pipeline, o: Outcome) -> &'static str {
    match o {
        Outcome::Open => pick(p, "affaire en cours", "deal in progress"),
        Outcome::Won => pick(p, "affaire gagnée", "deal won"),
        Outcome::Lost => pick(p, "affaire perdue", "deal lost"),
    }
}

/// `décision attendue sous 3 mois (échéance « imminente »)`.
fn window(p: &Pipeline, s: &Stage) -> String {
    let Some(w) = words::window(p, s) else {
        return pick(p, "pas de fenêtre de décision", "no decision window").to_string();
    };
    let names: Vec<String> = [&s.decision_after, &s.decision_within]
        .into_iter()
        .flatten()
        .filter_map(|h| h.name.as_ref())
        .map(|n| words::quote(p, n))
        .collect();
    if names.is_empty() {
        w
    } else {
        format!(
            "{w} ({} {})",
            pick(p, "échéance", "horizon"),
            words::list(p, &names)
        )
    }
}

fn fields(p: &Pipeline, fs: &[Field]) -> String {
    let names: Vec<String> = fs.iter().map(|f| words::field(p, *f)).collect();
    words::list(p, &names)
}

fn stage_names(p: &Pipeline, idx: &[usize]) -> String {
    let names: Vec<&str> = idx.iter().map(|&i| p.stages[i].label.as_str()).collect();
    words::list(p, &names)
}

fn stale(p: &Pipeline, s: &Stage) -> Vec<Inline> {
    let r = s.rule(Rule::Stale);
    match &s.stale_after {
        None => vec![text(pick(p, "pas de limite de durée", "no time limit"))],
        Some(h) => {
            let mut v = vec![text(format!(
                "{} {} {}",
                pick(p, "après", "after"),
                words::counted_term(p, h.term, r.business_days),
                pick(
                    p,
                    "dans l'étape sans en changer",
                    "in the stage without leaving it"
                )
            ))];
            if r.enabled {
                v.push(text(pick(p, " (alerte ", " (alert ")));
                v.push(code(Rule::Stale.key()));
                v.push(text(format!(", {})", words::severity(p, r.severity))));
            }
            v
        }
    }
}

fn stages(p: &Pipeline, b: &mut Vec<Block>) {
    b.push(Block::Heading(
        2,
        pick(p, "Les étapes", "The stages").into(),
    ));
    b.push(Block::Paragraph(vec![text(pick(
        p,
        "Dans l'ordre de l'entonnoir. Chaque affaire est classée dans l'étape dont elle remplit les critères ; la date de décision attendue se compte à partir du jour où l'on regarde.",
        "In funnel order. Each deal is put in the stage whose criteria it meets; the expected decision is counted from the day one looks.",
    ))]));
    let mut rows = Vec::new();
    for (i, s) in p.stages.iter().enumerate() {
        rows.push(vec![
            vec![text((i + 1).to_string())],
            vec![text(&s.label)],
            vec![text(s.phase.key())],
            vec![text(render::percent(p, s.probability))],
            vec![text(window(p, s))],
            vec![text(s.stale_after.as_ref().map_or_else(
                || "—".to_string(),
                |h| words::counted_term(p, h.term, s.rule(Rule::Stale).business_days),
            ))],
        ]);
    }
    b.push(Block::Table {
        headers: vec![
            "#".into(),
            pick(p, "Étape", "Stage").into(),
            "Phase".into(),
            pick(p, "Probabilité", "Probability").into(),
            pick(p, "Décision", "Decision").into(),
            pick(p, "Hors standards après", "Outside the standards after").into(),
        ],
        rows,
    });
    for (i, s) in p.stages.iter().enumerate() {
        b.push(Block::Heading(3, format!("{}. {}", i + 1, s.label)));
        let mut list = vec![
            item(p, pick(p, "Code", "Id"), vec![code(&s.id)]),
            item(
                p,
                "Phase",
                vec![text(format!(
                    "{}, {}",
                    phase(p, s.phase),
                    outcome(p, s.outcome)
                ))],
            ),
            item(
                p,
                pick(p, "Probabilité", "Probability"),
                vec![text(render::percent(p, s.probability))],
            ),
        ];
        if !s.criteria.is_empty() {
            list.push(item(
                p,
                pick(p, "Critères", "Criteria"),
                vec![text(&s.criteria)],
            ));
        }
        list.push(item(
            p,
            pick(p, "Décision attendue", "Expected decision"),
            vec![text(window(p, s))],
        ));
        list.push(item(
            p,
            pick(p, "Pour y entrer, renseigner", "To enter it, fill in"),
            vec![text(if s.requires.is_empty() {
                pick(p, "aucun champ de plus", "no further field").to_string()
            } else {
                fields(p, &s.requires)
            })],
        ));
        if s.next_action_required {
            list.push(item(
                p,
                pick(p, "Prochaine action", "Next action"),
                vec![
                    text(format!(
                        "{} {} {}",
                        pick(p, "une date dans", "a date in"),
                        words::field(p, Field::NextAction),
                        pick(p, "est obligatoire (alerte ", "is required (alert ")
                    )),
                    code(Rule::NoNextAction.key()),
                    text(")"),
                ],
            ));
        }
        list.push(item(
            p,
            pick(p, "Étapes suivantes possibles", "May move on to"),
            vec![text(match &s.next {
                None => pick(p, "toutes", "any stage").to_string(),
                Some(n) if n.is_empty() => pick(p, "aucune", "none").to_string(),
                Some(n) => stage_names(p, n),
            })],
        ));
        list.push(item(
            p,
            pick(p, "Hors des standards", "Outside the standards"),
            stale(p, s),
        ));
        if !s.lost_reasons.is_empty() {
            list.push(item(
                p,
                pick(p, "Motifs de perte", "Lost reasons"),
                vec![text(words::list(p, &s.lost_reasons))],
            ));
        }
        for r in &s.alert_overrides {
            let mut v = vec![code(r.key()), text(pick(p, "\u{a0}: ", ": "))];
            v.extend(rich(&settings_words(p, *r, s.rule(*r))));
            list.push(item(
                p,
                pick(p, "Alerte propre à l'étape", "Alert set for this stage"),
                v,
            ));
        }
        b.push(Block::List(list));
    }
}

fn lost_reasons(p: &Pipeline, b: &mut Vec<Block>) {
    let lost: Vec<&Stage> = p
        .stages
        .iter()
        .filter(|s| s.outcome == Outcome::Lost)
        .collect();
    if lost.is_empty() {
        return;
    }
    b.push(Block::Heading(
        2,
        pick(p, "Motifs de perte", "Lost reasons").into(),
    ));
    b.push(Block::Paragraph(vec![text(pick(
        p,
        "Une affaire perdue porte l'un des motifs de son étape ; ils servent à l'analyse des pertes.",
        "A lost deal carries one of its stage's reasons; they feed the analysis of losses.",
    ))]));
    for s in lost {
        b.push(Block::Heading(3, s.label.clone()));
        if s.lost_reasons.is_empty() {
            b.push(Block::Paragraph(vec![text(pick(
                p,
                "Motif libre.",
                "Any reason.",
            ))]));
        } else {
            b.push(Block::List(
                s.lost_reasons.iter().map(|r| vec![text(r)]).collect(),
            ));
        }
    }
}

fn products(p: &Pipeline, b: &mut Vec<Block>) {
    if p.products.is_empty() {
        return;
    }
    b.push(Block::Heading(
        2,
        pick(p, "Familles de produits", "Product families").into(),
    ));
    b.push(Block::Paragraph(vec![
        text(pick(
            p,
            "À indiquer dans la colonne ",
            "To be given in the column ",
        )),
        text(words::field(p, Field::Products)),
        text(pick(p, ", séparées par ", ", separated by ")),
        code(&p.register.list_separator),
        text("."),
    ]));
    b.push(Block::Table {
        headers: vec![
            pick(p, "Famille", "Family").into(),
            pick(p, "Code", "Id").into(),
        ],
        rows: p
            .products
            .iter()
            .map(|f| vec![vec![text(&f.label)], vec![code(&f.id)]])
            .collect(),
    });
}

fn describe(p: &Pipeline, r: Rule) -> String {
    let fr = match r {
        Rule::Stale => {
            "L'affaire est restée dans son étape plus longtemps que la durée de l'étape. Une affaire mise en veille n'est pas signalée avant sa date de réveil."
        }
        Rule::DecisionOverdue => "La date de décision prévue d'une affaire en cours est passée.",
        Rule::HorizonMismatch => {
            "La date de décision prévue ne tombe pas dans la fenêtre de l'étape ; l'alerte nomme l'étape qui convient (`pipe triage` la propose)."
        }
        Rule::MissingField => {
            "Un champ que l'étape exige est vide (par exemple après une modification dans le tableur)."
        }
        Rule::NextActionOverdue => "La date de prochaine action est passée (sauf affaire perdue).",
        Rule::NoNextAction => "L'étape demande une prochaine action datée et il n'y en a pas.",
        Rule::SnoozedUntilPassed => {
            "L'affaire avait été mise en veille jusqu'à une date, et cette date est arrivée."
        }
        Rule::DecisionSlipped => {
            "La date de décision a été repoussée plusieurs fois (d'après le journal)."
        }
        Rule::InvalidRow => {
            "Une ligne du registre que `pipe check` refuse (étape inconnue, date illisible…) : elle est signalée au lieu d'être ignorée."
        }
    };
    let en = match r {
        Rule::Stale => {
            "The deal stayed in its stage longer than the stage allows. A deal set aside is not reported before its wake-up date."
        }
        Rule::DecisionOverdue => "The expected decision date of a deal in progress has passed.",
        Rule::HorizonMismatch => {
            "The expected decision date does not fall in the stage's window; the alert names the stage that fits (`pipe triage` proposes it)."
        }
        Rule::MissingField => {
            "A field the stage requires is empty (after an edit in the spreadsheet, say)."
        }
        Rule::NextActionOverdue => "The next action's date has passed (except on lost deals).",
        Rule::NoNextAction => "The stage asks for a dated next action and there is none.",
        Rule::SnoozedUntilPassed => "The deal was set aside until a date, and that date has come.",
        Rule::DecisionSlipped => {
            "The expected decision date was pushed back several times (from the journal)."
        }
        Rule::InvalidRow => {
            "A register row `pipe check` rejects (unknown stage, unreadable date…): reported instead of skipped."
        }
    };
    pick(p, fr, en).to_string()
}

/// What makes the rule fire, company-wide.
fn threshold(p: &Pipeline, r: Rule, s: &RuleSettings) -> String {
    match r {
        Rule::Stale => pick(
            p,
            "la durée de chaque étape (ci-dessus)",
            "each stage's limit (above)",
        )
        .into(),
        Rule::DecisionOverdue | Rule::NextActionOverdue if s.grace.count == 0 => pick(
            p,
            "dès le premier jour de retard",
            "from the first day late",
        )
        .into(),
        Rule::DecisionOverdue | Rule::NextActionOverdue => format!(
            "{} {} {}",
            pick(p, "après", "after"),
            words::counted_term(p, s.grace, s.business_days),
            pick(p, "de retard", "late")
        ),
        Rule::HorizonMismatch => pick(
            p,
            "la fenêtre de décision de l'étape",
            "the stage's decision window",
        )
        .into(),
        Rule::MissingField => pick(
            p,
            "les champs à renseigner de l'étape",
            "the stage's required fields",
        )
        .into(),
        Rule::NoNextAction => {
            let asking: Vec<usize> = p
                .stages
                .iter()
                .enumerate()
                .filter(|(_, s)| s.next_action_required)
                .map(|(i, _)| i)
                .collect();
            if asking.is_empty() {
                pick(p, "aucune étape ne la demande", "no stage asks for one").into()
            } else {
                format!(
                    "{} {}",
                    pick(p, "dans les étapes", "in the stages"),
                    stage_names(p, &asking)
                )
            }
        }
        Rule::SnoozedUntilPassed => format!(
            "{} {}",
            pick(p, "la date de", "the date in"),
            words::field(p, Field::SnoozeUntil)
        ),
        Rule::DecisionSlipped => format!(
            "{} {}",
            words::times(p, s.count),
            pick(p, "ou plus", "or more")
        ),
        Rule::InvalidRow => pick(
            p,
            "les contrôles de `pipe check`",
            "the checks of `pipe check`",
        )
        .into(),
    }
}

fn realert(p: &Pipeline, s: &RuleSettings) -> String {
    match s.realert_after {
        None => pick(p, "jamais", "never").into(),
        Some(t) => format!("{} {}", pick(p, "après", "after"), words::term(p, t)),
    }
}

fn days_counted(p: &Pipeline, r: Rule, s: &RuleSettings) -> String {
    if !r.counts_days() {
        "—".into()
    } else if s.business_days {
        pick(p, "ouvrés", "working days").into()
    } else {
        pick(p, "calendaires", "calendar days").into()
    }
}

/// A stage's settings for a rule, in words: `critique, jours ouvrés, rappel après 7 jours`.
fn settings_words(p: &Pipeline, r: Rule, s: &RuleSettings) -> String {
    if !s.enabled {
        return pick(p, "désactivée", "off").into();
    }
    let mut parts = vec![words::severity(p, s.severity).to_string()];
    if r.counts_days() {
        parts.push(
            format!("{} {}", pick(p, "jours", ""), days_counted(p, r, s))
                .trim()
                .to_string(),
        );
    }
    if r.has_grace() {
        parts.push(threshold(p, r, s));
    }
    if r == Rule::DecisionSlipped {
        parts.push(threshold(p, r, s));
    }
    parts.push(format!(
        "{} {}",
        pick(p, "rappel", "reported again"),
        realert(p, s)
    ));
    parts.join(", ")
}

fn alerts(p: &Pipeline, b: &mut Vec<Block>) {
    b.push(Block::Heading(
        2,
        pick(p, "Les alertes", "The alerts").into(),
    ));
    b.push(Block::Paragraph(vec![
        text(pick(p, "Chaque matin, ", "Every morning, ")),
        code("pipe alerts"),
        text(pick(
            p,
            " vérifie chaque affaire selon les règles ci-dessous et envoie à chaque commercial la liste des siennes. Une alerte toujours ouverte est rappelée après le délai indiqué.",
            " checks every deal against the rules below and sends each salesperson their own list. An alert still open is reported again after the delay shown.",
        )),
    ]));
    let mut rows = Vec::new();
    for r in Rule::ALL {
        let s = p.alerts.rule(r);
        rows.push(vec![
            vec![code(r.key())],
            rich(&describe(p, r)),
            vec![text(if s.enabled {
                words::severity(p, s.severity).to_string()
            } else {
                pick(p, "désactivée", "off").to_string()
            })],
            rich(&threshold(p, r, s)),
            vec![text(days_counted(p, r, s))],
            vec![text(realert(p, s))],
        ]);
    }
    b.push(Block::Table {
        headers: vec![
            pick(p, "Règle", "Rule").into(),
            pick(p, "Ce qu'elle signale", "What it reports").into(),
            pick(p, "Gravité", "Severity").into(),
            pick(p, "Seuil", "Threshold").into(),
            pick(p, "Jours comptés", "Days counted").into(),
            pick(p, "Rappel", "Reported again").into(),
        ],
        rows,
    });
    let business = p.stages.iter().any(|s| {
        Rule::ALL
            .iter()
            .any(|r| r.counts_days() && s.rule(*r).business_days)
    });
    if business {
        let mut v = vec![text(pick(
            p,
            "Les jours ouvrés vont du lundi au vendredi",
            "Working days run from Monday to Friday",
        ))];
        if p.alerts.holidays.is_empty() {
            v.push(text("."));
        } else {
            let days: Vec<String> = p
                .alerts
                .holidays
                .iter()
                .map(|d| render::date(p, *d))
                .collect();
            v.push(text(format!(
                "{} {}.",
                pick(p, ", sauf les jours fériés :", ", except the holidays:"),
                words::list(p, &days)
            )));
        }
        b.push(Block::Paragraph(v));
    }
    let overrides: Vec<Vec<Inline>> = p
        .stages
        .iter()
        .flat_map(|s| {
            s.alert_overrides.iter().map(move |r| {
                let mut v = vec![
                    strong(&s.label),
                    text(pick(p, "\u{a0}: ", ": ")),
                    code(r.key()),
                    text(pick(p, "\u{a0}: ", ": ")),
                ];
                v.extend(rich(&settings_words(p, *r, s.rule(*r))));
                v
            })
        })
        .collect();
    if !overrides.is_empty() {
        b.push(Block::Paragraph(vec![text(pick(
            p,
            "Réglages propres à certaines étapes :",
            "Settings of some stages:",
        ))]));
        b.push(Block::List(overrides));
    }
}

// ----------------------------------------------------------------- Markdown

fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn md_inline(v: &[Inline]) -> String {
    v.iter()
        .map(|i| match i {
            Inline::Text(s) => md_escape(s),
            Inline::Strong(s) => format!("**{}**", md_escape(s)),
            Inline::Code(s) => format!("`{s}`"),
        })
        .collect()
}

impl Manual {
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        for b in &self.blocks {
            match b {
                Block::Heading(n, t) => {
                    out += &format!("{} {}\n\n", "#".repeat(usize::from(*n)), md_escape(t))
                }
                Block::Paragraph(v) => out += &format!("{}\n\n", md_inline(v)),
                Block::List(items) => {
                    for i in items {
                        out += &format!("- {}\n", md_inline(i));
                    }
                    out.push('\n');
                }
                Block::Table { headers, rows } => {
                    let h: Vec<String> = headers.iter().map(|h| md_escape(h)).collect();
                    out += &format!("| {} |\n", h.join(" | "));
                    out += &format!("|{}\n", " --- |".repeat(headers.len()));
                    for r in rows {
                        let cells: Vec<String> = r.iter().map(|c| md_inline(c)).collect();
                        out += &format!("| {} |\n", cells.join(" | "));
                    }
                    out.push('\n');
                }
            }
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
        out
    }

    /// A self-contained page: inline CSS, no script, nothing fetched.
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        out += "<!DOCTYPE html>\n";
        out += &format!(
            "<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n",
            self.lang
        );
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
        out += &format!("<title>{}</title>\n", html_escape(&self.title));
        out += "<style>\n";
        out += STYLE;
        out += "</style>\n</head>\n<body>\n<main>\n";
        for b in &self.blocks {
            match b {
                Block::Heading(n, t) => {
                    let id = anchor(t);
                    out += &format!("<h{n} id=\"{id}\">{}</h{n}>\n", html_escape(t));
                }
                Block::Paragraph(v) => out += &format!("<p>{}</p>\n", html_inline(v)),
                Block::List(items) => {
                    out += "<ul>\n";
                    for i in items {
                        out += &format!("<li>{}</li>\n", html_inline(i));
                    }
                    out += "</ul>\n";
                }
                Block::Table { headers, rows } => {
                    out += "<table>\n<thead><tr>";
                    for h in headers {
                        out += &format!("<th>{}</th>", html_escape(h));
                    }
                    out += "</tr></thead>\n<tbody>\n";
                    for r in rows {
                        out += "<tr>";
                        for c in r {
                            out += &format!("<td>{}</td>", html_inline(c));
                        }
                        out += "</tr>\n";
                    }
                    out += "</tbody>\n</table>\n";
                }
            }
        }
        out += "</main>\n</body>\n</html>\n";
        out
    }
}

const STYLE: &str = "body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; line-height: 1.5; color: #1d1d1f; margin: 0; }
main { max-width: 60rem; margin: 0 auto; padding: 2rem 1.5rem 4rem; }
h1 { font-size: 1.8rem; border-bottom: 2px solid #2b6cb0; padding-bottom: .3rem; }
h2 { font-size: 1.4rem; margin-top: 2.5rem; border-bottom: 1px solid #cbd5e0; padding-bottom: .2rem; }
h3 { font-size: 1.1rem; margin-top: 1.8rem; color: #2b6cb0; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; font-size: .95rem; }
th, td { border: 1px solid #cbd5e0; padding: .35rem .6rem; text-align: left; vertical-align: top; }
th { background: #edf2f7; }
code { font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; background: #edf2f7; padding: 0 .25rem; border-radius: 3px; font-size: .9em; }
ul { padding-left: 1.4rem; }
li { margin: .2rem 0; }
@media print { main { max-width: none; padding: 0; } h2 { page-break-after: avoid; } }
";

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out += "&amp;",
            '<' => out += "&lt;",
            '>' => out += "&gt;",
            '"' => out += "&quot;",
            c => out.push(c),
        }
    }
    out
}

fn html_inline(v: &[Inline]) -> String {
    v.iter()
        .map(|i| match i {
            Inline::Text(s) => html_escape(s),
            Inline::Strong(s) => format!("<strong>{}</strong>", html_escape(s)),
            Inline::Code(s) => format!("<code>{}</code>", html_escape(s)),
        })
        .collect()
}

/// An id for a heading: folded, words joined by `-`.
fn anchor(t: &str) -> String {
    let mut out = String::new();
    for c in crate::text::fold(t).chars() {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}
