//! A list of alerts as a value, and its renderers: a table and Markdown for
//! people (in the pipeline's locale), CSV and JSON for programs.

use super::Alert;
use crate::field::Field;
use crate::output::blocks::{BlockTable, Widths};
use crate::output::{self, Format};
use crate::pipeline::{Locale, Pipeline, Severity};
use crate::render;
use crate::words::{self, pick};
use anyhow::Result;
use chrono::NaiveDate;
use std::io::Write;

pub struct Report<'p> {
    pub p: &'p Pipeline,
    pub today: NaiveDate,
    /// Whose alerts these are, when the report is one salesperson's.
    pub owner: Option<String>,
    pub alerts: Vec<Alert>,
    /// How many open alerts were already reported and are not repeated (`--new-only`).
    pub held: usize,
}

impl Report<'_> {
    /// Writes the report in `format` as it goes: a million alerts are never
    /// laid out whole in memory.
    pub fn write(&self, format: Format, excel: bool, out: &mut dyn Write) -> Result<()> {
        match format {
            Format::Csv => self.write_csv(excel, out),
            Format::Json => self.write_json(out),
            Format::Md => self.write_markdown(out),
            Format::Table | Format::Html => self.write_table(out),
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
    fn summary(&self) -> Vec<String> {
        let p = self.p;
        let n = self.alerts.len();
        let critical = self
            .alerts
            .iter()
            .filter(|a| a.severity == Severity::Critical)
            .count();
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
    /// finding keeps most of the width.
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

    fn people_row(&self, a: &Alert) -> Vec<String> {
        let p = self.p;
        let two = |a: &str, b: &str| match (a.is_empty(), b.is_empty()) {
            (_, true) => a.to_string(),
            (true, false) => b.to_string(),
            (false, false) => format!("{a}\n{b}"),
        };
        vec![
            two(a.rule().key(), words::severity(p, a.severity)),
            two(a.id(), a.name()),
            two(a.owner(), a.stage_label(p)),
            a.message(p, self.today),
        ]
    }

    /// The title, the table (the finding keeps at least 45 % of the width),
    /// and the summary. The columns are sized from every alert first, then
    /// the rows are laid out and written a block at a time.
    fn write_table(&self, out: &mut dyn Write) -> Result<()> {
        writeln!(out, "{}", self.title())?;
        if !self.alerts.is_empty() {
            let headers = self.people_headers();
            let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
            let mut widths = Widths::new(&headers);
            for a in &self.alerts {
                widths.add(&self.people_row(a));
            }
            let table = BlockTable::new(&headers, &widths, (3, 45), render::width());
            let blocks = self.alerts.chunks(TABLE_BLOCK);
            let count = blocks.len();
            for (k, block) in blocks.enumerate() {
                let rows = block.iter().map(|a| self.people_row(a)).collect();
                table.write_block(rows, k == 0, k + 1 == count, out)?;
            }
        }
        for n in self.summary() {
            writeln!(out, "{n}")?;
        }
        Ok(())
    }

    fn write_markdown(&self, out: &mut dyn Write) -> Result<()> {
        if self.alerts.is_empty() {
            writeln!(out, "### {}", self.title())?;
            for n in self.summary() {
                write!(out, "\n{n}\n")?;
            }
            return Ok(());
        }
        let headers = self.people_headers();
        out.write_all(output::markdown_title(&self.title()).as_bytes())?;
        out.write_all(output::markdown_row(headers.iter().map(String::as_str)).as_bytes())?;
        out.write_all(b"| --- | --- | --- | --- |\n")?;
        for a in &self.alerts {
            let row = self.people_row(a);
            out.write_all(output::markdown_row(row.iter().map(String::as_str)).as_bytes())?;
        }
        for n in self.summary() {
            out.write_all(output::markdown_note(&n).as_bytes())?;
        }
        Ok(())
    }

    /// What programs read: plain values under stable English headers, one
    /// line per alert.
    fn write_csv(&self, excel: bool, out: &mut dyn Write) -> Result<()> {
        let mut w = output::csv_writer_to(excel, out)?;
        let headers = [
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
        render::write_safe_record(&mut w, headers)?;
        let p = self.p;
        for a in &self.alerts {
            let suggested = a.suggestion().map_or("", |s| p.stages[s.stage].id.as_str());
            render::write_safe_record(
                &mut w,
                [
                    a.id(),
                    a.name(),
                    a.owner(),
                    a.stage_key(p),
                    a.rule().key(),
                    a.severity.key(),
                    &a.value().plain,
                    &a.threshold(p, self.today).plain,
                    &a.message(p, self.today),
                    suggested,
                ],
            )?;
        }
        w.flush()?;
        Ok(())
    }

    /// A JSON array, one object per alert, written alert by alert.
    fn write_json(&self, out: &mut dyn Write) -> Result<()> {
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
            message: String,
            suggested_stage: Option<&'a str>,
            line: u64,
        }
        struct Items<'r>(&'r Report<'r>);
        impl serde::Serialize for Items<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let (p, today) = (self.0.p, self.0.today);
                s.collect_seq(self.0.alerts.iter().map(|a| Item {
                    id: a.id(),
                    name: a.name(),
                    owner: a.owner(),
                    stage: a.stage_key(p),
                    stage_label: a.stage_label(p),
                    rule: a.rule().key(),
                    severity: a.severity.key(),
                    value: a.value().json(),
                    threshold: a.threshold(p, today).json(),
                    message: a.message(p, today),
                    suggested_stage: a.suggestion().map(|s| p.stages[s.stage].id.as_str()),
                    line: a.line,
                }))
            }
        }
        serde_json::to_writer_pretty(&mut *out, &Items(self))?;
        out.write_all(b"\n")?;
        Ok(())
    }
}

/// How many alerts the table lays out at a time.
const TABLE_BLOCK: usize = 512;

fn s(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
