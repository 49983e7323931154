//! Figures per product family (`products`) or per salesperson (`owners`):
//! open count, amount and weighted amount, won and lost in the period, win
//! rate; with `--by stage`, the group × stage matrix.
//!
//! A prospect tagged with several families counts fully in each, unless the
//! pipeline says `[products] attribution = "split"`: its amounts are then
//! divided equally among its families, to the cent (see [`super::split`]).
//! Untagged prospects, and prospects without an owner, have their own row.

use super::{
    By, Meta, Money, Options, Ratio, Scope, Seen, Tally, count_cell, html, money_cell, plural,
    ratio_cell, split, tally_notes,
};
use crate::output::{Cell, Grid};
use crate::pipeline::{Attribution, Outcome, Pipeline};
use crate::prospect::Prospect;
use crate::text::fold;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Products,
    Owners,
}

#[derive(Debug, Clone, Default)]
struct Acc {
    open: u64,
    amount: Decimal,
    weighted: Decimal,
    without_amount: u64,
    won: u64,
    won_amount: Decimal,
    lost: u64,
    /// Per stage: count, amount, weighted (with `--by stage`).
    stages: Vec<(u64, Decimal, Decimal)>,
}

/// An amount a group counts for a prospect, with its weighted amount when
/// it counts (an open deal, or the `--by stage` matrix): weighed once for
/// all the groups that count the same amount.
#[derive(Clone, Copy)]
struct Share {
    amount: Option<Decimal>,
    weighted: Option<Decimal>,
}

impl Share {
    fn of(amount: Option<Decimal>, f: &super::Facts, p: &Pipeline, matrix: bool) -> Share {
        let weighted = if f.open || matrix {
            amount.map(|a| super::weigh(a, f.x.probability(p)))
        } else {
            None
        };
        Share { amount, weighted }
    }
}

impl Acc {
    fn add(&mut self, p: &Pipeline, f: &super::Facts, share: Share, matrix: bool) {
        let Share { amount, weighted } = share;
        if f.open {
            self.open += 1;
            match amount {
                Some(a) => {
                    self.amount += a;
                    self.weighted += weighted.unwrap_or_default();
                }
                None => self.without_amount += 1,
            }
        }
        if let Some(c) = f.close {
            match c.outcome {
                Outcome::Won => {
                    self.won += 1;
                    self.won_amount += amount.unwrap_or_default();
                }
                Outcome::Lost => self.lost += 1,
                Outcome::Open => {}
            }
        }
        if matrix {
            if self.stages.is_empty() {
                self.stages = vec![Default::default(); p.stages.len()];
            }
            let cell = &mut self.stages[f.x.stage];
            cell.0 += 1;
            cell.1 += amount.unwrap_or_default();
            cell.2 += weighted.unwrap_or_default();
        }
    }
}

pub struct Builder {
    dim: Dimension,
    matrix: bool,
    attribution: Attribution,
    /// Products: one per family, then the untagged. Owners: in order of appearance.
    groups: Vec<Acc>,
    /// Owners folded (case and accents aside), to their group.
    owners: HashMap<String, usize>,
    /// Owners as written, to their group: most rows write their owner as a
    /// row before did, and are spared folding it again.
    written: HashMap<String, usize, foldhash::fast::RandomState>,
    owner_names: Vec<String>,
    total: Acc,
    multi: u64,
    tally: Tally,
}

impl Builder {
    pub fn new(scope: &Scope, dim: Dimension, opts: Options) -> Builder {
        let n = match dim {
            Dimension::Products => scope.p.products.len() + 1,
            Dimension::Owners => 0,
        };
        Builder {
            dim,
            matrix: opts.by == Some(By::Stage),
            attribution: match dim {
                Dimension::Products => scope.p.attribution,
                Dimension::Owners => Attribution::Full,
            },
            groups: vec![Acc::default(); n],
            owners: HashMap::new(),
            written: HashMap::default(),
            owner_names: Vec::new(),
            total: Acc::default(),
            multi: 0,
            tally: Tally::default(),
        }
    }

    pub fn add(&mut self, scope: &Scope, x: &Prospect) {
        let seen = scope.observe(x);
        self.tally.note(&seen);
        let Seen::Counted(f) = seen else { return };
        let (p, matrix) = (scope.p, self.matrix);
        let whole = Share::of(f.x.amount, &f, p, matrix);
        self.total.add(p, &f, whole, matrix);
        match self.dim {
            Dimension::Products => {
                let fams = &f.x.products;
                if fams.is_empty() {
                    let untagged = self.groups.len() - 1;
                    self.groups[untagged].add(p, &f, whole, matrix);
                    return;
                }
                if fams.len() > 1 {
                    self.multi += 1;
                }
                match (self.attribution, f.x.amount) {
                    (Attribution::Split, Some(a)) => {
                        for (&fam, part) in fams.iter().zip(split(a, fams.len())) {
                            let part = Share::of(Some(part), &f, p, matrix);
                            self.groups[fam].add(p, &f, part, matrix);
                        }
                    }
                    // Each family counts the whole amount, weighed once.
                    _ => {
                        for &fam in fams {
                            self.groups[fam].add(p, &f, whole, matrix);
                        }
                    }
                }
            }
            Dimension::Owners => {
                let i = match self.written.get(f.x.owner.as_str()) {
                    Some(&i) => i,
                    None => {
                        let i = self.group_of(&f.x.owner);
                        self.written.insert(f.x.owner.clone(), i);
                        i
                    }
                };
                self.groups[i].add(p, &f, whole, matrix);
            }
        }
    }

    /// The group of an owner, by its folded name; a new one in order of appearance.
    fn group_of(&mut self, owner: &str) -> usize {
        let key = fold(owner);
        match self.owners.get(&key) {
            Some(&i) => i,
            None => {
                self.owners.insert(key, self.groups.len());
                self.owner_names.push(owner.trim().to_string());
                self.groups.push(Acc::default());
                self.groups.len() - 1
            }
        }
    }

    pub fn finish(self, scope: &Scope) -> Breakdown {
        let p = scope.p;
        let row = |id: Option<String>, label: String, a: &Acc| Row {
            id,
            label,
            count: a.open,
            amount: Money(a.amount),
            weighted: Money(a.weighted),
            without_amount: a.without_amount,
            won: a.won,
            won_amount: Money(a.won_amount),
            lost: a.lost,
            win_rate: Ratio::of(a.won, a.won + a.lost),
            stages: self.matrix.then(|| {
                p.stages
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        let c = a.stages.get(i).copied().unwrap_or_default();
                        StageCell {
                            id: s.id.clone(),
                            count: c.0,
                            amount: Money(c.1),
                            weighted: Money(c.2),
                        }
                    })
                    .collect()
            }),
        };
        let mut rows = Vec::new();
        match self.dim {
            Dimension::Products => {
                for (i, fam) in p.products.iter().enumerate() {
                    rows.push(row(
                        Some(fam.id.clone()),
                        fam.label.clone(),
                        &self.groups[i],
                    ));
                }
                rows.push(row(
                    None,
                    "(no family)".into(),
                    &self.groups[p.products.len()],
                ));
            }
            Dimension::Owners => {
                let mut order: Vec<usize> = (0..self.groups.len()).collect();
                order
                    .sort_by_key(|&i| (self.owner_names[i].is_empty(), fold(&self.owner_names[i])));
                for i in order {
                    let name = &self.owner_names[i];
                    if name.is_empty() {
                        rows.push(row(None, "(no owner)".into(), &self.groups[i]));
                    } else {
                        rows.push(row(Some(name.clone()), name.clone(), &self.groups[i]));
                    }
                }
            }
        }
        let total = row(None, "Total".into(), &self.total);
        let (products, owners, attribution) = match self.dim {
            Dimension::Products => (Some(rows), None, Some(self.attribution.key())),
            Dimension::Owners => (None, Some(rows), None),
        };
        Breakdown {
            meta: scope.meta(match self.dim {
                Dimension::Products => "products",
                Dimension::Owners => "owners",
            }),
            attribution,
            multi_family: (self.dim == Dimension::Products).then_some(self.multi),
            products,
            owners,
            total,
            not_counted: self.tally.unknown,
            dim: self.dim,
            tally: self.tally,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StageCell {
    pub id: String,
    pub count: u64,
    pub amount: Money,
    pub weighted: Money,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The family's id or the owner's name; `null` for the untagged or unowned.
    pub id: Option<String>,
    pub label: String,
    /// Open prospects.
    pub count: u64,
    pub amount: Money,
    pub weighted: Money,
    pub without_amount: u64,
    /// Won in the period.
    pub won: u64,
    pub won_amount: Money,
    /// Lost in the period.
    pub lost: u64,
    pub win_rate: Option<Ratio>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stages: Option<Vec<StageCell>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Breakdown {
    #[serde(flatten)]
    pub meta: Meta,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribution: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_family: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub products: Option<Vec<Row>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owners: Option<Vec<Row>>,
    /// Each prospect once.
    pub total: Row,
    pub not_counted: u64,
    #[serde(skip)]
    dim: Dimension,
    #[serde(skip)]
    tally: Tally,
}

impl Breakdown {
    pub fn what(&self) -> &'static str {
        match self.dim {
            Dimension::Products => "Product families",
            Dimension::Owners => "Salespeople",
        }
    }

    fn rows(&self) -> &[Row] {
        self.products
            .as_deref()
            .or(self.owners.as_deref())
            .unwrap_or_default()
    }

    fn head(&self) -> &'static str {
        match self.dim {
            Dimension::Products => "Family",
            Dimension::Owners => "Salesperson",
        }
    }

    fn notes(&self, scope: &Scope) -> Vec<String> {
        let mut notes = Vec::new();
        if let Some(n) = self.multi_family.filter(|&n| n > 0) {
            notes.push(match self.attribution {
                Some("split") => format!(
                    "{} several families: {} amounts are divided equally among them (attribution = \"split\"); counts are full.",
                    plural(n, "prospect is tagged with", "prospects are tagged with"),
                    if n == 1 { "its" } else { "their" }
                ),
                _ => format!(
                    "{} several families and {} fully in each, so the rows add up to more than the total.",
                    plural(n, "prospect is tagged with", "prospects are tagged with"),
                    if n == 1 { "counts" } else { "count" }
                ),
            });
        }
        let missing = self.total.without_amount;
        if missing > 0 {
            notes.push(format!(
                "{} no amount: counted, but adding nothing to the amounts.",
                plural(missing, "open prospect has", "open prospects have")
            ));
        }
        notes.push("Open: prospects in an open stage at the end of the day. Won, lost and win rate: prospects closed in the period.".into());
        notes.extend(tally_notes(scope, &self.tally));
        notes
    }

    pub fn grids(&self, scope: &Scope) -> Vec<Grid> {
        let p = scope.p;
        if self.total.stages.is_some() {
            return vec![self.matrix_grid(scope)];
        }
        let mut g = Grid::new(&[
            self.head(),
            "Open",
            "Amount",
            "Weighted",
            "Won",
            "Won amount",
            "Win rate",
        ])
        .with_priority(&[0, 0, 0, 2, 0, 1, 0]);
        g.title = Some(self.what().into());
        let line = |r: &Row| {
            vec![
                Cell::text(&r.label),
                count_cell(r.count),
                money_cell(p, r.amount),
                money_cell(p, r.weighted),
                count_cell(r.won),
                money_cell(p, r.won_amount),
                ratio_cell(p, r.win_rate),
            ]
        };
        for r in self.rows() {
            g.push(line(r));
        }
        g.push_total(line(&self.total));
        g.notes = self.notes(scope);
        vec![g]
    }

    fn matrix_grid(&self, scope: &Scope) -> Grid {
        let p = scope.p;
        let total = self.total.stages.as_deref().unwrap_or_default();
        let shown: Vec<usize> = (0..p.stages.len())
            .filter(|&i| total.get(i).is_some_and(|c| c.count > 0))
            .collect();
        let mut headers = vec![self.head().to_string()];
        headers.extend(shown.iter().map(|&i| p.stages[i].label.clone()));
        headers.push("All".into());
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        let mut g = Grid::new(&headers);
        g.title = Some(format!("{} × stage (number of prospects)", self.what()));
        let line = |r: &Row| {
            let cells = r.stages.as_deref().unwrap_or_default();
            let mut v = vec![Cell::text(&r.label)];
            v.extend(shown.iter().map(|&i| count_cell(cells[i].count)));
            v.push(count_cell(cells.iter().map(|c| c.count).sum()));
            v
        };
        for r in self.rows() {
            g.push(line(r));
        }
        g.push_total(line(&self.total));
        g.notes = self.notes(scope);
        g.notes
            .push("Amounts per cell: --format csv or json.".into());
        g
    }

    pub fn csv_grid(&self, _scope: &Scope) -> Grid {
        let key = match self.dim {
            Dimension::Products => "family",
            Dimension::Owners => "owner",
        };
        let id = |r: &Row| r.id.clone().unwrap_or_default();
        if self.total.stages.is_some() {
            let mut g = Grid::new(&[key, "label", "stage", "count", "amount", "weighted"]);
            for r in self.rows() {
                for c in r.stages.as_deref().unwrap_or_default() {
                    g.push(
                        [
                            id(r),
                            r.label.clone(),
                            c.id.clone(),
                            c.count.to_string(),
                            c.amount.plain(),
                            c.weighted.plain(),
                        ]
                        .into_iter()
                        .map(Cell::text)
                        .collect(),
                    );
                }
            }
            return g;
        }
        let mut g = Grid::new(&[
            key,
            "label",
            "open",
            "amount",
            "weighted",
            "without_amount",
            "won",
            "won_amount",
            "lost",
            "win_rate",
        ]);
        for r in self.rows() {
            g.push(
                [
                    id(r),
                    r.label.clone(),
                    r.count.to_string(),
                    r.amount.plain(),
                    r.weighted.plain(),
                    r.without_amount.to_string(),
                    r.won.to_string(),
                    r.won_amount.plain(),
                    r.lost.to_string(),
                    r.win_rate.map(Ratio::plain).unwrap_or_default(),
                ]
                .into_iter()
                .map(Cell::text)
                .collect(),
            );
        }
        g
    }

    /// Bars of the open amount per group, with the weighted amount inside.
    pub fn charts(&self, scope: &Scope) -> String {
        let p = scope.p;
        let bars: Vec<html::Bar> = self
            .rows()
            .iter()
            .map(|r| html::Bar {
                label: r.label.clone(),
                value: r.amount.0,
                inner: r.weighted.0,
                text: format!(
                    "{} open — {} (weighted {})",
                    r.count,
                    crate::render::money(p, r.amount.0),
                    crate::render::money(p, r.weighted.0)
                ),
            })
            .collect();
        html::bars_svg(
            &format!("Open amount per {}", self.head().to_lowercase()),
            &bars,
        )
    }
}
