//! `pipe alerts`, `pipe triage` and `pipe manual`, run as cron and people run them.
//!
//! `alerts-rules` has one or two prospects per rule; each rule is seen on both
//! sides of its threshold by changing `--today`. `alerts-invalid` has rows
//! `pipe check` rejects. The shipped example holds the deals the method
//! should flag.

mod common;

use common::{Sandbox, root};
use serde_json::Value;

/// `(id, rule)` of every alert on a day, with extra arguments.
fn alerts_on(s: &Sandbox, today: &str, args: &[&str]) -> Vec<(String, String)> {
    let mut all = vec!["--today", today, "alerts", "--format", "json", "--verbose"];
    all.extend_from_slice(args);
    let run = s.pipe_raw(&all).expect(0);
    let v: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    v.as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_string(),
                a["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The ids one rule flags on a day.
fn flagged(s: &Sandbox, today: &str, rule: &str) -> Vec<String> {
    alerts_on(s, today, &["--rule", rule])
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

/// The JSON array a command prints (`--today 2026-11-27` unless the arguments give one).
fn json(s: &Sandbox, args: &[&str]) -> Vec<Value> {
    let run = if args.contains(&"--today") {
        s.pipe_raw(args)
    } else {
        s.pipe(args)
    }
    .expect(0);
    serde_json::from_str::<Value>(&run.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

// ------------------------------------------------------------------- rules

#[test]
fn stale_after_its_limit_in_calendar_days() {
    let s = Sandbox::fixture("alerts-rules");
    // S1 entered `new` (10 days) on 17 November.
    assert!(!flagged(&s, "2026-11-27", "stale").contains(&"S1".into()));
    assert!(flagged(&s, "2026-11-28", "stale").contains(&"S1".into()));
}

#[test]
fn stale_in_working_days_waits_through_the_weekend() {
    let s = Sandbox::fixture("alerts-rules");
    // S2 entered `working` (5 working days) on Friday 20 November.
    for day in ["2026-11-27", "2026-11-28", "2026-11-29"] {
        assert!(!flagged(&s, day, "stale").contains(&"S2".into()), "{day}");
    }
    let v = json(
        &s,
        &[
            "--today",
            "2026-11-30",
            "alerts",
            "--rule",
            "stale",
            "--format",
            "json",
        ],
    );
    let a = v
        .iter()
        .find(|a| a["id"] == "S2")
        .expect("S2 is stale on Monday");
    assert_eq!(a["severity"], "critical");
    assert_eq!(a["value"], 6);
    assert_eq!(a["threshold"], "5 days (working days)");
    assert_eq!(a["stage"], "working");
    assert_eq!(a["owner"], "bob");
    assert_eq!(
        a["message"],
        "in working for 6 working days (since 2026-11-20); limit: 5 working days"
    );
}

#[test]
fn a_snoozed_deal_wakes_on_its_date() {
    let s = Sandbox::fixture("alerts-rules");
    // Z1 has been in `new` since October, set aside until 30 November.
    assert!(
        alerts_on(&s, "2026-11-29", &[])
            .iter()
            .all(|(id, _)| id != "Z1")
    );
    let z1: Vec<String> = alerts_on(&s, "2026-11-30", &[])
        .into_iter()
        .filter(|(id, _)| id == "Z1")
        .map(|(_, r)| r)
        .collect();
    assert_eq!(z1, ["stale", "snoozed_until_passed"]);
}

#[test]
fn decision_overdue_in_working_days_skips_weekends_and_holidays() {
    let s = Sandbox::fixture("alerts-rules");
    // D1 expected Friday 27 November: not late on the weekend, late on Monday.
    for day in ["2026-11-27", "2026-11-28", "2026-11-29"] {
        assert!(
            !flagged(&s, day, "decision_overdue").contains(&"D1".into()),
            "{day}"
        );
    }
    assert!(flagged(&s, "2026-11-30", "decision_overdue").contains(&"D1".into()));
    // D2 expected Thursday 24 December; Friday 25 is a holiday.
    for day in ["2026-12-24", "2026-12-25", "2026-12-27"] {
        assert!(
            !flagged(&s, day, "decision_overdue").contains(&"D2".into()),
            "{day}"
        );
    }
    assert!(flagged(&s, "2026-12-28", "decision_overdue").contains(&"D2".into()));
}

#[test]
fn horizon_mismatch_at_the_edge_of_the_window() {
    let s = Sandbox::fixture("alerts-rules");
    // H1 (hot, within 3 months) is expected on 27 February 2027.
    assert!(flagged(&s, "2026-11-26", "horizon_mismatch").contains(&"H1".into()));
    assert!(!flagged(&s, "2026-11-27", "horizon_mismatch").contains(&"H1".into()));
    let v = json(
        &s,
        &["alerts", "--rule", "horizon_mismatch", "--format", "json"],
    );
    let h2 = v.iter().find(|a| a["id"] == "H2").unwrap();
    assert_eq!(h2["suggested_stage"], "hot");
    assert_eq!(h2["value"], "2026-12-18");
    assert_eq!(h2["threshold"], ">= 2027-11-27");
    // Once the date is a year off, a cold deal fits.
    s.pipe(&["set", "H2", "expected_close=2027-11-27"])
        .expect(0);
    assert!(!flagged(&s, "2026-11-27", "horizon_mismatch").contains(&"H2".into()));
}

#[test]
fn missing_field_until_it_is_filled() {
    let s = Sandbox::fixture("alerts-rules");
    let before = alerts_on(&s, "2026-11-27", &["--rule", "missing_field"]);
    assert_eq!(before, [("M1".to_string(), "missing_field".to_string())]);
    s.pipe(&["set", "M1", "amount=2500"]).expect(0);
    assert!(alerts_on(&s, "2026-11-27", &["--rule", "missing_field"]).is_empty());
}

#[test]
fn next_action_overdue_past_its_grace() {
    let s = Sandbox::fixture("alerts-rules");
    // N1's next action was due on 20 November, with two days of grace.
    assert!(!flagged(&s, "2026-11-22", "next_action_overdue").contains(&"N1".into()));
    assert!(flagged(&s, "2026-11-23", "next_action_overdue").contains(&"N1".into()));
}

#[test]
fn no_next_action_until_one_is_planned() {
    let s = Sandbox::fixture("alerts-rules");
    assert_eq!(flagged(&s, "2026-11-27", "no_next_action"), ["N2"]);
    s.pipe(&["set", "N2", "next_action=2026-12-02"]).expect(0);
    assert!(flagged(&s, "2026-11-27", "no_next_action").is_empty());
}

#[test]
fn decision_slipped_counts_the_pushes_recorded_by_today() {
    let s = Sandbox::fixture("alerts-rules");
    // L1's decision was pushed back on 1 October and 1 December; two is the limit.
    assert!(flagged(&s, "2026-11-30", "decision_slipped").is_empty());
    assert_eq!(flagged(&s, "2026-12-01", "decision_slipped"), ["L1"]);
    let v = json(
        &s,
        &[
            "--today",
            "2026-12-01",
            "alerts",
            "--rule",
            "decision_slipped",
            "--format",
            "json",
        ],
    );
    assert_eq!(v[0]["value"], 2);
    assert_eq!(v[0]["threshold"], 2);
    assert_eq!(
        v[0]["message"],
        "decision pushed back twice (last on 2026-12-01: from 2027-03-01 to 2027-06-01)"
    );
}

#[test]
fn invalid_rows_are_exactly_what_check_rejects() {
    let s = Sandbox::fixture("alerts-invalid");
    let check = s.pipe(&["check", "--format", "json"]).expect(1);
    let check: Value = serde_json::from_str(&check.stdout).unwrap();
    let mut rejected: Vec<(String, String)> = check["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            (
                format!(
                    "{}:{}:{}",
                    d["file"].as_str().unwrap(),
                    d["line"],
                    d["column"]
                ),
                d["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let v = json(&s, &["alerts", "--rule", "invalid_row", "--format", "json"]);
    let mut alerted: Vec<(String, String)> = v
        .iter()
        .map(|a| {
            let m = a["message"].as_str().unwrap();
            let at = m.split(": ").next().unwrap().to_string();
            (at, a["value"].as_str().unwrap().to_string())
        })
        .collect();
    rejected.sort();
    alerted.sort();
    assert_eq!(alerted, rejected);
    assert_eq!(rejected.len(), 5);
    assert!(v.iter().all(|a| a["severity"] == "critical"));
    let a2 = v.iter().find(|a| a["id"] == "A2").unwrap();
    assert_eq!(a2["stage"], "newish");
    assert_eq!(a2["owner"], "ann");
    // The row check only warns about is a missing_field alert, not an invalid row.
    let all = alerts_on(&s, "2026-11-27", &[]);
    assert!(all.contains(&("A6".into(), "missing_field".into())));
    assert!(!all.contains(&("A6".into(), "invalid_row".into())));
}

// ------------------------------------------------------- the shipped example

#[test]
fn the_shipped_example_flags_its_off_standard_deals() {
    let s = Sandbox::example();
    let got = alerts_on(&s, "2026-11-27", &[]);
    for (id, rule) in [
        ("P-0031", "stale"),
        ("P-0038", "horizon_mismatch"),
        ("P-0045", "horizon_mismatch"),
        ("P-0053", "stale"),
        ("P-0080", "stale"),
        ("P-0084", "stale"),
        ("P-0094", "decision_overdue"),
    ] {
        assert!(
            got.contains(&(id.to_string(), rule.to_string())),
            "{id} {rule} missing from {got:?}"
        );
    }
    assert!(!got.iter().any(|(_, r)| r == "invalid_row"), "{got:?}");
}

#[test]
fn the_table_names_everything_in_french() {
    let s = Sandbox::example();
    let run = s.pipe(&["alerts", "--rule", "decision_overdue"]).expect(0);
    assert_eq!(run.stderr, "");
    assert!(
        run.stdout.starts_with("Alertes au 27/11/2026\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("P-0094"), "{}", run.stdout);
    assert!(run.stdout.contains("critique"), "{}", run.stdout);
    assert!(run.stdout.contains("Élodie Garnier"), "{}", run.stdout);
    assert!(run.stdout.contains("Devis envoyé"), "{}", run.stdout);
    assert!(run.stdout.contains("20/11/2026"), "{}", run.stdout);
    assert!(
        run.stdout.ends_with("1 alerte, critique.\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn nothing_to_report_prints_nothing_unless_verbose() {
    let s = Sandbox::example();
    let run = s.pipe(&["alerts", "--rule", "no_next_action"]).expect(0);
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
    let run = s
        .pipe(&["alerts", "--rule", "no_next_action", "--verbose"])
        .expect(0);
    assert_eq!(run.stdout, "Alertes au 27/11/2026\nAucune alerte.\n");
    let run = s
        .pipe(&[
            "alerts",
            "--rule",
            "no_next_action",
            "--format",
            "csv",
            "--verbose",
        ])
        .expect(0);
    assert_eq!(
        run.stdout,
        "id,name,owner,stage,rule,severity,value,threshold,message,suggested_stage\n"
    );
    // A file is written all the same, so that it never shows yesterday's alerts.
    let run = s
        .pipe(&["alerts", "--rule", "no_next_action", "-o", "out.json"])
        .expect(0);
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
    assert_eq!(s.read_string("out.json"), "[]\n");
}

#[test]
fn filters_by_owner_rule_and_severity() {
    let s = Sandbox::example();
    let v = json(
        &s,
        &["alerts", "--owner", "karim benali", "--format", "json"],
    );
    assert!(!v.is_empty());
    assert!(v.iter().all(|a| a["owner"] == "Karim Benali"));
    let v = json(
        &s,
        &["alerts", "--severity", "critical", "--format", "json"],
    );
    assert!(v.iter().all(|a| a["severity"] == "critical"));
    assert_eq!(v.len(), 1);
    let v = json(
        &s,
        &[
            "alerts",
            "--rule",
            "stale",
            "--rule",
            "decision_slipped",
            "--format",
            "json",
        ],
    );
    assert!(
        v.iter()
            .all(|a| a["rule"] == "stale" || a["rule"] == "decision_slipped")
    );
    assert_eq!(v.len(), 6);
}

#[test]
fn json_objects_carry_the_documented_keys() {
    let s = Sandbox::example();
    let v = json(&s, &["alerts", "--format", "json"]);
    for a in &v {
        for key in [
            "id",
            "rule",
            "severity",
            "stage",
            "owner",
            "value",
            "threshold",
            "message",
        ] {
            assert!(a.get(key).is_some(), "{key} missing in {a}");
        }
    }
    let p94 = v.iter().find(|a| a["id"] == "P-0094").unwrap();
    assert_eq!(p94["rule"], "decision_overdue");
    assert_eq!(p94["stage"], "devis_envoye");
    assert_eq!(p94["value"], 5);
    assert_eq!(
        p94["message"],
        "décision prévue le 20/11/2026, dépassée de 5 jours ouvrés"
    );
}

// ------------------------------------------------------------- exit codes

#[test]
fn fail_on_exits_7_when_that_severity_or_worse_is_open() {
    let s = Sandbox::example();
    s.pipe(&["alerts", "--fail-on", "critical"]).expect(7);
    s.pipe(&["alerts", "--fail-on", "warning"]).expect(7);
    // Only warnings among the stale alerts.
    s.pipe(&["alerts", "--rule", "stale", "--fail-on", "critical"])
        .expect(0);
    s.pipe(&["alerts", "--rule", "stale", "--fail-on", "warning"])
        .expect(7);
    // Nothing open at all.
    let run = s
        .pipe(&["alerts", "--rule", "no_next_action", "--fail-on", "warning"])
        .expect(0);
    assert_eq!(run.stdout, "");
}

#[test]
fn fail_on_looks_at_open_alerts_even_when_already_reported() {
    let s = Sandbox::example();
    let args = [
        "alerts",
        "--new-only",
        "--state",
        "state.json",
        "--fail-on",
        "critical",
    ];
    s.pipe(&args).expect(7);
    let again = s.pipe(&args).expect(7);
    assert_eq!(again.stdout, "");
}

#[test]
fn errors_have_their_exit_codes() {
    let s = Sandbox::example();
    let run = s.pipe(&["alerts", "--rule", "stal"]).expect(2);
    assert!(
        run.stderr.contains("did you mean `stale`?"),
        "{}",
        run.stderr
    );
    let run = s.pipe(&["alerts", "--new-only"]).expect(2);
    assert!(run.stderr.contains("--state"), "{}", run.stderr);
    s.pipe(&["alerts", "--split-by", "owner"]).expect(2);
    s.pipe(&["alerts", "--format", "html"]).expect(2);
    s.write("state.json", "not json");
    let run = s
        .pipe(&["alerts", "--new-only", "--state", "state.json"])
        .expect(3);
    assert!(
        run.stderr
            .contains("state.json: this is not a `pipe alerts` state file"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
    std::fs::remove_file(s.path("examples/prospects.csv")).unwrap();
    let run = s.pipe(&["alerts"]).expect(3);
    assert!(
        run.stderr.contains("the register does not exist"),
        "{}",
        run.stderr
    );
}

// ------------------------------------------------------------- --new-only

#[test]
fn new_only_reports_each_alert_once_then_again_after_realert_after() {
    let s = Sandbox::example();
    let new = |today: &str| alerts_on(&s, today, &["--new-only", "--state", "state.json"]);
    let day1 = new("2026-11-27");
    assert_eq!(day1.len(), 9);
    // Twice in a row: nothing the second time, not even with --verbose's empty list.
    assert!(new("2026-11-27").is_empty());
    let quiet = s
        .pipe(&["alerts", "--new-only", "--state", "state.json"])
        .expect(0);
    assert_eq!((quiet.stdout.as_str(), quiet.stderr.as_str()), ("", ""));
    // The next day: only what started that day.
    let day2 = new("2026-11-28");
    assert!(day2.iter().all(|a| !day1.contains(a)), "{day2:?}");
    // A week after the first report, the alerts still open come back.
    let day8 = new("2026-12-04");
    for a in &day1 {
        assert!(day8.contains(a), "{a:?} not reported again in {day8:?}");
    }
    assert!(new("2026-12-04").is_empty());
}

#[test]
fn new_only_forgets_cleared_alerts_and_reports_them_if_they_return() {
    let s = Sandbox::example();
    let new = |today: &str| alerts_on(&s, today, &["--new-only", "--state", "state.json"]);
    let key = "decision_overdue|P-0094|devis_envoye|2026-11-20";
    assert!(new("2026-11-27").contains(&("P-0094".into(), "decision_overdue".into())));
    assert!(s.read_string("state.json").contains(key));
    s.pipe(&["set", "P-0094", "expected_close=2026-12-15"])
        .expect(0);
    assert!(new("2026-11-27").is_empty());
    assert!(
        !s.read_string("state.json").contains(key),
        "cleared alerts are forgotten"
    );
    s.pipe(&["set", "P-0094", "expected_close=2026-11-20"])
        .expect(0);
    assert_eq!(
        new("2026-11-27"),
        [("P-0094".to_string(), "decision_overdue".to_string())]
    );
}

#[test]
fn new_only_keeps_what_other_filters_reported() {
    let s = Sandbox::example();
    let run = |args: &[&str]| {
        let mut all = vec!["--new-only", "--state", "state.json"];
        all.extend_from_slice(args);
        alerts_on(&s, "2026-11-27", &all)
    };
    assert_eq!(run(&["--owner", "Karim Benali"]).len(), 2);
    // Another salesperson's run does not forget Karim's alerts.
    assert!(!run(&["--owner", "Sophie Lefèvre"]).is_empty());
    assert!(run(&["--owner", "Karim Benali"]).is_empty());
    let state: Value = serde_json::from_str(&s.read_string("state.json")).unwrap();
    assert_eq!(state["format"], "pipe-alerts-state/1");
    let seen = state["alerts"].as_array().unwrap();
    assert_eq!(seen.len(), 4);
    assert!(seen.iter().all(|a| a["first_reported"] == "2026-11-27"));
}

// --------------------------------------------------------- files and CSV

#[test]
fn split_by_owner_writes_one_file_per_salesperson_and_one_with_all() {
    let s = Sandbox::example();
    let run = s
        .pipe(&[
            "alerts",
            "--split-by",
            "owner",
            "--out-dir",
            "out",
            "--format",
            "csv",
        ])
        .expect(0);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "wrote 6 files in out\n");
    let mut names: Vec<String> = std::fs::read_dir(s.path("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "_all.csv",
            "_unassigned.csv",
            "elodie-garnier.csv",
            "julien-marchetti.csv",
            "karim-benali.csv",
            "sophie-lefevre.csv"
        ]
    );
    let all = s.read_string("out/_all.csv");
    assert_eq!(all.lines().count(), 10);
    let karim = s.read_string("out/karim-benali.csv");
    assert_eq!(karim.lines().count(), 3);
    assert!(
        karim.lines().skip(1).all(|l| l.contains(",Karim Benali,")),
        "{karim}"
    );
    assert!(s.read_string("out/_unassigned.csv").contains("P-0031"));
    // Nothing new: no file, no word.
    let s2 = Sandbox::example();
    let run = s2
        .pipe(&[
            "alerts",
            "--rule",
            "no_next_action",
            "--split-by",
            "owner",
            "--out-dir",
            "out",
        ])
        .expect(0);
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
    assert!(!s2.path("out").exists());
}

#[test]
fn split_files_in_markdown_are_titled_with_the_owner() {
    let s = Sandbox::example();
    s.pipe(&[
        "alerts",
        "--split-by",
        "owner",
        "--out-dir",
        "out",
        "--format",
        "md",
    ])
    .expect(0);
    let md = s.read_string("out/karim-benali.md");
    assert!(
        md.starts_with("### Alertes au 27/11/2026 — Karim Benali\n"),
        "{md}"
    );
    assert!(md.ends_with("\n2 alertes, aucune critique.\n"), "{md}");
}

#[test]
fn csv_cells_cannot_run_as_formulas() {
    let s = Sandbox::fixture("alerts-rules");
    let run = s
        .pipe(&["alerts", "--rule", "stale", "--format", "csv"])
        .expect(0);
    let x1 = run.stdout.lines().find(|l| l.starts_with("X1,")).unwrap();
    assert_eq!(
        x1,
        "X1,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",'+33 6 12 34 56 78,new,stale,warning,26,10 days,in new for 26 days (since 2026-11-01); limit: 10 days,"
    );
    let excel = s
        .pipe(&["alerts", "--rule", "stale", "--format", "csv", "--excel"])
        .expect(0);
    assert!(
        excel
            .stdout
            .starts_with("\u{feff}id;name;owner;stage;rule;"),
        "{}",
        excel.stdout
    );
    assert!(
        excel.stdout.contains("\nX1;\"'=HYPERLINK("),
        "{}",
        excel.stdout
    );
}

// ----------------------------------------------------------------- triage

#[test]
fn triage_lists_then_applies_the_stage_that_fits() {
    let s = Sandbox::example();
    let v = json(&s, &["triage", "--format", "json"]);
    let got: Vec<(&str, &str)> = v
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap(),
                t["suggested_stage"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, [("P-0038", "a_suivre"), ("P-0045", "chaud")]);
    let before = s.read("examples/prospects.csv");
    let dry = s.pipe(&["triage", "--dry-run"]).expect(0);
    assert!(dry.stdout.contains("P-0038"), "{}", dry.stdout);
    assert_eq!(
        s.read("examples/prospects.csv"),
        before,
        "triage writes nothing by default"
    );
    let run = s.pipe(&["triage", "--apply", "--by", "Claire"]).expect(0);
    assert!(
        run.stderr
            .contains("moved P-0038 (Transports Giraud) from Chaud to À suivre"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("moved P-0045 (Forges du Gier) from Froid to Chaud"),
        "{}",
        run.stderr
    );
    let journal = s.read_string("examples/journal.csv");
    assert!(
        journal.contains(",P-0038,move,stage,chaud,a_suivre,Claire,pipe triage,"),
        "{journal}"
    );
    s.pipe(&["check"]).expect(0);
    assert!(flagged(&s, "2026-11-27", "horizon_mismatch").is_empty());
    let again = s.pipe(&["triage"]).expect(0);
    assert_eq!(again.stdout, "");
    // One `pipe undo` takes both moves back.
    s.pipe(&["undo"]).expect(0);
    assert_eq!(
        flagged(&s, "2026-11-27", "horizon_mismatch"),
        ["P-0038", "P-0045"]
    );
}

#[test]
fn triage_leaves_the_moves_pipe_move_would_refuse() {
    let s = Sandbox::fixture("alerts-rules");
    let v = json(&s, &["triage", "--format", "json"]);
    let h3 = v.iter().find(|t| t["id"] == "H3").unwrap();
    assert_eq!(h3["suggested_stage"], "hot");
    assert_eq!(h3["movable"], false);
    assert!(
        h3["message"]
            .as_str()
            .unwrap()
            .ends_with("(fill in first: “amount”)")
    );
    let run = s.pipe(&["triage", "--apply"]).expect(0);
    assert!(run.stderr.contains("not moved: H3"), "{}", run.stderr);
    assert!(
        run.stderr.contains("moved H2 (Cold Soon) from cold to hot"),
        "{}",
        run.stderr
    );
    let v = json(&s, &["triage", "--format", "json"]);
    let left: Vec<&str> = v.iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(left, ["H3"]);
}

// ----------------------------------------------------------------- manual

#[test]
fn the_committed_manual_is_what_pipe_manual_prints() {
    let s = Sandbox::example();
    let run = s.pipe(&["manual"]).expect(0);
    let committed = std::fs::read_to_string(root().join("docs/manuel.md")).unwrap();
    assert!(
        run.stdout == committed,
        "docs/manuel.md is out of date: run `cargo run -- manual > docs/manuel.md`"
    );
}

#[test]
fn the_manual_holds_every_stage_criteria_and_rule() {
    let s = Sandbox::example();
    let toml: toml::Value = toml::from_str(&s.read_string("pipeline.toml")).unwrap();
    let md = s.pipe(&["manual", "--format", "md"]).expect(0).stdout;
    let html = s.pipe(&["manual", "--format", "html"]).expect(0).stdout;
    for stage in toml["stage"].as_array().unwrap() {
        let label = stage["label"].as_str().unwrap();
        let criteria = stage["criteria"].as_str().unwrap();
        assert!(
            md.contains(criteria),
            "criteria of {label} missing from the Markdown"
        );
        assert!(
            html.contains(criteria),
            "criteria of {label} missing from the HTML"
        );
        assert!(
            md.contains(&format!(". {label}\n")),
            "{label} has no section"
        );
    }
    for phrase in [
        "décision attendue sous 3 mois",
        "décision attendue sous 6 mois",
        "décision attendue au-delà d'un an",
        "Projet abandonné",
        "Mise en conformité sécurité",
        "`decision_slipped`",
        "3 fois ou plus",
    ] {
        assert!(md.contains(phrase), "{phrase} missing");
    }
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"fr\">"));
    assert!(html.contains("<style>"));
    assert!(!html.contains("<script"));
    assert!(!html.contains("http"), "the page fetches nothing");
}

#[test]
fn the_manual_follows_the_pipeline_locale() {
    let s = Sandbox::fixture("alerts-rules");
    let md = s.pipe(&["manual"]).expect(0).stdout;
    assert!(md.starts_with("# Sales manual — Alert rules\n"), "{md}");
    assert!(
        md.contains("decision expected within 3 months (horizon “soon”)"),
        "{md}"
    );
    assert!(
        md.contains("- **Alert set for this stage**: `stale`: critical, working days, reported again after 7 days\n"),
        "{md}"
    );
    assert!(
        md.contains("- **working**: `stale`: critical, working days"),
        "{md}"
    );
    let run = s.pipe(&["manual", "-o", "manual.html"]).expect(0);
    assert_eq!(run.stderr, "wrote manual.html\n");
    assert!(
        s.read_string("manual.html")
            .starts_with("<!DOCTYPE html>\n<html lang=\"en\">")
    );
}

// ------------------------------------------------------------------- cron

#[cfg(unix)]
#[test]
fn the_cron_script_sends_each_list_once() {
    let s = Sandbox::example();
    let script = root().join("examples/cron/alertes-du-jour.sh");
    let run = || {
        let out = std::process::Command::new("sh")
            .arg(&script)
            .current_dir(s.path(""))
            .env("PIPE", env!("CARGO_BIN_EXE_pipe"))
            .env("PIPE_TODAY", "2026-11-27")
            .env("NO_COLOR", "1")
            .env_remove("PIPE_CONFIG")
            .output()
            .expect("sh runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // No address book: every list is printed, for cron to mail to MAILTO.
    let (code, stdout, stderr) = run();
    assert_eq!((code, stderr.as_str()), (Some(0), ""), "{stdout}");
    let subjects: Vec<&str> = stdout.lines().filter(|l| l.starts_with("==== ")).collect();
    assert_eq!(subjects.len(), 6, "{stdout}");
    assert!(
        subjects[0].starts_with("==== [critique] Alertes pipeline du "),
        "{stdout}"
    );
    assert!(
        subjects[0].ends_with(" : toutes (pas de destinataire)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("### Alertes au 27/11/2026 — Karim Benali"),
        "{stdout}"
    );
    // The next morning with nothing new: silence.
    assert_eq!(run(), (Some(0), String::new(), String::new()));
    // A broken pipeline stops the script with pipe's code and its message.
    s.write("pipeline.toml", "[pipeline]\n");
    let (code, stdout, stderr) = run();
    assert_eq!((code, stdout.as_str()), (Some(3), ""));
    assert!(stderr.contains("pipe alerts a échoué (code 3)"), "{stderr}");
}

/// `stale` takes the date a prospect entered its stage from the journal when
/// the register has none. A run keeps, per prospect, only its last entry
/// into a stage up to today and which stages it entered; a prospect whose
/// stage was entered, left, and entered again after today (an entry dated
/// ahead) makes the run read the journal's full history again. Either way
/// the alerts are those of the full history (`PIPE_HISTORY=full`).
#[test]
fn stale_finds_when_a_prospect_entered_its_stage_in_the_journal() {
    let s = Sandbox::fixture("alerts-rules");
    let mut register = s.read_string("prospects.csv");
    // T1 left `new` for `working`, and goes back in January; T2 entered
    // `new` on 20 November; T3 never entered `working` by today.
    register.push_str("T1,new,,Tia,Back In January,ann,,,2026-12-31,\n");
    register.push_str("T2,new,,Tom,Journal Only,ann,,,2026-12-31,\n");
    register.push_str("T3,working,,Tim,No Entry,bob,,,2026-12-31,\n");
    s.write("prospects.csv", register);
    let mut journal = s.read_string("journal.csv");
    for line in [
        "2026-10-01T09:00:00+02:00,2026-10-01,T1,add,stage,,new,ann,,",
        "2026-10-10T09:00:00+02:00,2026-10-10,T1,move,stage,new,working,ann,,",
        "2026-11-20T09:00:00+01:00,2027-01-05,T1,move,stage,working,new,ann,,",
        "2026-11-20T09:00:00+01:00,2026-11-20,T2,add,stage,,new,ann,,",
        "2026-11-20T09:00:00+01:00,2026-11-20,T3,add,stage,,new,bob,,",
        "2026-11-21T09:00:00+01:00,2027-02-01,T3,move,stage,new,working,bob,,",
    ] {
        journal.push_str(line);
        journal.push('\n');
    }
    s.write("journal.csv", journal);
    let stale = |today: &str, env: &[(&str, &str)]| {
        let args = ["--today", today, "alerts", "--rule", "stale"];
        let run = s
            .command()
            .envs(env.iter().copied())
            .args(args)
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(0), "{run:?}");
        String::from_utf8(run.stdout).unwrap()
    };
    for today in ["2026-11-27", "2026-12-01"] {
        let brief = stale(today, &[]);
        let full = stale(today, &[("PIPE_HISTORY", "full")]);
        assert_eq!(brief, full, "{today}");
    }
    let days = |today: &str| -> Vec<(String, String)> {
        json(
            &s,
            &[
                "--today", today, "alerts", "--rule", "stale", "--format", "json",
            ],
        )
        .iter()
        .filter(|a| a["id"].as_str().unwrap().starts_with('T'))
        .map(|a| (a["id"].as_str().unwrap().into(), a["value"].to_string()))
        .collect()
    };
    // T1 entered `new` on 1 October: 57 days by 27 November.
    assert_eq!(days("2026-11-27"), [("T1".into(), "57".into())]);
    assert_eq!(
        days("2026-12-01"),
        [("T1".into(), "61".into()), ("T2".into(), "11".into())]
    );
}
