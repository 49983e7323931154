//! A deterministic generator of large registers and journals, for benchmarks.
//!
//! ```sh
//! cargo run --release --example gen -- --rows 1000000 --seed 42 --out /tmp/pipe-1m
//! ```
//!
//! Reads the stages of a pipeline file (the shipped `pipeline.toml` by
//! default) and writes into `--out`: `prospects.csv` in the shipped
//! example's dialect (UTF-8 BOM, `;`, CRLF, `dd/mm/yyyy`, decimal commas,
//! French headers, two user columns), `journal.csv` with several moves per
//! prospect over three years that end on the register's stage, and a
//! `pipeline.toml` pointing at both. French data: accents, quoted notes with
//! `;`, quotes and newlines, `|` product lists, missing amounts. The same
//! arguments always give the same bytes.
//!
//! `tests/parallel.rs` includes this file as a module and calls [`generate`].

use chrono::{Duration, NaiveDate};
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use std::collections::{HashMap, VecDeque};
use std::io::{BufWriter, Write};
use std::path::PathBuf;

const TODAY: (i32, u32, u32) = (2026, 11, 27);

const FIRST: &[&str] = &[
    "Jean",
    "Marie",
    "Pierre",
    "Sophie",
    "François",
    "Hélène",
    "Jérôme",
    "Léa",
    "Zoé",
    "Noël",
    "Gaëlle",
    "Cécile",
    "Stéphane",
    "Benoît",
    "Loïc",
    "Anaïs",
    "Émilie",
    "Théo",
    "Chloé",
    "Inès",
    "Raphaël",
    "Camille",
    "Aurélie",
    "Océane",
];
const LAST: &[&str] = &[
    "Martin",
    "Bernard",
    "Dubois",
    "Lefèvre",
    "Moreau",
    "Girard",
    "André",
    "Mercier",
    "Légaré",
    "Chevalier",
    "Bézier",
    "Lemaître",
    "Barbé",
    "Rivière",
    "Brûlé",
    "Côté",
    "Aubé",
    "Fournel",
    "Vérot",
    "Chazal",
];
const COMPANY: &[&str] = &[
    "Ateliers",
    "Transports",
    "Menuiserie",
    "Imprimerie",
    "Fonderie",
    "Laboratoires",
    "Fromagerie",
    "Électricité",
    "Chaudronnerie",
    "Mécanique",
    "Plasturgie",
    "Tôlerie",
];
const PLACE: &[&str] = &[
    "du Gier",
    "des Alpes",
    "de la Côte",
    "du Rhône",
    "de l'Ouest",
    "Saint-Étienne",
    "du Forez",
    "des Îles",
    "Bellevue",
    "de la Loire",
];
const CITIES: &[&str] = &[
    "Saint-Étienne",
    "Lyon",
    "Roanne",
    "Montbrison",
    "Firminy",
    "Annonay",
    "Le Puy-en-Velay",
    "Vienne",
];
const OWNERS: &[&str] = &[
    "Julien Marchetti",
    "Sophie Lefèvre",
    "Karim Benali",
    "Élodie Garnier",
    "Hélène Vernay",
];
const NOTES: &[&str] = &[
    "",
    "",
    "",
    "Rappeler après le salon; voir avec le bureau d'études",
    "Le client a dit : \"pas avant le budget 2027\"",
    "Visite faite.\nEnvoyer la documentation, puis relancer",
    "Concurrent déjà en place, contrat jusqu'en juin",
];

pub struct Args {
    pub rows: u64,
    pub seed: u64,
    pub out: PathBuf,
    pub config: PathBuf,
    /// Extra `set next_action` entries per prospect, for a longer journal.
    pub next_actions: u32,
}

fn args() -> Args {
    let mut a = Args {
        rows: 1000,
        seed: 42,
        out: PathBuf::from("target/gen"),
        config: PathBuf::from("pipeline.toml"),
        next_actions: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--rows" => a.rows = value.parse().expect("--rows takes a number"),
            "--seed" => a.seed = value.parse().expect("--seed takes a number"),
            "--out" => a.out = value.into(),
            "--config" => a.config = value.into(),
            "--next-actions" => {
                a.next_actions = value.parse().expect("--next-actions takes a number")
            }
            other => panic!(
                "unknown option {other}; use --rows N --seed S --out DIR [--config pipeline.toml] [--next-actions K]"
            ),
        }
    }
    a
}

struct Stage {
    id: String,
    label: String,
    outcome: String,
    next: Vec<usize>,
    lost_reasons: Vec<String>,
}

fn stages(config: &toml::Value) -> Vec<Stage> {
    let raw = config["stage"].as_array().expect("[[stage]]");
    let ids: Vec<String> = raw
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    raw.iter()
        .map(|s| {
            let strings = |k: &str| -> Vec<String> {
                s.get(k)
                    .and_then(|v| v.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let next = match s.get("next") {
                Some(_) => strings("next")
                    .iter()
                    .filter_map(|n| ids.iter().position(|i| i == n))
                    .collect(),
                None => (0..ids.len()).collect(),
            };
            Stage {
                id: s["id"].as_str().unwrap().into(),
                label: s
                    .get("label")
                    .and_then(|v| v.as_str())
                    .unwrap_or(s["id"].as_str().unwrap())
                    .into(),
                outcome: s
                    .get("outcome")
                    .and_then(|v| v.as_str())
                    .unwrap_or("open")
                    .into(),
                next,
                lost_reasons: strings("lost_reasons"),
            }
        })
        .collect()
}

/// Shortest path of stages from `from` to `to` along `next`.
fn path(stages: &[Stage], from: usize, to: usize) -> Option<Vec<usize>> {
    let mut prev: HashMap<usize, usize> = HashMap::new();
    let mut queue = VecDeque::from([from]);
    while let Some(s) = queue.pop_front() {
        if s == to {
            let mut p = vec![to];
            while let Some(&b) = prev.get(p.last().unwrap()) {
                p.push(b);
            }
            p.reverse();
            return Some(p);
        }
        for &n in &stages[s].next {
            if n != from && !prev.contains_key(&n) {
                prev.insert(n, s);
                queue.push_back(n);
            }
        }
    }
    None
}

struct Event {
    at: i64,
    date: NaiveDate,
    id: u64,
    kind: &'static str,
    field: &'static str,
    from: String,
    to: String,
    by: usize,
    reason: String,
}

fn fr_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn quote(s: &str) -> String {
    if s.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn main() -> std::io::Result<()> {
    let a = args();
    let (rows, entries) = generate(&a)?;
    eprintln!(
        "wrote {rows} prospects and {entries} journal entries to {}",
        a.out.display()
    );
    Ok(())
}

/// Writes the register, the journal and the pipeline file into `a.out`; returns how many rows and entries.
pub fn generate(a: &Args) -> std::io::Result<(u64, usize)> {
    let text = std::fs::read_to_string(&a.config)?;
    let config: toml::Value = toml::from_str(&text).expect("a valid pipeline file");
    let stages = stages(&config);
    let products: Vec<String> = config["product"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["label"].as_str().unwrap().to_string())
        .collect();
    let cols = &config["register"]["columns"];
    let h = |k: &str| {
        cols.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or(k)
            .to_string()
    };
    let today = NaiveDate::from_ymd_opt(TODAY.0, TODAY.1, TODAY.2).unwrap();
    let entry: Vec<usize> = ["suspect", "contacte", "a_qualifier"]
        .iter()
        .filter_map(|id| stages.iter().position(|s| s.id == *id))
        .collect();
    let entry = if entry.is_empty() { vec![0] } else { entry };
    // Where prospects end, weighted like a real pipeline.
    let weights: Vec<(usize, u32)> = stages
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                i,
                match (s.outcome.as_str(), s.id.as_str()) {
                    ("won", "gagne") => 10,
                    ("won", _) => 4,
                    ("lost", _) => 7,
                    (_, "suspect" | "contacte") => 8,
                    _ => 9,
                },
            )
        })
        .collect();
    let total: u32 = weights.iter().map(|w| w.1).sum();

    std::fs::create_dir_all(&a.out)?;
    let mut rng = ChaCha8Rng::seed_from_u64(a.seed);
    let mut reg =
        BufWriter::with_capacity(1 << 20, std::fs::File::create(a.out.join("prospects.csv"))?);
    reg.write_all("\u{feff}".as_bytes())?;
    let header = [
        h("id"),
        h("stage"),
        h("stage_since"),
        h("name"),
        h("company"),
        "Ville".into(),
        h("owner"),
        h("amount"),
        h("probability"),
        h("expected_close"),
        h("next_action"),
        h("products"),
        h("lost_reason"),
        h("created"),
        "Notes".into(),
    ];
    write!(reg, "{}\r\n", header.join(";"))?;
    let mut events: Vec<Event> = Vec::new();
    let width = (a.rows.max(1) as f64).log10().floor() as usize + 1;
    let width = width.max(4);
    for n in 1..=a.rows {
        let id = format!("P-{n:0width$}");
        let mut pick = rng.random_range(0..total);
        let last = weights
            .iter()
            .find(|(_, w)| {
                if pick < *w {
                    true
                } else {
                    pick -= w;
                    false
                }
            })
            .map_or(0, |w| w.0);
        let start = *entry.choose(&mut rng).unwrap();
        let route = path(&stages, start, last).unwrap_or_else(|| vec![last]);
        let owner = rng.random_range(0..OWNERS.len());
        let mut date = today - Duration::days(rng.random_range(30..3 * 365));
        let created = date;
        let base_at = rng.random_range(0..86_400i64);
        let mut steps = Vec::new();
        for (k, &s) in route.iter().enumerate() {
            if k > 0 {
                date = (date + Duration::days(rng.random_range(3..120))).min(today);
            }
            steps.push((s, date));
        }
        let final_stage = &stages[last];
        let since = steps.last().unwrap().1;
        let lost_reason = if final_stage.lost_reasons.is_empty() {
            String::new()
        } else {
            final_stage.lost_reasons.choose(&mut rng).unwrap().clone()
        };
        for (k, &(s, d)) in steps.iter().enumerate() {
            let at = d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp() + base_at + k as i64;
            let (kind, from) = if k == 0 {
                ("add", String::new())
            } else {
                ("move", stages[steps[k - 1].0].id.clone())
            };
            let reason = if k + 1 == steps.len() && !lost_reason.is_empty() {
                lost_reason.clone()
            } else {
                String::new()
            };
            events.push(Event {
                at,
                date: d,
                id: n,
                kind,
                field: "stage",
                from,
                to: stages[s].id.clone(),
                by: owner,
                reason,
            });
        }
        let amount_missing =
            final_stage.outcome == "open" && route.len() <= 2 && rng.random_bool(0.3);
        let amount = if amount_missing {
            String::new()
        } else {
            let cents = rng.random_range(50_000u64..20_000_000);
            format!("{},{:02}", cents / 100, cents % 100)
        };
        let mut expected = since + Duration::days(rng.random_range(20..200));
        if final_stage.id == "froid" {
            expected = today + Duration::days(rng.random_range(380..700));
        }
        if rng.random_bool(0.15) && final_stage.outcome == "open" {
            // A decision date pushed back once or twice.
            let first = expected - Duration::days(rng.random_range(20..60));
            let d = since.min(today);
            let at = d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp() + base_at + 100;
            events.push(Event {
                at,
                date: d,
                id: n,
                kind: "set",
                field: "expected_close",
                from: String::new(),
                to: first.to_string(),
                by: owner,
                reason: String::new(),
            });
            events.push(Event {
                at: at + 1,
                date: d,
                id: n,
                kind: "set",
                field: "expected_close",
                from: first.to_string(),
                to: expected.to_string(),
                by: owner,
                reason: String::new(),
            });
        }
        let np = rng.random_range(1..=3);
        let chosen: Vec<&String> = products.choose_multiple(&mut rng, np).collect();
        let products_cell = chosen
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("|");
        let next_action_date = (final_stage.outcome == "open")
            .then(|| today + Duration::days(rng.random_range(-10..30)));
        let next_action = next_action_date.map(fr_date).unwrap_or_default();
        // A longer history on demand: next actions planned and replanned over
        // the prospect's life, the last one being the register's.
        let mut previous = String::new();
        for k in 0..a.next_actions {
            let span = (since - created).num_days().max(1);
            let d = (created
                + Duration::days(span * i64::from(k + 1) / i64::from(a.next_actions + 1)))
            .min(today);
            let to = if k + 1 == a.next_actions {
                next_action_date.map(|d| d.to_string()).unwrap_or_default()
            } else {
                (d + Duration::days(14)).to_string()
            };
            let at = d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp()
                + base_at
                + 200
                + i64::from(k);
            events.push(Event {
                at,
                date: d,
                id: n,
                kind: "set",
                field: "next_action",
                from: std::mem::take(&mut previous),
                to: to.clone(),
                by: owner,
                reason: String::new(),
            });
            previous = to;
        }
        let name = format!(
            "{} {}",
            FIRST.choose(&mut rng).unwrap(),
            LAST.choose(&mut rng).unwrap()
        );
        let company = format!(
            "{} {}",
            COMPANY.choose(&mut rng).unwrap(),
            PLACE.choose(&mut rng).unwrap()
        );
        let probability = if rng.random_bool(0.05) {
            rng.random_range(1..100).to_string()
        } else {
            String::new()
        };
        let row = [
            id,
            final_stage.label.clone(),
            fr_date(since),
            name,
            company,
            CITIES.choose(&mut rng).unwrap().to_string(),
            OWNERS[owner].to_string(),
            amount,
            probability,
            fr_date(expected),
            next_action,
            products_cell,
            lost_reason,
            fr_date(created),
            NOTES.choose(&mut rng).unwrap().to_string(),
        ];
        let cells: Vec<String> = row.iter().map(|c| quote(c)).collect();
        write!(reg, "{}\r\n", cells.join(";"))?;
    }
    reg.flush()?;
    events.sort_by_key(|e| (e.at, e.id));
    let mut j =
        BufWriter::with_capacity(1 << 20, std::fs::File::create(a.out.join("journal.csv"))?);
    writeln!(j, "at,date,id,kind,field,from,to,by,reason,note")?;
    for e in &events {
        let at = chrono::DateTime::from_timestamp(e.at, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%S+00:00");
        writeln!(
            j,
            "{at},{},P-{:0width$},{},{},{},{},{},{},",
            e.date, e.id, e.kind, e.field, e.from, e.to, OWNERS[e.by], e.reason
        )?;
    }
    j.flush()?;
    // The same pipeline, its files now beside it in the output folder.
    let pipeline = text.replace("\"examples/", "\"");
    std::fs::write(a.out.join("pipeline.toml"), pipeline + "\n")?;
    Ok((a.rows, events.len()))
}
