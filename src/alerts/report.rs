//! A list of alerts as a value, and its renderers: a table and Markdown for
//! people (in the pipeline's locale), CSV and JSON for programs.

use super::Alert;
use crate::field::Field;
use crate::output::{Cell, Format, Grid};
use crate::pipeline::{Locale, Pipeline, Severity};
use crate::render;
use crate::words::{self, pick};
use anyhow::Result;
use chrono::NaiveDate;

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
    pub fn render(&self, format: Format, excel: bool) -> Result<Vec<u8>> {
        Ok(match format {
            Format::Csv => self.to_csv(excel)?,
            Format::Json => self.to_json().into_bytes(),
            Format::Md => self.to_markdown().into_bytes(),
            Format::Table | Format::Html => self.to_table().into_bytes(),
        })
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

    /// What people read: the table and Markdown. Short facts are stacked
    /// two to a cell so that the finding keeps most of the width.
    fn people_grid(&self) -> Grid {
        let p = self.p;
        let h = |f: Field| p.register.header(f);
        let mut g = Grid::new(&[
            pick(p, "Alerte", "Alert"),
            pick(p, "Prospect", "Prospect"),
            &format!("{} / {}", h(Field::Owner), h(Field::Stage)),
            pick(p, "Constat", "Finding"),
        ]);
        g.title = Some(self.title());
        g.wide = Some((3, 45));
        let two = |a: &str, b: &str| match (a.is_empty(), b.is_empty()) {
            (_, true) => a.to_string(),
            (true, false) => b.to_string(),
            (false, false) => format!("{a}\n{b}"),
        };
        for a in &self.alerts {
            g.push(vec![
                Cell::text(two(a.rule().key(), words::severity(p, a.severity))),
                Cell::text(two(a.id(), a.name())),
                Cell::text(two(a.owner(), a.stage_label(p))),
                Cell::text(a.message(p, self.today)),
            ]);
        }
        g.notes = self.summary();
        g
    }

    /// What programs read: plain values under stable English headers.
    /// One line per alert with plain values, written as it goes (a million
    /// alerts are not laid out in a grid first).
    fn to_csv(&self, excel: bool) -> Result<Vec<u8>> {
        let mut w = crate::output::csv_writer(excel);
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
                    &a.value(p).plain,
                    &a.threshold(p, self.today).plain,
                    &a.message(p, self.today),
                    suggested,
                ],
            )?;
        }
        w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
    }

    pub fn to_table(&self) -> String {
        if self.alerts.is_empty() {
            let mut out = self.title() + "\n";
            for n in self.summary() {
                out += &n;
                out.push('\n');
            }
            return out;
        }
        self.people_grid().to_table()
    }

    pub fn to_markdown(&self) -> String {
        if self.alerts.is_empty() {
            let mut out = format!("### {}\n", self.title());
            for n in self.summary() {
                out += &format!("\n{n}\n");
            }
            return out;
        }
        self.people_grid().to_markdown()
    }

    /// A JSON array, one object per alert, written alert by alert.
    pub fn to_json(&self) -> String {
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
                    value: a.value(p).json,
                    threshold: a.threshold(p, today).json,
                    message: a.message(p, today),
                    suggested_stage: a.suggestion().map(|s| p.stages[s.stage].id.as_str()),
                    line: a.line,
                }))
            }
        }
        let mut s = serde_json::to_string_pretty(&Items(self)).expect("alerts serialise");
        s.push('\n');
        s
    }
}

fn s(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
