//! A report of alerts, written as they are raised ([`Writer`]): a table and
//! Markdown for people (in the pipeline's locale), CSV and JSON for
//! programs. A run never holds the alerts.

use super::Alert;
use crate::field::Field;
use crate::output::blocks::{BlockTable, Widths, spool_row, write_spooled};
use crate::output::{self, Format, spool};
use crate::pipeline::{Locale, Pipeline, Severity};
use crate::render;
use crate::words::{self, pick};
use anyhow::Result;
use chrono::NaiveDate;
use std::io::Write;

/// What a report says besides its alerts.
#[derive(Clone)]
pub struct Head<'p> {
    p: &'p Pipeline,
    today: NaiveDate,
    /// Whose alerts these are, when the report is one salesperson's.
    owner: Option<String>,
    /// How many open alerts were already reported and are not repeated (`--new-only`).
    held: usize,
}

impl<'p> Head<'p> {
    /// Everyone's alerts, none held back (what [`Writer::set_owner`] and
    /// [`Writer::set_held`] change).
    pub fn new(p: &'p Pipeline, today: NaiveDate) -> Head<'p> {
        Head {
            p,
            today,
            owner: None,
            held: 0,
        }
    }

    /// `Alertes au 27/11/2026 — Élodie Garnier`.
    pub fn title(&self) -> String {
        let mut t = format!(
            "{} {}",
            pick(self.p, "Alertes au", "Alerts on"),
            render::date(self.p, self.today)
        );
        if let Some(o) = &self.owner {
            t += " — ";
            t += if o.is_empty() {
                pick(self.p, "sans commercial", "no owner")
            } else {
                o
            };
        }
        t
    }

    /// `9 alertes, dont 2 critiques`, and what was held back.
    fn summary(&self, n: usize, critical: usize) -> Vec<String> {
        let p = self.p;
        let mut notes = Vec::new();
        notes.push(match (p.locale, n) {
            (Locale::Fr, 0) => "Aucune alerte.".to_string(),
            (Locale::Fr, 1) => {
                format!("1 alerte{}.", if critical == 1 { ", critique" } else { "" })
            }
            (Locale::Fr, _) if critical == 0 => {
                format!("{n} alertes, aucune critique.")
            }
            (Locale::Fr, _) => format!(
                "{n} alertes, dont {critical} critique{}.",
                if critical > 1 { "s" } else { "" }
            ),
            (Locale::En, 0) => "No alerts.".to_string(),
            (Locale::En, 1) => format!("1 alert{}.", if critical == 1 { ", critical" } else { "" }),
            (Locale::En, _) if critical == 0 => format!("{n} alerts, none critical."),
            (Locale::En, _) => format!("{n} alerts, {critical} critical."),
        });
        if self.held > 0 {
            notes.push(match p.locale {
                Locale::Fr => format!(
                    "{} alerte{} toujours ouverte{} déjà signalée{}, non répétée{} ici.",
                    self.held,
                    s(self.held),
                    s(self.held),
                    s(self.held),
                    s(self.held)
                ),
                Locale::En => format!(
                    "{} open alert{} already reported, not repeated here.",
                    self.held,
                    s(self.held)
                ),
            });
        }
        notes
    }

    /// What people read (table and Markdown): the headers, and for each
    /// alert its cells. Short facts are stacked two to a cell so that the
    /// finding keeps most of the width: it is the table's wide column
    /// ([`WIDE`]).
    fn people_headers(&self) -> [String; 4] {
        let p = self.p;
        let h = |f: Field| p.register.header(f);
        [
            pick(p, "Alerte", "Alert").to_string(),
            pick(p, "Prospect", "Prospect").to_string(),
            format!("{} / {}", h(Field::Owner), h(Field::Stage)),
            pick(p, "Constat", "Finding").to_string(),
        ]
    }

    /// The cells of an alert under [`Head::people_headers`], into `row`,
    /// whose strings are reused from alert to alert.
    fn people_row(&self, a: &Alert, row: &mut [String; 4]) {
        let p = self.p;
        // Two texts on two lines, or the one that is not empty.
        let two = |cell: &mut String, a: &str, b: &str| {
            cell.clear();
            cell.push_str(a);
            if !a.is_empty() && !b.is_empty() {
                cell.push('\n');
            }
            cell.push_str(b);
        };
        two(&mut row[0], a.rule().key(), words::severity(p, a.severity));
        two(&mut row[1], a.id(), a.name());
        two(&mut row[2], a.owner(), a.stage_label(p));
        row[3].clear();
        a.write_message(p, self.today, &mut row[3]);
    }
}

/// The table's wide column, the finding: it takes the width the others leave.
const WIDE: usize = 3;

/// The CSV's stable English headers.
const CSV_HEADERS: [&str; 10] = [
    "id",
    "name",
    "owner",
    "stage",
    "rule",
    "severity",
    "value",
    "threshold",
    "message",
    "suggested_stage",
];

/// Writes a report whose alerts come one at a time, in register order, and
/// go out critical first: each alert is written as it comes into its
/// severity's spool (memory, then a temporary file past a few megabytes),
/// and the spools are copied out in order once every alert is known. A
/// million alerts are never held in memory, and nothing goes out until the
/// last one is in, so a run that fails half-way prints no half report.
pub struct Writer<'p> {
    head: Head<'p>,
    format: Format,
    excel: bool,
    /// Critical alerts, then warnings.
    groups: [Spool; 2],
    /// The table's column widths, grown alert by alert.
    widths: Option<Widths>,
    /// One JSON object, before it goes to its spool.
    json: Vec<u8>,
    /// One alert's cells for people (a table, Markdown), before they go to its spool.
    row: [String; 4],
    /// One alert's message, figure and threshold, before they go to its spool.
    message: String,
    value: String,
    threshold: String,
    /// The bytes of the table's cells spooled so far.
    spooled: u64,
}

/// The alerts of one severity, written out.
struct Spool {
    out: Out,
    count: usize,
}

enum Out {
    Bytes(spool::Spool),
    Csv(Box<csv::Writer<spool::Spool>>),
}

impl Spool {
    fn new(in_memory: usize, csv: Option<bool>) -> Spool {
        let file = spool::new(in_memory);
        Spool {
            out: match csv {
                Some(excel) => Out::Csv(Box::new(output::csv_builder(excel).from_writer(file))),
                None => Out::Bytes(file),
            },
            count: 0,
        }
    }

    fn bytes(&mut self) -> &mut spool::Spool {
        match &mut self.out {
            Out::Bytes(f) => f,
            Out::Csv(_) => unreachable!("only a CSV report spools CSV records"),
        }
    }

    /// The spool, to be read from its start.
    fn into_reader(self) -> Result<spool::Spooled> {
        let file = match self.out {
            Out::Bytes(f) => f,
            Out::Csv(w) => w.into_inner().map_err(|e| e.into_error())?,
        };
        Ok(spool::rewind(file)?)
    }
}

impl<'p> Writer<'p> {
    pub fn new(head: Head<'p>, format: Format, excel: bool) -> Writer<'p> {
        Writer::spooling(head, format, excel, spool::IN_MEMORY)
    }

    pub(super) fn spooling(
        head: Head<'p>,
        format: Format,
        excel: bool,
        in_memory: usize,
    ) -> Writer<'p> {
        let widths = match format {
            Format::Table | Format::Html => {
                let headers = head.people_headers();
                let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
                Some(Widths::new(&headers).without_words(&[WIDE]))
            }
            _ => None,
        };
        let csv = matches!(format, Format::Csv).then_some(excel);
        Writer {
            head,
            format,
            excel,
            groups: [Spool::new(in_memory, csv), Spool::new(in_memory, csv)],
            widths,
            json: Vec::new(),
            row: Default::default(),
            message: String::new(),
            value: String::new(),
            threshold: String::new(),
            spooled: 0,
        }
    }

    /// Says whose alerts these are (`--split-by owner`).
    pub fn set_owner(&mut self, owner: String) {
        self.head.owner = Some(owner);
    }

    /// Says how many open alerts were already reported and held back (`--new-only`).
    pub fn set_held(&mut self, held: usize) {
        self.head.held = held;
    }

    /// How many alerts came.
    pub fn len(&self) -> usize {
        self.groups.iter().map(|g| g.count).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes the next alert: they come in register order, and in rule order within a row.
    pub fn push(&mut self, a: &Alert) -> Result<()> {
        // Exhaustive: a new severity needs its place decided here.
        let group = match a.severity {
            Severity::Critical => &mut self.groups[0],
            Severity::Warning => &mut self.groups[1],
        };
        let (p, today) = (self.head.p, self.head.today);
        let count = group.count;
        match self.format {
            Format::Csv => {
                let suggested = a.suggestion().map_or("", |s| p.stages[s.stage].id.as_str());
                self.message.clear();
                a.write_message(p, today, &mut self.message);
                self.value.clear();
                a.write_value(&mut self.value);
                self.threshold.clear();
                a.write_threshold(p, today, &mut self.threshold);
                let Out::Csv(w) = &mut group.out else {
                    unreachable!("a CSV report spools CSV records")
                };
                render::write_safe_record(
                    w,
                    [
                        a.id(),
                        a.name(),
                        a.owner(),
                        a.stage_key(p),
                        a.rule().key(),
                        a.severity.key(),
                        &self.value,
                        &self.threshold,
                        &self.message,
                        suggested,
                    ],
                )?;
            }
            Format::Json => {
                self.json.clear();
                self.message.clear();
                a.write_message(p, today, &mut self.message);
                let item = json_item(p, today, a, &self.message);
                serde_json::to_writer_pretty(&mut self.json, &item)?;
                // Indented one level, as an item of the array.
                let out = group.bytes();
                if count > 0 {
                    out.write_all(b",\n")?;
                }
                for (k, line) in self.json.split(|&b| b == b'\n').enumerate() {
                    if k > 0 {
                        out.write_all(b"\n")?;
                    }
                    out.write_all(b"  ")?;
                    out.write_all(line)?;
                }
            }
            Format::Md => {
                self.head.people_row(a, &mut self.row);
                let row = output::markdown_row(self.row.iter().map(String::as_str));
                group.bytes().write_all(row.as_bytes())?;
            }
            Format::Table | Format::Html => {
                self.head.people_row(a, &mut self.row);
                if let Some(w) = &mut self.widths {
                    w.add(&self.row);
                }
                self.spooled += spool_row(group.bytes(), &self.row)?;
            }
        }
        group.count += 1;
        Ok(())
    }

    /// Writes the report: the alerts, critical first, and its summary.
    pub fn finish(self, out: &mut dyn Write) -> Result<()> {
        let critical = self.groups[0].count;
        let n = self.len();
        let summary = self.head.summary(n, critical);
        let title = self.head.title();
        match self.format {
            Format::Csv => {
                let mut w = output::csv_writer_to(self.excel, &mut *out)?;
                render::write_safe_record(&mut w, CSV_HEADERS)?;
                w.flush()?;
                drop(w);
                for g in self.groups {
                    std::io::copy(&mut g.into_reader()?, out)?;
                }
            }
            Format::Json => {
                if n == 0 {
                    out.write_all(b"[]\n")?;
                    return Ok(());
                }
                out.write_all(b"[\n")?;
                let mut any = false;
                for g in self.groups {
                    if g.count == 0 {
                        continue;
                    }
                    if any {
                        out.write_all(b",\n")?;
                    }
                    any = true;
                    std::io::copy(&mut g.into_reader()?, out)?;
                }
                out.write_all(b"\n]\n")?;
            }
            Format::Md => {
                if n == 0 {
                    writeln!(out, "### {title}")?;
                    for s in summary {
                        write!(out, "\n{s}\n")?;
                    }
                    return Ok(());
                }
                let headers = self.head.people_headers();
                out.write_all(output::markdown_title(&title).as_bytes())?;
                out.write_all(output::markdown_row(headers.iter().map(String::as_str)).as_bytes())?;
                out.write_all(b"| --- | --- | --- | --- |\n")?;
                for g in self.groups {
                    std::io::copy(&mut g.into_reader()?, out)?;
                }
                for s in summary {
                    out.write_all(output::markdown_note(&s).as_bytes())?;
                }
            }
            Format::Table | Format::Html => {
                // The columns are sized from every alert, then the rows are
                // laid out and written a block at a time.
                writeln!(out, "{title}")?;
                if n > 0 {
                    let headers = self.head.people_headers();
                    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
                    let widths = self.widths.unwrap_or_else(|| Widths::new(&headers));
                    let table = BlockTable::new(&headers, &widths, (WIDE, 45), render::width());
                    let mut parts = Vec::new();
                    for g in self.groups {
                        parts.push((g.count, g.into_reader()?));
                    }
                    write_spooled(&table, parts, self.spooled, out)?;
                }
                for s in summary {
                    writeln!(out, "{s}")?;
                }
            }
        }
        Ok(())
    }
}

/// One alert in JSON; its keys in this order.
#[derive(serde::Serialize)]
struct Item<'a> {
    id: &'a str,
    name: &'a str,
    owner: &'a str,
    stage: &'a str,
    stage_label: &'a str,
    rule: &'static str,
    severity: &'static str,
    value: serde_json::Value,
    threshold: serde_json::Value,
    message: &'a str,
    suggested_stage: Option<&'a str>,
    line: u64,
}

fn json_item<'a>(p: &'a Pipeline, today: NaiveDate, a: &'a Alert, message: &'a str) -> Item<'a> {
    Item {
        id: a.id(),
        name: a.name(),
        owner: a.owner(),
        stage: a.stage_key(p),
        stage_label: a.stage_label(p),
        rule: a.rule().key(),
        severity: a.severity.key(),
        value: a.value().json(),
        threshold: a.threshold(p, today).json(),
        message,
        suggested_stage: a.suggestion().map(|s| p.stages[s.stage].id.as_str()),
        line: a.line,
    }
}

fn s(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
