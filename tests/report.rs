//! `pipe report`, on `tests/fixtures/report-basic/`: eight prospects whose
//! figures are worked out by hand below (French amounts, several families,
//! missing amounts, a prospect's own probability, a prospect never journaled,
//! amount and decision-date changes), and on the shipped example.
//!
//! Today is 2026-11-27; the default period is 2025-11-28 to 2026-11-27.
//!
//! | id | stage (since)        | owner | amount    | prob | decision   | families      | journal |
//! |----|----------------------|-------|-----------|------|------------|---------------|---------|
//! | A1 | devis (2026-11-10)   | Anne  | 12500.50  |      | 2026-12-15 | mo, form      | add qualif 09-01, devis 11-10, amount 10000→12500.50 11-15, decision pushed 11-30→12-15 on 11-20 |
//! | A2 | devis (2026-10-01)   | Bruno | 3000      | 80   | 2026-11-01 | air           | add qualif 08-01, devis 10-01, decision set 10-15, pushed to 11-01 on 10-20 |
//! | A3 | qualif (2026-11-20)  | anne  |           |      |            | form          | add qualif 11-20 |
//! | A4 | qualif (2026-09-01)  | Bruno | 1000.25   |      | 2027-03-10 |               | add suspect 08-15, qualif 09-01 |
//! | A5 | gagne (2026-06-15)   | Anne  | 20000     |      |            | mo, air, form | add qualif 02-01, devis 04-01, gagne 06-15, amount 18000→20000 07-10 |
//! | A6 | perdu (2026-07-01)   | Bruno | 7000      |      |            | mo            | add qualif 03-01, devis 05-01, perdu 07-01 |
//! | A7 | suspect (2026-01-01) |       |           |      |            |               | none |
//! | A8 | gagne (2025-05-10)   | Anne  | 5000      |      |            | air           | add qualif 2025-01-01, gagne 2025-05-10 |
//!
//! Probabilities: suspect 5, qualif 20, devis 50; stale after 30, 30 and 20 days.

mod common;

use common::Sandbox;
use serde_json::Value;

fn json(s: &Sandbox, args: &[&str]) -> Value {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let run = s.pipe(&all).expect(0);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}\n{}", run.stdout))
}

/// A JSON number or string as its exact text.
fn n(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn row<'a>(list: &'a Value, id: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("no row `{id}` in {list}"))
}

fn null_row(list: &Value) -> &Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"].is_null())
        .expect("a row with a null id")
}

#[test]
fn funnel_today() {
    let s = Sandbox::fixture("report-basic");
    let r = json(&s, &["funnel"]);
    assert_eq!(r["as_of"], "2026-11-27");
    assert_eq!(r["from"], "2025-11-28");
    assert_eq!(r["to"], "2026-11-27");
    let st = &r["stages"];
    let ids: Vec<&str> = st
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["suspect", "qualif", "devis", "gagne", "perdu"]);

    // Suspect: A7, no amount, in it since 2026-01-01 = 330 days, stale.
    let x = row(st, "suspect");
    assert_eq!(
        (n(&x["count"]), n(&x["amount"]), n(&x["without_amount"])),
        ("1".into(), "0.00".into(), "1".into())
    );
    assert_eq!(
        (n(&x["average_days"]), n(&x["stale"]), n(&x["share"])),
        ("330".into(), "1".into(), "0.2000".into())
    );
    // Qualif: A3 (no amount, 7 days) and A4 (1000.25 × 20 % = 200.05, 87 days, stale).
    let x = row(st, "qualif");
    assert_eq!(
        (n(&x["count"]), n(&x["amount"]), n(&x["weighted"])),
        ("2".into(), "1000.25".into(), "200.05".into())
    );
    assert_eq!(
        (n(&x["average_days"]), n(&x["median_days"]), n(&x["stale"])),
        ("47".into(), "47".into(), "1".into())
    );
    // Devis: A1 12500.50 × 50 % = 6250.25, A2 3000 × its own 80 % = 2400; 17 and 57 days; A2 stale.
    let x = row(st, "devis");
    assert_eq!(
        (n(&x["amount"]), n(&x["weighted"])),
        ("15500.50".into(), "8650.25".into())
    );
    assert_eq!(
        (n(&x["average_days"]), n(&x["stale"]), n(&x["share"])),
        ("37".into(), "1".into(), "0.4000".into())
    );
    // Gagné: A5 + A8; 165 and 566 days.
    let x = row(st, "gagne");
    assert_eq!(
        (n(&x["count"]), n(&x["amount"]), n(&x["weighted"])),
        ("2".into(), "25000.00".into(), "25000.00".into())
    );
    assert_eq!(n(&x["median_days"]), "365.5");
    assert!(x["share"].is_null());

    // Reached in the period: suspect A4 (journal) + A7 (not journaled, since 2026-01-01);
    // qualif A1–A6; devis A1, A2, A5, A6; gagne A5; perdu A6. A8 moved before the period.
    let reached: Vec<String> = st
        .as_array()
        .unwrap()
        .iter()
        .map(|s| n(&s["reached"]))
        .collect();
    assert_eq!(reached, ["2", "6", "4", "1", "1"]);
    assert_eq!(n(&row(st, "suspect")["conversion_next"]), "3.0000");
    assert_eq!(n(&row(st, "qualif")["conversion_next"]), "0.6667");
    assert!(
        row(st, "devis")["conversion_next"].is_null(),
        "no open stage after devis"
    );
    assert_eq!(n(&row(st, "devis")["conversion_cumulative"]), "0.6667");
    assert_eq!(n(&row(st, "gagne")["conversion_cumulative"]), "0.1667");

    let t = &r["totals"];
    assert_eq!(
        (
            n(&t["open"]["count"]),
            n(&t["open"]["amount"]),
            n(&t["open"]["weighted"])
        ),
        ("5".into(), "16500.75".into(), "8850.30".into())
    );
    assert_eq!(
        (
            n(&t["all"]["count"]),
            n(&t["all"]["amount"]),
            n(&t["all"]["weighted"])
        ),
        ("8".into(), "48500.75".into(), "33850.30".into())
    );
    assert_eq!(n(&t["all"]["without_amount"]), "2");
    // Closed in the period: A5 won, A6 lost. Cycle of A5: 2026-02-01 to 2026-06-15 = 134 days.
    assert_eq!(n(&r["win_rate"]), "0.5000");
    assert_eq!((n(&r["won"]), n(&r["lost"])), ("1".into(), "1".into()));
    assert_eq!(n(&r["average_cycle_days"]), "134");
    assert_eq!(n(&r["average_won_amount"]), "20000.00");
    // 5 open × 20000 × 0.5 ÷ 134 = 373.134…
    assert_eq!(n(&r["sales_velocity"]), "373.13");
}

#[test]
fn funnel_as_of_a_past_day() {
    let s = Sandbox::fixture("report-basic");
    let r = json(&s, &["--as-of", "30/06/2026"]);
    assert_eq!(
        (r["as_of"].as_str(), r["from"].as_str(), r["to"].as_str()),
        (Some("2026-06-30"), Some("2025-07-01"), Some("2026-06-30"))
    );
    // A1–A4 were added later. A5 had won on 06-15 for 18000 (raised to 20000 on 07-10).
    // A6 was in devis since 05-01 (60 days, stale). A7 in suspect since 01-01 (180 days).
    let st = &r["stages"];
    let counts: Vec<String> = st
        .as_array()
        .unwrap()
        .iter()
        .map(|s| n(&s["count"]))
        .collect();
    assert_eq!(counts, ["1", "0", "1", "2", "0"]);
    let x = row(st, "devis");
    assert_eq!(
        (
            n(&x["amount"]),
            n(&x["weighted"]),
            n(&x["average_days"]),
            n(&x["stale"])
        ),
        ("7000.00".into(), "3500.00".into(), "60".into(), "1".into())
    );
    assert_eq!(n(&row(st, "suspect")["average_days"]), "180");
    assert_eq!(n(&row(st, "gagne")["amount"]), "23000.00");
    let reached: Vec<String> = st
        .as_array()
        .unwrap()
        .iter()
        .map(|s| n(&s["reached"]))
        .collect();
    assert_eq!(reached, ["1", "2", "2", "1", "0"]);
    assert_eq!(n(&r["win_rate"]), "1.0000");
    assert_eq!(n(&r["average_won_amount"]), "18000.00");
    // 2 open × 18000 × 1 ÷ 134 = 268.656…
    assert_eq!(n(&r["sales_velocity"]), "268.66");
}

#[test]
fn funnel_filters_apply_to_the_state_reported() {
    let s = Sandbox::fixture("report-basic");
    // Anne and anne are one salesperson: A1, A3, A5, A8.
    let r = json(&s, &["--owner", "ANNE"]);
    assert_eq!(n(&r["totals"]["all"]["count"]), "4");
    assert_eq!(n(&r["totals"]["open"]["amount"]), "12500.50");
    assert_eq!(r["filters"][0], "owner: ANNE");
    let r = json(&s, &["--phase", "suspect"]);
    assert_eq!(n(&r["totals"]["all"]["count"]), "1");
    let r = json(&s, &["--product", "formation", "--stage", "Devis envoyé"]);
    assert_eq!(n(&r["totals"]["all"]["count"]), "1");
}

#[test]
fn products_count_multi_family_prospects_fully_by_default() {
    let s = Sandbox::fixture("report-basic");
    let r = json(&s, &["products"]);
    assert_eq!(r["attribution"], "full");
    assert_eq!(n(&r["multi_family"]), "2");
    let p = &r["products"];
    // Machines-outils: A1 open; A5 won and A6 lost in the period.
    let mo = row(p, "mo");
    assert_eq!(
        (n(&mo["count"]), n(&mo["amount"]), n(&mo["weighted"])),
        ("1".into(), "12500.50".into(), "6250.25".into())
    );
    assert_eq!(
        (
            n(&mo["won"]),
            n(&mo["won_amount"]),
            n(&mo["lost"]),
            n(&mo["win_rate"])
        ),
        ("1".into(), "20000.00".into(), "1".into(), "0.5000".into())
    );
    // Air: A2 open (own probability 80 %); A5 won (A8 won before the period).
    let air = row(p, "air");
    assert_eq!(
        (
            n(&air["count"]),
            n(&air["amount"]),
            n(&air["weighted"]),
            n(&air["won"]),
            n(&air["win_rate"])
        ),
        (
            "1".into(),
            "3000.00".into(),
            "2400.00".into(),
            "1".into(),
            "1.0000".into()
        )
    );
    // Formation: A1 and A3 (no amount).
    let form = row(p, "form");
    assert_eq!(
        (
            n(&form["count"]),
            n(&form["amount"]),
            n(&form["without_amount"])
        ),
        ("2".into(), "12500.50".into(), "1".into())
    );
    // Untagged: A4 and A7.
    let none = null_row(p);
    assert_eq!(
        (n(&none["count"]), n(&none["amount"]), n(&none["weighted"])),
        ("2".into(), "1000.25".into(), "200.05".into())
    );
    assert!(none["win_rate"].is_null());
    assert_eq!(
        (n(&r["total"]["count"]), n(&r["total"]["amount"])),
        ("5".into(), "16500.75".into())
    );
    let table = s.pipe(&["report", "products"]).expect(0).stdout;
    assert!(
        table.contains("2 prospects are tagged with several families and count fully in each"),
        "{table}"
    );
}

#[test]
fn products_split_divides_amounts_to_the_cent() {
    let s = Sandbox::fixture("report-basic");
    let toml = s.read_string("pipeline.toml") + "\n[products]\nattribution = \"split\"\n";
    s.write("pipeline.toml", toml);
    let r = json(&s, &["products"]);
    assert_eq!(r["attribution"], "split");
    let p = &r["products"];
    // A1 12500.50 in two: 6250.25 each, weighted at 50 %: 3125.125.
    // A5 20000 in three: 6666.67, 6666.67, 6666.66 (in the order of its cell).
    let mo = row(p, "mo");
    assert_eq!(
        (n(&mo["amount"]), n(&mo["weighted"]), n(&mo["won_amount"])),
        ("6250.25".into(), "3125.125".into(), "6666.67".into())
    );
    assert_eq!(n(&mo["count"]), "1", "counts stay whole");
    let air = row(p, "air");
    assert_eq!(
        (n(&air["amount"]), n(&air["won_amount"])),
        ("3000.00".into(), "6666.67".into())
    );
    let form = row(p, "form");
    assert_eq!(
        (
            n(&form["amount"]),
            n(&form["weighted"]),
            n(&form["won_amount"])
        ),
        ("6250.25".into(), "3125.125".into(), "6666.66".into())
    );
    assert_eq!(n(&r["total"]["won_amount"]), "20000.00");
    let table = s.pipe(&["report", "products"]).expect(0).stdout;
    assert!(table.contains("divided equally among them"), "{table}");
}

#[test]
fn products_by_stage_is_a_matrix() {
    let s = Sandbox::fixture("report-basic");
    let r = json(&s, &["products", "--by", "stage"]);
    let mo = row(&r["products"], "mo");
    let cells = mo["stages"].as_array().unwrap();
    let counts: Vec<String> = cells.iter().map(|c| n(&c["count"])).collect();
    // A1 devis, A5 gagne, A6 perdu.
    assert_eq!(counts, ["0", "0", "1", "1", "1"]);
    assert_eq!(n(&cells[4]["amount"]), "7000.00");
    let csv = s
        .pipe(&["report", "products", "--by", "stage", "--format", "csv"])
        .expect(0)
        .stdout;
    assert!(
        csv.starts_with("family,label,stage,count,amount,weighted\n"),
        "{csv}"
    );
    assert!(
        csv.contains("mo,Machines-outils,perdu,1,7000.00,0.00\n"),
        "{csv}"
    );
}

#[test]
fn owners() {
    let s = Sandbox::fixture("report-basic");
    let r = json(&s, &["owners"]);
    let o = &r["owners"];
    let anne = row(o, "Anne");
    assert_eq!(
        (
            n(&anne["count"]),
            n(&anne["amount"]),
            n(&anne["without_amount"])
        ),
        ("2".into(), "12500.50".into(), "1".into())
    );
    assert_eq!(
        (
            n(&anne["won"]),
            n(&anne["won_amount"]),
            n(&anne["win_rate"])
        ),
        ("1".into(), "20000.00".into(), "1.0000".into())
    );
    let bruno = row(o, "Bruno");
    assert_eq!(
        (
            n(&bruno["count"]),
            n(&bruno["amount"]),
            n(&bruno["weighted"])
        ),
        ("2".into(), "4000.25".into(), "2600.05".into())
    );
    assert_eq!(
        (n(&bruno["lost"]), n(&bruno["win_rate"])),
        ("1".into(), "0.0000".into())
    );
    let nobody = null_row(o);
    assert_eq!(n(&nobody["count"]), "1");
    assert_eq!(o.as_array().unwrap().len(), 3);
}

#[test]
fn forecast() {
    let s = Sandbox::fixture("report-basic");
    let r = json(&s, &["forecast"]);
    let months = r["months"].as_array().unwrap();
    assert_eq!(months.len(), 15);
    let periods: Vec<&str> = months
        .iter()
        .map(|m| m["period"].as_str().unwrap())
        .collect();
    assert_eq!(periods[0], "overdue");
    assert_eq!(periods[1], "2026-11");
    assert_eq!(periods[12], "2027-10");
    assert_eq!(&periods[13..], ["later", "undated"]);
    let m = |p: &str| months.iter().find(|m| m["period"] == p).unwrap();
    // A2 expected 2026-11-01: overdue. A1 2026-12. A4 2027-03. A3 and A7 undated.
    assert_eq!(
        (
            n(&m("overdue")["count"]),
            n(&m("overdue")["amount"]),
            n(&m("overdue")["weighted"])
        ),
        ("1".into(), "3000.00".into(), "2400.00".into())
    );
    assert_eq!(
        (n(&m("2026-12")["amount"]), n(&m("2026-12")["weighted"])),
        ("12500.50".into(), "6250.25".into())
    );
    assert_eq!(m("2026-12")["stages"][0]["id"], "devis");
    assert_eq!(
        (n(&m("2027-03")["amount"]), n(&m("2027-03")["weighted"])),
        ("1000.25".into(), "200.05".into())
    );
    assert_eq!(
        (
            n(&m("undated")["count"]),
            n(&m("undated")["without_amount"])
        ),
        ("2".into(), "2".into())
    );
    assert_eq!(n(&m("2026-11")["count"]), "0");
    assert_eq!(
        (n(&r["total"]["amount"]), n(&r["total"]["weighted"])),
        ("16500.75".into(), "8850.30".into())
    );
}

/// Today's forecast reads the open deals' rows only: the journal is not
/// read, so a journal that cannot be read changes nothing and is not
/// warned about, while the reports that use the journal warn.
#[test]
fn todays_forecast_does_not_read_the_journal() {
    let s = Sandbox::fixture("report-basic");
    let good = s.pipe(&["report", "forecast", "--format", "csv"]).expect(0);
    assert_eq!(good.stderr, "");
    s.write("journal.csv", "not,a,journal\n\"unterminated\n");
    let run = s.pipe(&["report", "forecast", "--format", "csv"]).expect(0);
    assert_eq!(run.stdout, good.stdout);
    assert_eq!(run.stderr, "");
    let warned = |args: &[&str]| {
        let run = s.pipe(args).expect(0);
        assert!(
            run.stderr.contains("problem in the journal journal.csv"),
            "{}",
            run.stderr
        );
    };
    warned(&["report", "funnel", "--format", "csv"]);
    // A past day's forecast replays the journal.
    warned(&[
        "report",
        "forecast",
        "--as-of",
        "2026-06-30",
        "--format",
        "csv",
    ]);
}

#[test]
fn movement_reconciles() {
    let s = Sandbox::fixture("report-basic");
    let r = json(&s, &["movement"]);
    // At the end of 2025-11-27 only A8 (won) was there.
    assert_eq!(r["start_date"], "2025-11-27");
    assert_eq!(
        (n(&r["open_start"]["count"]), n(&r["open_start"]["amount"])),
        ("0".into(), "0.00".into())
    );
    // New: A1–A7 = 12500.50 + 3000 + 1000.25 + 20000 + 7000.
    assert_eq!(
        (n(&r["new"]["count"]), n(&r["new"]["amount"])),
        ("7".into(), "43500.75".into())
    );
    assert_eq!(
        (n(&r["won"]["count"]), n(&r["won"]["amount"])),
        ("1".into(), "20000.00".into())
    );
    assert_eq!(
        (n(&r["lost"]["count"]), n(&r["lost"]["amount"])),
        ("1".into(), "7000.00".into())
    );
    assert_eq!(
        (n(&r["open_end"]["count"]), n(&r["open_end"]["amount"])),
        ("5".into(), "16500.75".into())
    );
    assert_eq!(r["balanced"], true);
    let st = &r["stages"];
    let line = |id: &str| {
        let x = row(st, id);
        [
            n(&x["start"]),
            n(&x["in"]),
            n(&x["out"]),
            n(&x["unrecorded"]),
            n(&x["end"]),
        ]
        .join(" ")
    };
    assert_eq!(
        line("suspect"),
        "0 1 1 1 1",
        "A7 entered without the journal"
    );
    assert_eq!(line("qualif"), "0 6 4 0 2");
    assert_eq!(line("devis"), "0 4 2 0 2");
    assert_eq!(line("gagne"), "1 1 0 0 2");
    assert_eq!(line("perdu"), "0 1 0 0 1");
    let moves: Vec<String> = r["moves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{}>{}:{}",
                m["from"].as_str().unwrap_or("-"),
                m["to"].as_str().unwrap_or("-"),
                m["count"]
            )
        })
        .collect();
    assert_eq!(
        moves,
        [
            "->suspect:1",
            "->qualif:5",
            "suspect>qualif:1",
            "qualif>devis:4",
            "devis>gagne:1",
            "devis>perdu:1"
        ]
    );

    // July to October 2026. At the end of 2026-06-30: A6 open in devis (7000), A7 open
    // in suspect; A6 is lost on 07-01.
    let r = json(
        &s,
        &["movement", "--from", "2026-07-01", "--to", "2026-10-31"],
    );
    assert_eq!(
        (n(&r["open_start"]["count"]), n(&r["open_start"]["amount"])),
        ("2".into(), "7000.00".into())
    );
    // New by 10-31: A1, A2, A4 (A3 came on 11-20). A1 was then worth 10000.
    assert_eq!(
        (n(&r["new"]["count"]), n(&r["new"]["amount"])),
        ("3".into(), "14000.25".into())
    );
    assert_eq!(
        (n(&r["lost"]["count"]), n(&r["lost"]["amount"])),
        ("1".into(), "7000.00".into())
    );
    assert_eq!(
        (n(&r["open_end"]["count"]), n(&r["open_end"]["amount"])),
        ("4".into(), "14000.25".into())
    );
    assert_eq!(r["balanced"], true);
}

#[test]
fn delays() {
    let s = Sandbox::fixture("report-basic");
    let r = json(&s, &["delays"]);
    let st = &r["stages"];
    assert_eq!(st.as_array().unwrap().len(), 3, "open stages only");
    let devis = row(st, "devis");
    assert_eq!(
        [
            &devis["count"],
            &devis["max_days"],
            &devis["stale"],
            &devis["overdue"],
            &devis["pushed"],
            &devis["pushes"]
        ]
        .map(n),
        ["2", "57", "1", "1", "2", "2"]
    );
    let qualif = row(st, "qualif");
    assert_eq!(
        [&qualif["stale"], &qualif["overdue"], &qualif["pushes"]].map(n),
        ["1", "0", "0"]
    );
    // Worst first: A2 (1 push, 26 days overdue), A1 (1 push), A7 (300 days over), A4 (57 days over).
    let ids: Vec<&str> = r["offenders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["A2", "A1", "A7", "A4"]);
    let a2 = &r["offenders"][0];
    assert_eq!(
        [&a2["overdue_days"], &a2["stale_by"], &a2["pushes"]].map(n),
        ["26", "37", "1"]
    );
    assert_eq!(n(&r["offenders"][2]["stale_by"]), "300");
    let top = json(&s, &["delays", "--top", "1"]);
    assert_eq!(top["offenders"].as_array().unwrap().len(), 1);
}

/// `delays` keeps only its `--top` offenders as rows come, and passes over
/// a row that ranks after the last of them: on offenders tied in rank, in
/// rows whose ids come down, each short list is the head of the full one
/// (ties by id).
#[test]
fn the_top_offenders_are_the_head_of_the_full_list_even_tied() {
    let s = Sandbox::fixture("report-basic");
    let mut register = s.read_string("prospects.csv");
    for n in (10..40).rev() {
        register.push_str(&format!(
            "T{n};Devis envoyé;01/10/2026;Tie {n};Anne;1 000;;01/11/2026;Formation;01/08/2026\n"
        ));
    }
    s.write("prospects.csv", register);
    let ids = |top: &str| -> Vec<String> {
        json(&s, &["delays", "--top", top])["offenders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_string())
            .collect()
    };
    let all = ids("1000");
    assert_eq!(all.len(), 34, "{all:?}");
    // A2 has a push; the thirty tied rows follow it, by id, from T10.
    assert_eq!(all[..3], ["A2", "A1", "T10"]);
    for top in 1..=12 {
        assert_eq!(ids(&top.to_string()), all[..top], "--top {top}");
    }
}

#[test]
fn csv_is_plain_and_excel_safe() {
    let s = Sandbox::fixture("report-basic");
    let csv = s.pipe(&["report", "--format", "csv"]).expect(0).stdout;
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "stage,label,phase,outcome,count,share,amount,weighted,without_amount,average_days,median_days,stale,reached,conversion_next,conversion_cumulative"
    );
    assert_eq!(
        lines.next().unwrap(),
        "suspect,Suspect,suspect,open,1,0.2000,0.00,0.00,1,330,330,1,2,3.0000,1.0000"
    );
    assert!(
        csv.contains(
            "\ndevis,Devis envoyé,prospect,open,2,0.4000,15500.50,8650.25,0,37,37,1,4,,0.6667\n"
        ),
        "{csv}"
    );
    let excel = s
        .pipe(&["report", "delays", "--format", "csv", "--excel"])
        .expect(0)
        .stdout;
    assert!(excel.starts_with("\u{feff}id;name;owner;stage;"), "{excel}");
    assert!(
        excel.contains("A7;'+Eta SARL;;suspect;330;30 days;300;;;0"),
        "{excel}"
    );
    assert!(
        excel.contains("A2;Beta;Bruno;devis;57;20 days;37;2026-11-01;26;1"),
        "{excel}"
    );
}

#[test]
fn markdown_and_output_files() {
    let s = Sandbox::fixture("report-basic");
    let md = s
        .pipe(&["report", "products", "--format", "md"])
        .expect(0)
        .stdout;
    assert!(md.starts_with("## Product families — Atelier Test"), "{md}");
    assert!(
        md.contains("| Family | Open | Amount | Weighted | Won | Won amount | Win rate |"),
        "{md}"
    );
    assert!(
        md.contains("| Machines-outils | 1 | 12\u{a0}500,50\u{a0}€ |"),
        "{md}"
    );
    let run = s
        .pipe(&["report", "forecast", "-o", "forecast.json"])
        .expect(0);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("wrote forecast.json"), "{}", run.stderr);
    let v: Value = serde_json::from_str(&s.read_string("forecast.json")).unwrap();
    assert_eq!(v["report"], "forecast");
    s.pipe(&["report", "-o", "f.csv"]).expect(0);
    assert!(s.read_string("f.csv").starts_with("stage,label,"));
}

fn html_cells(doc: &roxmltree::Document, row_label: &str, col: &str) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("tr"))
        .filter(|tr| {
            tr.children()
                .find(|c| c.has_tag_name("td"))
                .and_then(|td| td.text())
                == Some(row_label)
        })
        .filter_map(|tr| {
            tr.children()
                .find(|td| td.has_tag_name("td") && td.attribute("data-col") == Some(col))
                .map(|td| td.attribute("data-value").unwrap_or("").to_string())
        })
        .collect()
}

#[test]
fn html_is_well_formed_self_contained_and_holds_the_json_figures() {
    let s = Sandbox::fixture("report-basic");
    for kind in [
        "funnel", "products", "owners", "forecast", "movement", "delays",
    ] {
        let html = s
            .pipe(&["report", kind, "--format", "html"])
            .expect(0)
            .stdout;
        let doc = roxmltree::Document::parse_with_options(
            &html,
            roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{kind}: {e}\n{html}"));
        assert!(html.contains("<meta name=\"viewport\""), "{kind}");
        for banned in [
            "<script", " src=", " href=", "<link", "url(", "@import", "https:",
        ] {
            assert!(
                !html.contains(banned),
                "{kind}: `{banned}` (a script or an external resource)"
            );
        }
        assert!(doc.descendants().any(|n| n.has_tag_name("table")), "{kind}");
    }
    let html = s.pipe(&["report", "--format", "html"]).expect(0).stdout;
    let doc = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap();
    let j = json(&s, &["funnel"]);
    for st in j["stages"].as_array().unwrap() {
        let label = st["label"].as_str().unwrap();
        assert_eq!(
            html_cells(&doc, label, "Count")[0],
            n(&st["count"]),
            "{label}"
        );
        assert_eq!(
            html_cells(&doc, label, "Amount")[0],
            n(&st["amount"]),
            "{label}"
        );
        assert_eq!(
            html_cells(&doc, label, "Weighted")[0],
            n(&st["weighted"]),
            "{label}"
        );
        assert_eq!(
            html_cells(&doc, label, "Reached")[0],
            n(&st["reached"]),
            "{label}"
        );
        // The funnel chart has a shape for each open stage.
        if st["outcome"] == "open" {
            assert!(
                doc.descendants()
                    .any(|n| n.attribute("data-stage") == st["id"].as_str()),
                "{label}"
            );
        }
    }
    assert!(doc.descendants().any(|n| n.has_tag_name("svg")));
    assert_eq!(
        html_cells(&doc, "Open pipeline", "Amount")[0],
        n(&j["totals"]["open"]["amount"])
    );

    let html = s
        .pipe(&["report", "products", "--format", "html"])
        .expect(0)
        .stdout;
    let doc = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap();
    let j = json(&s, &["products"]);
    for p in j["products"].as_array().unwrap() {
        let label = p["label"].as_str().unwrap();
        assert_eq!(
            html_cells(&doc, label, "Open")[0],
            n(&p["count"]),
            "{label}"
        );
        assert_eq!(
            html_cells(&doc, label, "Amount")[0],
            n(&p["amount"]),
            "{label}"
        );
        assert_eq!(
            html_cells(&doc, label, "Won amount")[0],
            n(&p["won_amount"]),
            "{label}"
        );
    }
    assert_eq!(
        doc.descendants().filter(|n| n.has_tag_name("svg")).count(),
        1
    );
}

#[test]
fn tables_fit_80_columns() {
    let s = Sandbox::fixture("report-basic");
    let e = Sandbox::example();
    for sb in [&s, &e] {
        for kind in [
            "funnel", "products", "owners", "forecast", "movement", "delays",
        ] {
            let run = sb
                .command()
                .env("COLUMNS", "80")
                .args(["--today", common::TODAY, "report", kind])
                .output()
                .unwrap();
            assert!(run.status.success(), "{kind}");
            let out = String::from_utf8(run.stdout).unwrap();
            for line in out
                .lines()
                .filter(|l| l.starts_with(['┌', '│', '╞', '├', '└']))
            {
                assert!(
                    line.chars().count() <= 80,
                    "{kind}: {} wide\n{out}",
                    line.chars().count()
                );
            }
        }
    }
}

#[test]
fn funnel_bars_by_count_or_amount() {
    let s = Sandbox::fixture("report-basic");
    let out = s.pipe(&["report"]).expect(0).stdout;
    // Qualif, devis and gagne have the most prospects (2): full bars of 12 blocks.
    assert!(
        out.contains("│ À qualifier     ┆     2 ┆ ████████████ ┆"),
        "{out}"
    );
    assert!(
        out.contains("│ Suspect         ┆     1 ┆ ██████       ┆"),
        "{out}"
    );
    let out = s.pipe(&["report", "--by", "amount"]).expect(0).stdout;
    // Gagné (25000) is the longest; devis 15500.50 → 7.44 blocks.
    assert!(out.contains("Amount bar"), "{out}");
    assert!(out.contains("┆ ███████▌     ┆"), "{out}");
}

#[test]
fn errors_name_the_remedy() {
    let s = Sandbox::fixture("report-basic");
    let run = s.pipe(&["report", "forecast", "--by", "stage"]).expect(2);
    assert!(
        run.stderr
            .contains("`--by stage` does not apply to the forecast report"),
        "{}",
        run.stderr
    );
    let run = s.pipe(&["report", "--as-of", "2026-12-01"]).expect(2);
    assert!(
        run.stderr
            .contains("--as-of 2026-12-01 is after today (2026-11-27)"),
        "{}",
        run.stderr
    );
    let run = s
        .pipe(&["report", "--from", "2026-11-01", "--to", "2026-10-01"])
        .expect(2);
    assert!(
        run.stderr
            .contains("--from 2026-11-01 is after --to 2026-10-01"),
        "{}",
        run.stderr
    );
    let run = s
        .pipe(&["report", "--as-of", "2026-06-30", "--to", "2026-07-31"])
        .expect(2);
    assert!(
        run.stderr
            .contains("--to 2026-07-31 is after --as-of 2026-06-30"),
        "{}",
        run.stderr
    );
    let run = s.pipe(&["report", "--as-of", "31/13/2026"]).expect(2);
    assert!(
        run.stderr.contains("--as-of `31/13/2026` is not a date"),
        "{}",
        run.stderr
    );
    let run = s.pipe(&["report", "--product", "formations"]).expect(2);
    assert!(
        run.stderr.contains("unknown product family `formations`"),
        "{}",
        run.stderr
    );
    let run = s.pipe(&["report", "--format", "md", "--excel"]).expect(2);
    assert!(
        run.stderr.contains("`--excel` goes with CSV output"),
        "{}",
        run.stderr
    );
    let toml = s.read_string("pipeline.toml") + "\n[products]\nattribution = \"half\"\n";
    s.write("pipeline.toml", toml);
    let run = s.pipe(&["report"]).expect(3);
    assert!(
        run.stderr
            .contains("[products] attribution `half` is not supported"),
        "{}",
        run.stderr
    );
}

#[test]
fn every_report_runs_on_the_shipped_example_in_every_format() {
    let s = Sandbox::example();
    for kind in [
        "funnel", "products", "owners", "forecast", "movement", "delays",
    ] {
        for format in ["table", "csv", "json", "md", "html"] {
            let run = s.pipe(&["report", kind, "--format", format]).expect(0);
            assert!(!run.stdout.is_empty(), "{kind} {format}");
            assert_eq!(run.stderr, "", "{kind} {format}");
        }
    }
    // The register's totals, summed here from the file, match the funnel.
    let csv = s.read_string("examples/prospects.csv");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = headers.iter().position(|h| h == "Montant HT").unwrap();
    let mut cents: i64 = 0;
    let mut rows = 0;
    for rec in reader.records() {
        let rec = rec.unwrap();
        rows += 1;
        let cell: String = rec[col]
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == ',' || *c == '.')
            .collect();
        if cell.is_empty() {
            continue;
        }
        let (int, frac) = cell.split_once([',', '.']).unwrap_or((&cell, "0"));
        cents += int.parse::<i64>().unwrap() * 100 + format!("{frac:0<2}").parse::<i64>().unwrap();
    }
    let r = json(&s, &["funnel"]);
    assert_eq!(n(&r["totals"]["all"]["count"]), rows.to_string());
    assert_eq!(
        n(&r["totals"]["all"]["amount"]),
        format!("{}.{:02}", cents / 100, cents % 100)
    );
    let m = json(&s, &["movement"]);
    assert_eq!(m["balanced"], true);
    assert_eq!(n(&m["open_end"]["count"]), n(&r["totals"]["open"]["count"]));
    // A year ago, replayed: fewer prospects than today, and no error.
    let past = json(&s, &["funnel", "--as-of", "2025-11-27"]);
    assert!(past["totals"]["all"]["count"].as_u64().unwrap() < rows);
}
