//! The sales-effort model: `pipe log`, `pipe effort` and `pipe report calibration`.
//!
//! The figures are checked against tests/fixtures/effort-basic, computed by
//! hand below (never by calling `pipe`'s own code). Today is 27/11/2026, so
//! the default period runs from 28/11/2025 to 27/11/2026: 12 months.
//!
//! The fixture's prospects (A = Anne Martin, B = Bruno Petit):
//!
//! | id | owner | entered  | meeting  | quote    | signature | end   | amount |
//! |----|-------|----------|----------|----------|-----------|-------|--------|
//! | P1 | A     | 05/01/26 | 20/01/26 | 10/02/26 | 01/03/26  | won   | 10 000 |
//! | P2 | A     | 01/02/26 | 15/02/26 | 15/03/26 | —         | lost  | 5 000  |
//! | P3 | B     | 01/03/26 | 10/03/26 | —        | —         | open  |        |
//! | P4 | B     | 01/04/26 | —        | —        | —         | open  |        |
//! | P5 | B     | 01/10/25 | 01/11/25 | 10/01/26 | 01/02/26  | won   | 20 000 |
//! | P6 | A     | 01/05/26 | (20/05/26, skipped) | 20/05/26 | 10/06/26 | won | 30 000 |
//! | P7 | B     | 01/06/26 | (05/06/26, undone)  | — | —  | open  |        |
//!
//! P4 has no logged hours; P5 entered and got its meeting before the period,
//! and has hours before it; P1 has hours after its signature, P2 after its
//! meeting; Anne logged an hour on Bruno's P3.

mod common;

use common::Sandbox;
use serde_json::Value;

fn json(s: &Sandbox, args: &[&str]) -> Value {
    let run = s.pipe(args).expect(0);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}\n{}", run.stdout))
}

/// A JSON decimal (written as a string) or an integer, as text.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

/// How many prospects reached each step, new prospects first.
fn reached(v: &Value) -> Vec<u64> {
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reached"].as_u64().unwrap())
        .collect()
}

fn step<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == name)
        .unwrap_or_else(|| panic!("no step {name} in {v:#}"))
}

// --------------------------------------------------------------- pipe effort

#[test]
fn the_fixture_is_consistent() {
    let s = Sandbox::fixture("effort-basic");
    let run = s.pipe(&["check"]).expect(0);
    assert!(
        run.stderr
            .contains("activities.csv: 18 activities: 0 errors, 0 warnings"),
        "{}",
        run.stderr
    );
}

#[test]
fn figures_per_milestone_match_the_hand_computation() {
    let s = Sandbox::fixture("effort-basic");
    let v = json(&s, &["effort", "--format", "json"]);
    assert_eq!(text(&v["period"]["from"]), "2025-11-28");
    assert_eq!(text(&v["period"]["months"]), "12.00");

    // Entered in the period: P1, P2, P3, P4, P6, P7 (P5 entered in 2025).
    assert_eq!(step(&v, "new")["reached"], 6);

    // Meeting in the period: P1, P2, P3 and P6 (which skipped to a quote);
    // not P5 (before the period) nor P7 (its move was undone).
    let m = step(&v, "meeting");
    assert_eq!(m["reached"], 4);
    // 4 of the 6 new prospects got a meeting, after 15, 14, 9 and 19 days.
    assert_eq!(text(&m["conversion"]["value"]), "66.67");
    assert_eq!(m["conversion"]["cases"], 6);
    assert_eq!(text(&m["days"]["value"]), "14.5");
    // Hours on or before the meeting day, in the period:
    //   P1 2 + 1.5 (the day itself) = 3.5; P2 0h20 (not the 2 h the day after);
    //   P3 1 + 1 + 1 (Anne's hour counts for Bruno's prospect) = 3;
    //   P5 0 (its meeting came before the period); P6 1 + 2 = 3;
    //   P7 0.5 (never got one); P4 nothing logged.
    //   = 620 min = 10.33 h, for 4 meetings: 2.58 h each.
    assert_eq!(text(&m["hours"]), "10.33");
    assert_eq!(text(&m["hours_each"]["value"]), "2.58");
    assert_eq!(text(&m["hours_each"]["basis"]), "observed");

    // Quote in the period: P1, P2, P5, P6. Of the 4 meetings of the period,
    // 3 led to a quote (P1 after 21 days, P2 28, P6 0): median 21.
    let q = step(&v, "quote");
    assert_eq!(q["reached"], 4);
    assert_eq!(text(&q["conversion"]["value"]), "75.00");
    assert_eq!(text(&q["days"]["value"]), "21.0");
    // P1 6.5, P2 0h20 + 2 + 4 = 6h20, P3 3 (no quote), P5 2, P6 3, P7 0.5
    //   = 1280 min = 21.33 h; 5.33 h per quote.
    assert_eq!(text(&q["hours"]), "21.33");
    assert_eq!(text(&q["hours_each"]["value"]), "5.33");

    // Signature in the period: P1, P5, P6. Of the 4 quotes of the period, 3
    // were signed (after 19, 22 and 21 days).
    let g = step(&v, "signature");
    assert_eq!(g["reached"], 3);
    assert_eq!(text(&g["conversion"]["value"]), "75.00");
    assert_eq!(text(&g["days"]["value"]), "21.0");
    // P1 7 (not the 2 h after signing), P2 6h35 (lost: all of it), P3 3,
    // P5 2 + 1, P6 3, P7 0.5 = 1385 min = 23.08 h; 7.69 h per signature.
    assert_eq!(text(&g["hours"]), "23.08");
    assert_eq!(text(&g["hours_each"]["value"]), "7.69");

    // Everything logged in the period: 1505 min; 120 of them after signature.
    assert_eq!(text(&v["hours"]["logged"]), "25.08");
    assert_eq!(text(&v["hours"]["after_signature"]), "2.00");
    // 23.083 h over 12 months.
    assert_eq!(text(&v["hours"]["pace_per_month"]), "1.92");
    // (10 000 + 20 000 + 30 000) / 3.
    assert_eq!(text(&v["average_signature"]["value"]), "20000.00");
    assert_eq!(text(&v["average_signature"]["basis"]), "observed");

    // By kind: prospection 2 + 1 + 1; appel 0h20 + 0.5; rendez-vous
    // 1.5 + 2 + 1 + 1 + 2; devis 2 + 3 + 4 + 2; relance 1 + 0.5 + 0.25.
    let kinds: Vec<(String, String)> = v["by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (text(&k["kind"]), text(&k["hours"])))
        .collect();
    let want = [
        ("prospection", "4.00"),
        ("appel", "0.83"),
        ("rendez_vous", "7.50"),
        ("devis", "11.00"),
        ("relance", "1.75"),
    ];
    assert_eq!(kinds, want.map(|(a, b)| (a.to_string(), b.to_string())));
}

#[test]
fn the_table_shows_the_same_figures_in_french() {
    let s = Sandbox::fixture("effort-basic");
    let run = s.pipe(&["effort"]).expect(0);
    let out = run.stdout.replace('\u{a0}', " ");
    let table = "\
Sales effort, 28/11/2025 to 27/11/2026 (12 months)
┌───────────────┬─────────┬──────────────┬─────────────┬────────┬────────────┐
│ Step          ┆ Reached ┆   Conversion ┆ Median days ┆  Hours ┆ Hours each │
╞═══════════════╪═════════╪══════════════╪═════════════╪════════╪════════════╡
│ New prospects ┆       6 ┆              ┆             ┆        ┆            │
│ Rendez-vous   ┆       4 ┆ 66,7 % (4/6) ┆          15 ┆ 10,3 h ┆      2,6 h │
│ Devis envoyé  ┆       4 ┆   75 % (3/4) ┆          21 ┆ 21,3 h ┆      5,3 h │
│ Gagné         ┆       3 ┆   75 % (3/4) ┆          21 ┆ 23,1 h ┆      7,7 h │
└───────────────┴─────────┴──────────────┴─────────────┴────────┴────────────┘
";
    assert!(out.starts_with(table), "{out}");
    for want in [
        "Pace: 1,9 h per month before signature (25,1 h logged in the period, of which 2,0 h after signature).",
        "Average signature: 20 000,00 € (3 signatures with an amount).",
        "│ Rendez-vous ┆  7,5 h ┆ 29,9 % │",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    assert!(!out.contains('*'), "no assumption is used:\n{out}");
}

#[test]
fn a_shorter_period_leaves_out_what_happened_outside_it() {
    let s = Sandbox::fixture("effort-basic");
    let v = json(
        &s,
        &[
            "effort",
            "--from",
            "01/01/2026",
            "--to",
            "28/02/2026",
            "--format",
            "json",
        ],
    );
    // January and February 2026: P1 and P2 entered; meetings P1 and P2;
    // quotes P5 (10/01) and P1 (10/02); signature P5 (01/02) only.
    assert_eq!(text(&v["period"]["months"]), "2.00");
    assert_eq!(reached(&v), [2, 2, 2, 1]);
    // Of the two quotes of the period, only P5's was signed by 28/02 (P1 signed on 01/03).
    assert_eq!(text(&step(&v, "signature")["conversion"]["value"]), "50.00");
}

#[test]
fn filters_cover_one_owner_and_fall_back_to_assumptions() {
    let s = Sandbox::fixture("effort-basic");
    let v = json(
        &s,
        &["effort", "--owner", "anne martin", "--format", "json"],
    );
    // Anne's prospects: P1, P2, P6. Anne's hour on Bruno's P3 does not count.
    assert_eq!(reached(&v), [3, 3, 3, 2]);
    let m = step(&v, "meeting");
    // P1 3.5 + P2 0h20 + P6 3 = 410 min, 3 meetings.
    assert_eq!(text(&m["hours"]), "6.83");
    assert_eq!(text(&m["hours_each"]["value"]), "2.28");
    assert_eq!(text(&m["days"]["value"]), "15.0");
    let g = step(&v, "signature");
    // 2 of 3 quotes signed: 3 cases, enough (min_cases = 3).
    assert_eq!(text(&g["conversion"]["value"]), "66.67");
    assert_eq!(text(&g["conversion"]["basis"]), "observed");
    // P1 7 + P2 6h35 + P6 3 = 995 min for 2 signatures: 8.29 h each, on
    // 2 cases only, so the declared 10 h is used.
    assert_eq!(text(&g["hours"]), "16.58");
    assert_eq!(text(&g["hours_each"]["observed"]), "8.29");
    assert_eq!(text(&g["hours_each"]["cases"]), "2");
    assert_eq!(text(&g["hours_each"]["basis"]), "assumed");
    assert_eq!(text(&g["hours_each"]["value"]), "10.00");
    // 19 and 21 days: 2 cases and no days assumed: the thin figure is kept.
    assert_eq!(text(&g["days"]["basis"]), "thin");
    assert_eq!(text(&g["days"]["value"]), "20.0");
    // (10 000 + 30 000) / 2 on 2 cases: the declared 25 000 is used.
    assert_eq!(text(&v["average_signature"]["observed"]), "20000.00");
    assert_eq!(text(&v["average_signature"]["value"]), "25000.00");

    let run = s.pipe(&["effort", "--owner", "Anne Martin"]).expect(0);
    let out = run.stdout.replace('\u{a0}', " ");
    for want in [
        "; owner Anne Martin",
        "10,0 h*",
        "20?",
        "* Assumed in pipeline.toml, because the history holds fewer than 3 cases: Gagné, hours each: 2 cases (observed 8,3 h), so 10,0 h is assumed; Gagné, average amount: 2 cases (observed 20 000,00 €), so 25 000,00 € is assumed.",
        "? Fewer than 3 cases and no assumption: Gagné: days (2 cases), to declare under [effort.assumptions.signature].",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
}

#[test]
fn the_product_filter_keeps_the_prospects_of_a_family() {
    let s = Sandbox::fixture("effort-basic");
    let v = json(&s, &["effort", "--product", "services", "--format", "json"]);
    // Services: P2 and P5. New: P2; meeting: P2; quotes: P2, P5; signature: P5.
    assert_eq!(reached(&v), [1, 1, 2, 1]);
}

#[test]
fn planning_the_observed_signatures_gives_back_the_observed_hours() {
    let s = Sandbox::fixture("effort-basic");
    let v = json(&s, &["effort", "--target", "3", "--format", "json"]);
    let plan = &v["plan"];
    assert_eq!(text(&plan["hours"]), text(&step(&v, "signature")["hours"]));
    assert_eq!(text(&plan["hours"]), "23.08");
    assert_eq!(text(&plan["hours_per_month"]), "1.92");
    assert_eq!(text(&plan["pace_per_month"]), "1.92");
    assert_eq!(text(&plan["gap_per_month"]), "0.00");
    // Backwards: 3 signatures / 75 % = 4 quotes; / 75 % = 5.33 meetings;
    // / 66.67 % = 8 new prospects.
    let needs: Vec<(String, String)> = plan["needs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (text(&n["step"]), text(&n["needed"])))
        .collect();
    let want = [
        ("signature", "3.00"),
        ("quote", "4.00"),
        ("meeting", "5.33"),
        ("new", "8.00"),
    ];
    assert_eq!(needs, want.map(|(a, b)| (a.to_string(), b.to_string())));
    assert_eq!(text(&plan["horizon"]["from"]), "2026-11-28");
    assert_eq!(text(&plan["horizon"]["to"]), "2027-11-27");
    // 14.5 + 21 + 21 days from new prospect to signature.
    assert_eq!(text(&plan["lead_days"]), "56.5");

    // The same target as an amount: 60 000 € at 20 000 € a signature.
    let w = json(
        &s,
        &["effort", "--target-amount", "60 000 €", "--format", "json"],
    );
    assert_eq!(text(&w["plan"]["hours"]), "23.08");
    assert_eq!(text(&w["plan"]["needs"][0]["needed"]), "3.00");

    let run = s.pipe(&["effort", "--target", "3"]).expect(0);
    let out = run.stdout.replace('\u{a0}', " ");
    for want in [
        "Plan: 3 signatures (Gagné) from 28/11/2026 to 27/11/2027 (12 months)",
        "│ Devis envoyé  ┆    4,0 ┆       0,3 ┆ 75 % of them reach Gagné",
        "│ Hours         ┆ 23,1 h ┆     1,9 h ┆ 7,7 h per Gagné",
        "the current pace is enough",
        "From new prospect to signature takes about 57 days",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
}

#[test]
fn a_plan_compares_with_the_pace_over_its_horizon() {
    let s = Sandbox::fixture("effort-basic");
    // 6 signatures in 6 months: 6 × 1385 / 3 min = 46.17 h, 7.69 h a month,
    // against 1.92 h a month now: 5.77 h more.
    let v = json(
        &s,
        &[
            "effort", "--target", "6", "--months", "6", "--format", "json",
        ],
    );
    let plan = &v["plan"];
    assert_eq!(text(&plan["hours"]), "46.17");
    assert_eq!(text(&plan["hours_per_month"]), "7.69");
    assert_eq!(text(&plan["gap_per_month"]), "5.77");
    assert_eq!(text(&plan["horizon"]["to"]), "2027-05-27");
    // Anne with 2 signatures: her signatures are too few, so the declared
    // 10 h per signature gives 20 h.
    let a = json(
        &s,
        &[
            "effort",
            "--owner",
            "Anne Martin",
            "--target",
            "2",
            "--format",
            "json",
        ],
    );
    assert_eq!(text(&a["plan"]["hours"]), "20.00");
    assert_eq!(text(&a["plan"]["hours_each"]["basis"]), "assumed");
}

#[test]
fn effort_writes_csv_markdown_and_one_html_file() {
    let s = Sandbox::fixture("effort-basic");
    let csv = s.pipe(&["effort", "--format", "csv"]).expect(0).stdout;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "step,label,reached,conversion,conversion_basis,conversion_cases,days,days_basis,days_cases,hours,hours_each,hours_each_basis"
    );
    assert_eq!(
        lines[4],
        "signature,Gagné,3,75.00,observed,4,21.00,observed,3,23.08,7.69,observed"
    );
    let plan = s
        .pipe(&["effort", "--target", "3", "--format", "csv"])
        .expect(0)
        .stdout;
    assert!(plan.starts_with("step,label,needed,per_month,rate,rate_basis,rate_cases\nsignature,Gagné,3.00,0.25,,target,\n"), "{plan}");
    assert!(plan.contains("\ngap,,,0.00,,,\n"), "{plan}");
    let md = s.pipe(&["effort", "--format", "md"]).expect(0).stdout;
    assert!(
        md.contains("| Step | Reached | Conversion | Median days | Hours | Hours each |"),
        "{md}"
    );
    let run = s
        .pipe(&["effort", "--target", "3", "-o", "effort.html"])
        .expect(0);
    assert_eq!(run.stdout, "");
    let html = s.read_string("effort.html");
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<style>"));
    assert!(!html.contains("<script") && !html.contains("<link"));
    assert_eq!(html.matches("<table>").count(), 3);
}

#[test]
fn effort_needs_an_activity_log_and_milestones() {
    let s = Sandbox::fixture("effort-basic");
    let toml = s.read_string("pipeline.toml");
    s.write(
        "pipeline.toml",
        toml.replace("milestone = ", "# milestone = ").replace(
            "[effort.assumptions.signature]\nhours = 10\namount = 25000\n",
            "",
        ),
    );
    let run = s.pipe(&["effort"]).expect(3);
    assert!(
        run.stderr.contains("declares no milestone"),
        "{}",
        run.stderr
    );
    let start = toml.find("[activities]").unwrap();
    let end = toml.find("[effort]").unwrap();
    s.write(
        "pipeline.toml",
        format!("{}{}", &toml[..start], &toml[end..]),
    );
    let run = s.pipe(&["effort"]).expect(3);
    assert!(
        run.stderr.contains("keeps no activity log"),
        "{}",
        run.stderr
    );
    let run = s.pipe(&["log", "P1", "--hours", "1"]).expect(3);
    assert!(
        run.stderr.contains("keeps no activity log"),
        "{}",
        run.stderr
    );
}

#[test]
fn effort_refuses_a_wrong_period_or_target() {
    let s = Sandbox::fixture("effort-basic");
    let run = s
        .pipe(&["effort", "--from", "2026-06-01", "--to", "2026-01-01"])
        .expect(2);
    assert!(
        run.stderr
            .contains("--from (2026-06-01) is after --to (2026-01-01)"),
        "{}",
        run.stderr
    );
    s.pipe(&["effort", "--target", "0"]).expect(2);
    s.pipe(&["effort", "--target", "3", "--target-amount", "1000"])
        .expect(2);
    let run = s.pipe(&["effort", "--target-amount", "beaucoup"]).expect(2);
    assert!(run.stderr.contains("is not an amount"), "{}", run.stderr);
    // Nothing reached a meeting in this period, and nothing is assumed for it.
    let run = s
        .pipe(&["effort", "--from", "2026-07-01", "--target", "3"])
        .expect(3);
    assert!(run.stderr.contains("cannot plan:"), "{}", run.stderr);
}

// ----------------------------------------------------------------- pipe log

fn log_lines(s: &Sandbox) -> Vec<String> {
    s.read_string("activities.csv")
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn log_appends_one_activity() {
    let s = Sandbox::fixture("effort-basic");
    let run = s
        .pipe(&[
            "log",
            "P4",
            "--hours",
            "1h30",
            "--kind",
            "Appel",
            "--on",
            "20/11/2026",
            "--note",
            "premier appel, enfin",
        ])
        .expect(0);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr.replace('\u{a0}', " "),
        "logged 1,5 h of Appel on P4 (Delta) on 20/11/2026 by test; wrote activities.csv\n"
    );
    let lines = log_lines(&s);
    assert_eq!(lines.len(), 20);
    assert_eq!(
        lines[19],
        "2026-11-27T10:00:00.000+01:00,2026-11-20,P4,appel,1.5,test,\"premier appel, enfin\""
    );
    // Defaults: today, the first kind, PIPE_USER.
    s.pipe(&["log", "P4", "--hours", "2", "--by", "Bruno Petit"])
        .expect(0);
    assert_eq!(
        log_lines(&s)[20],
        "2026-11-27T10:00:00.001+01:00,2026-11-27,P4,prospection,2,Bruno Petit,"
    );
    s.pipe(&["check"]).expect(0);
}

#[test]
fn log_reads_hours_the_ways_people_write_them() {
    let s = Sandbox::fixture("effort-basic");
    for (given, written) in [
        ("1.5", "1.5"),
        ("1,5", "1.5"),
        ("1h30", "1.5"),
        ("90min", "1.5"),
        ("90 min", "1.5"),
        ("0,25", "0.25"),
        ("20min", "0h20"),
        ("1h20", "1h20"),
        ("2h", "2"),
    ] {
        s.pipe(&["log", "P4", "--hours", given]).expect(0);
        let last = log_lines(&s).pop().unwrap();
        let cells: Vec<&str> = last.split(',').collect();
        assert_eq!(cells[4], written, "{given}");
    }
    // Three times 20 minutes is one hour exactly.
    let s = Sandbox::fixture("effort-basic");
    for _ in 0..3 {
        s.pipe(&["log", "P4", "--hours", "20min", "--kind", "appel"])
            .expect(0);
    }
    let v = json(&s, &["effort", "--format", "json"]);
    let appel = v["by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "appel")
        .unwrap();
    assert_eq!(text(&appel["hours"]), "1.83");
}

#[test]
fn a_failing_log_writes_nothing() {
    let s = Sandbox::fixture("effort-basic");
    let before = s.read("activities.csv");
    let cases: [(&[&str], i32, &str); 8] = [
        (
            &["log", "P9", "--hours", "1"],
            4,
            "no prospect has the id `P9`",
        ),
        (&["log", "p1", "--hours", "1"], 4, "did you mean `P1`"),
        (
            &["log", "P1", "--hours", "1h75"],
            2,
            "`1h75` is not a number of hours",
        ),
        (
            &["log", "P1", "--hours", "0"],
            2,
            "the hours must be more than zero",
        ),
        (
            &["log", "P1", "--hours", "25h"],
            2,
            "`25h` is more than the 24 hours of a day",
        ),
        (
            &["log", "P1", "--hours", "1", "--kind", "visite"],
            2,
            "unknown kind of activity `visite`",
        ),
        (
            &["log", "P1", "--hours", "1", "--on", "2026-12-01"],
            4,
            "the date 01/12/2026 is after today (27/11/2026)",
        ),
        (
            &["log", "P1", "--hours", "1", "--on", "31/02/2026"],
            2,
            "`31/02/2026` is not a date",
        ),
    ];
    for (args, code, message) in cases {
        let run = s.pipe(args).expect(code);
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
        assert_eq!(s.read("activities.csv"), before, "{args:?} wrote");
    }
    // A dry run shows and writes nothing.
    let run = s
        .pipe(&["log", "P1", "--hours", "1", "--dry-run"])
        .expect(0);
    assert!(run.stdout.starts_with("would log 1"), "{}", run.stdout);
    assert_eq!(s.read("activities.csv"), before);
}

#[test]
fn log_refuses_an_incomplete_log_or_an_open_spreadsheet() {
    let s = Sandbox::fixture("effort-basic");
    let mut broken = s.read("activities.csv");
    broken.extend_from_slice(b"2026-11-27T09:00:00.000+01:00,2026-11-27,P1,appel");
    s.write("activities.csv", &broken);
    let run = s.pipe(&["log", "P1", "--hours", "1"]).expect(5);
    assert!(
        run.stderr
            .contains("the last line of activities.csv is incomplete"),
        "{}",
        run.stderr
    );
    assert_eq!(s.read("activities.csv"), broken);
    let run = s.pipe(&["check"]).expect(1);
    assert!(
        run.stdout.contains("incomplete-entry") || run.stdout.contains("incomplete"),
        "{}",
        run.stdout
    );

    let s = Sandbox::fixture("effort-basic");
    let before = s.read("activities.csv");
    s.write(
        ".~lock.activities.csv#",
        "Sophie,sophie,PC-COMPTA,27.11.2026 08:55,",
    );
    let run = s.pipe(&["log", "P1", "--hours", "1"]).expect(5);
    assert!(
        run.stderr
            .contains("activities.csv is open in LibreOffice by Sophie"),
        "{}",
        run.stderr
    );
    assert_eq!(s.read("activities.csv"), before);
}

#[test]
fn log_starts_a_missing_log_with_its_header() {
    let s = Sandbox::fixture("effort-basic");
    std::fs::remove_file(s.path("activities.csv")).unwrap();
    s.pipe(&["log", "P1", "--hours", "45min", "--kind", "relance"])
        .expect(0);
    assert_eq!(
        s.read_string("activities.csv"),
        "at,date,id,kind,hours,by,note\n2026-11-27T10:00:00.000+01:00,2026-11-27,P1,relance,0.75,test,\n"
    );
}

#[test]
fn a_batch_is_logged_all_or_nothing() {
    let s = Sandbox::fixture("effort-basic");
    let before = s.read("activities.csv");
    // A French timesheet from Excel: `;`, a BOM, decimal commas, dd/mm/yyyy.
    s.write(
        "semaine.csv",
        "\u{feff}Date;Id;Kind;Hours;Note\r\n23/11/2026;P3;rendez-vous;2,5;visite\r\n24/11/2026;P9;appel;0,5;\r\n25/11/2026;P4;appel;1h75;\r\n26/11/2026;P4;appel;20min;\r\n",
    );
    let run = s.pipe(&["log", "--batch", "semaine.csv"]).expect(3);
    assert_eq!(
        run.stderr,
        "pipe: error: 2 of 4 activities refused; nothing was written\nsemaine.csv:3: no prospect has the id `P9` in prospects.csv\n  hint: did you mean `P1`, `P2` or `P3`?\nsemaine.csv:4: `1h75` is not a number of hours: the minutes after `h` must be a whole number below 60, such as `1h30`\n"
    );
    assert_eq!(s.read("activities.csv"), before);
    let run = s
        .pipe(&["log", "--batch", "semaine.csv", "--dry-run"])
        .expect(3);
    assert!(
        run.stdout.contains("refused: semaine.csv:3:"),
        "{}",
        run.stdout
    );
    assert_eq!(s.read("activities.csv"), before);

    s.write(
        "semaine.csv",
        "\u{feff}Date;Id;Kind;Hours;Note;By\r\n23/11/2026;P3;rendez-vous;2,5;visite;\r\n26/11/2026;P4;appel;20min;;Anne Martin\r\n",
    );
    let run = s
        .pipe(&["log", "--batch", "semaine.csv", "--by", "Bruno Petit"])
        .expect(0);
    assert_eq!(
        run.stderr.replace('\u{a0}', " "),
        "logged 2 activities, 2 h 50 in all; wrote activities.csv\n"
    );
    let lines = log_lines(&s);
    assert_eq!(
        &lines[19..],
        [
            "2026-11-27T10:00:00.000+01:00,2026-11-23,P3,rendez_vous,2.5,Bruno Petit,visite",
            "2026-11-27T10:00:00.000+01:00,2026-11-26,P4,appel,0h20,Anne Martin,",
        ]
    );
}

#[test]
fn a_batch_needs_id_and_hours_columns() {
    let s = Sandbox::fixture("effort-basic");
    s.write("b.csv", "id,heures\nP1,1\n");
    let run = s.pipe(&["log", "--batch", "b.csv"]).expect(3);
    assert!(
        run.stderr.contains(
            "b.csv:1: the batch file needs `id` and `hours` columns; its header is `id,heures`"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn the_shipped_example_measures_its_effort() {
    let s = Sandbox::example();
    let run = s.pipe(&["effort", "--target", "10"]).expect(0);
    assert!(
        run.stdout.contains("Plan: 10 signatures (Gagné)"),
        "{}",
        run.stdout
    );
    // Eight signatures in the last 12 months: fewer than min_cases (10), so
    // the hours per signature come from pipeline.toml.
    assert!(
        run.stdout.contains("Gagné, hours each: 8 cases"),
        "{}",
        run.stdout
    );
    s.pipe(&["report", "calibration"]).expect(0);
}

// ---------------------------------------------------------- pipe calibration

#[test]
fn calibration_compares_probabilities_with_outcomes() {
    let s = Sandbox::fixture("effort-basic");
    let v = json(&s, &["report", "calibration", "--format", "json"]);
    let rows: Vec<String> = v["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {}/{} open {} {} [{}, {}] {}",
                text(&r["stage"]),
                text(&r["configured"]),
                r["won"],
                r["cases"],
                r["open"],
                text(&r["observed"]),
                text(&r["interval"]["low"]),
                text(&r["interval"]["high"]),
                text(&r["verdict"])
            )
        })
        .collect();
    // Ended: P1, P5, P6 won, P2 lost; P3, P4, P7 still open. P6 skipped the
    // meeting stage; P7's undone move to it does not count. Wilson 95 %
    // bounds for 3 of 4: 30.06–95.44; for 2 of 3: 20.77–93.85.
    assert_eq!(
        rows,
        [
            "a_qualifier 10 3/4 open 3 75.0 [30.06, 95.44] too_low",
            "rendez_vous 50 2/3 open 1 66.67 [20.77, 93.85] consistent",
            "devis 98 3/4 open 0 75.0 [30.06, 95.44] too_high",
        ]
    );
    let run = s.pipe(&["report", "calibration"]).expect(0);
    let out = run.stdout.replace('\u{a0}', " ");
    for want in [
        "│ À qualifier  ┆       10 % ┆     75 % ┆       3 / 4 ┆   30 % – 95 % ┆          3 ┆ ! too low  │",
        "Far from the history: À qualifier is configured at 10 % but 3 of 4 ended won (75 %); Devis envoyé is configured at 98 % but 3 of 4 ended won (75 %).",
        "`pipe` changes no probability on its own",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    // It changes nothing.
    assert_eq!(
        s.read_string("pipeline.toml"),
        std::fs::read_to_string(common::root().join("tests/fixtures/effort-basic/pipeline.toml"))
            .unwrap()
    );
}

#[test]
fn calibration_does_not_judge_a_thin_history() {
    let s = Sandbox::fixture("effort-basic");
    // Bruno's prospects: only P5 has ended.
    let v = json(
        &s,
        &[
            "report",
            "calibration",
            "--owner",
            "Bruno Petit",
            "--format",
            "json",
        ],
    );
    let verdicts: Vec<String> = v["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {}/{} {}",
                text(&r["stage"]),
                r["won"],
                r["cases"],
                text(&r["verdict"])
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            "a_qualifier 1/1 thin",
            "rendez_vous 1/1 thin",
            "devis 1/1 thin"
        ]
    );
    // As of 15/02/2026, only P5 has ended; P1 and P2 were still open.
    let v = json(
        &s,
        &[
            "report",
            "calibration",
            "--to",
            "15/02/2026",
            "--format",
            "json",
        ],
    );
    assert_eq!(v["stages"][0]["cases"], 1);
    assert_eq!(v["stages"][0]["open"], 2);
}

#[test]
fn calibration_writes_csv_and_html() {
    let s = Sandbox::fixture("effort-basic");
    let csv = s
        .pipe(&["report", "calibration", "--format", "csv"])
        .expect(0)
        .stdout;
    assert_eq!(
        csv.lines().nth(3).unwrap(),
        "devis,Devis envoyé,98,4,3,0,75.00,30.06,95.44,too_high"
    );
    s.pipe(&["report", "calibration", "-o", "calibration.html"])
        .expect(0);
    let html = s.read_string("calibration.html");
    assert!(
        html.contains("data-value=\"Devis envoyé\">Devis envoyé</td>") && !html.contains("<script"),
        "{html}"
    );
}
