//! Triage: the prospects whose data says they belong in another stage, by
//! the decision windows (the `horizon_mismatch` rule), with the stage that
//! fits and why; as a value with its renderers. Pure: the command reads the
//! register and moves the prospects.

use crate::alerts::{self, Mismatch};
use crate::field::Field;
use crate::output::{Cell, Format, Grid};
use crate::pipeline::{Locale, Pipeline};
use crate::render;
use crate::validation::RowCheck;
use crate::words::pick;
use anyhow::Result;
use chrono::NaiveDate;
use serde_json::json;

#[derive(Debug, Clone)]
pub struct Item {
    pub id: String,
    pub name: String,
    pub owner: String,
    pub stage: usize,
    pub mismatch: Mismatch,
}

impl Item {
    /// The stage `--apply` moves the prospect to, when `pipe move` would accept it.
    pub fn target(&self) -> Option<usize> {
        self.mismatch
            .suggestion
            .as_ref()
            .filter(|s| s.movable())
            .map(|s| s.stage)
    }
}

/// A checked row to triage, if it is one: rows `pipe check` rejects are
/// left out, and so are other salespeople's when `owner` (folded) is given.
pub fn item(p: &Pipeline, row: &RowCheck, today: NaiveDate, owner: Option<&str>) -> Option<Item> {
    if row.rejected() {
        return None;
    }
    let x = row.prospect.as_ref()?;
    if owner.is_some_and(|o| crate::text::fold(&x.owner) != o) {
        return None;
    }
    alerts::horizon_mismatch(p, x, today).map(|m| Item {
        id: x.id.clone(),
        name: x.display_name().to_string(),
        owner: x.owner.clone(),
        stage: x.stage,
        mismatch: m,
    })
}

pub struct Report<'p> {
    pub p: &'p Pipeline,
    pub today: NaiveDate,
    pub items: Vec<Item>,
}

impl Report<'_> {
    pub fn render(&self, format: Format, excel: bool) -> Result<Vec<u8>> {
        Ok(match format {
            Format::Csv => self.data_grid().to_csv(excel)?,
            Format::Json => self.to_json().into_bytes(),
            Format::Md => self.people_grid().to_markdown().into_bytes(),
            Format::Table | Format::Html => self.people_grid().to_table().into_bytes(),
        })
    }

    fn suggested(&self, it: &Item) -> Option<usize> {
        it.mismatch.suggestion.as_ref().map(|s| s.stage)
    }

    fn people_grid(&self) -> Grid {
        let p = self.p;
        let h = |f: Field| p.register.header(f);
        let mut g = Grid::new(&[
            pick(p, "Prospect", "Prospect"),
            h(Field::Owner),
            h(Field::Stage),
            pick(p, "Étape qui convient", "Stage that fits"),
            pick(p, "Pourquoi", "Why"),
        ]);
        g.title = Some(format!(
            "{} {}",
            pick(p, "À reclasser au", "To triage on"),
            render::date(p, self.today)
        ));
        g.wide = Some((4, 40));
        for it in &self.items {
            let to = match (self.suggested(it), it.target()) {
                (None, _) => Cell::empty(),
                (Some(s), Some(_)) => Cell::text(&p.stages[s].label),
                (Some(s), None) => Cell::text(format!(
                    "{}\n({})",
                    p.stages[s].label,
                    pick(p, "à la main", "by hand")
                )),
            };
            g.push(vec![
                Cell::text(format!("{}\n{}", it.id, it.name)),
                Cell::text(&it.owner),
                Cell::text(&p.stages[it.stage].label),
                to,
                Cell::text(&it.mismatch.message),
            ]);
        }
        let n = self.items.len();
        let movable = self.items.iter().filter(|i| i.target().is_some()).count();
        let (pl, by_hand) = (if n > 1 { "s" } else { "" }, n - movable);
        g.notes.push(match (p.locale, by_hand) {
            (Locale::Fr, 0) => format!(
                "{n} prospect{pl} à reclasser ; `pipe triage --apply` les déplace."
            ),
            (Locale::Fr, _) => format!(
                "{n} prospect{pl} à reclasser ; `pipe triage --apply` en déplace {movable}, {by_hand} {} à reprendre à la main.",
                if by_hand > 1 { "sont" } else { "est" }
            ),
            (Locale::En, 0) => format!("{n} prospect{pl} to triage; `pipe triage --apply` moves them."),
            (Locale::En, _) => format!(
                "{n} prospect{pl} to triage; `pipe triage --apply` moves {movable}, {by_hand} need{} a hand.",
                if by_hand == 1 { "s" } else { "" }
            ),
        });
        g
    }

    fn data_grid(&self) -> Grid {
        let mut g = Grid::new(&[
            "id",
            "name",
            "owner",
            "stage",
            "expected_close",
            "suggested_stage",
            "movable",
            "message",
        ]);
        for it in &self.items {
            g.push(vec![
                Cell::text(&it.id),
                Cell::text(&it.name),
                Cell::text(&it.owner),
                Cell::text(&self.p.stages[it.stage].id),
                Cell::text(it.mismatch.close.to_string()),
                self.suggested(it)
                    .map_or_else(Cell::empty, |s| Cell::text(&self.p.stages[s].id)),
                Cell::text(if it.target().is_some() { "yes" } else { "no" }),
                Cell::text(&it.mismatch.message),
            ]);
        }
        g
    }

    fn to_json(&self) -> String {
        let items: Vec<serde_json::Value> = self
            .items
            .iter()
            .map(|it| {
                json!({
                    "id": it.id,
                    "name": it.name,
                    "owner": it.owner,
                    "stage": self.p.stages[it.stage].id,
                    "expected_close": it.mismatch.close,
                    "window": it.mismatch.bound,
                    "suggested_stage": self.suggested(it).map(|s| self.p.stages[s].id.clone()),
                    "movable": it.target().is_some(),
                    "message": it.mismatch.message,
                })
            })
            .collect();
        let mut s = serde_json::to_string_pretty(&items).expect("triage serialises");
        s.push('\n');
        s
    }
}
