use super::*;
use crate::journal::{Entry, Kind};
use crate::pipeline::Pipeline;
use std::path::Path;

const PIPELINE: &str = r#"
[pipeline]
locale = "en"
[register]
path = "r.csv"
[alerts]
holidays = ["2026-11-11"]
[alerts.next_action_overdue]
business_days = true
grace = "1 day"
[[stage]]
id = "new"
phase = "prospect"
stale_after = "10 days"
next_action_required = true
requires = ["owner", "next_action"]
[[stage]]
id = "later"
phase = "prospect"
decision_within = "1 year"
stale_after = "5 days"
alerts.stale.business_days = true
alerts.stale.severity = "critical"
[[stage]]
id = "hot"
phase = "prospect"
decision_within = "3 months"
requires = ["amount"]
[[stage]]
id = "cold"
phase = "prospect"
decision_after = "1 year"
next = ["hot", "lost"]
[[stage]]
id = "won"
phase = "prospect"
outcome = "won"
[[stage]]
id = "lost"
phase = "prospect"
outcome = "lost"
"#;

fn pipeline() -> Pipeline {
    Pipeline::from_str(PIPELINE, Path::new("p.toml")).unwrap_or_else(|d| panic!("{d:?}"))
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn prospect(p: &Pipeline, stage: &str) -> Prospect {
    Prospect {
        id: "P-1".into(),
        stage: p.find_stage(stage).unwrap(),
        stage_since: Some(d("2026-11-20")),
        name: "Ann".into(),
        company: "Acme".into(),
        owner: "Zoé".into(),
        amount: Some(1000.into()),
        probability: None,
        expected_close: None,
        next_action: Some(d("2026-12-20")),
        products: Vec::new(),
        lost_reason: String::new(),
        created: None,
        snooze_until: None,
    }
}

/// The facts the rules read of these entries.
fn facts(p: &Pipeline, history: &[&Entry]) -> Vec<Fact> {
    history
        .iter()
        .filter_map(|e| Fact::from_entry(p, e))
        .collect()
}

fn rules(p: &Pipeline, x: &Prospect, history: &[&Entry], today: &str) -> Vec<&'static str> {
    evaluate(p, x, &facts(p, history), d(today), 2)
        .iter()
        .map(|a| a.rule().key())
        .collect()
}

fn set(id: &str, on: &str, from: &str, to: &str, kind: Kind) -> Entry {
    Entry {
        at: chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00+01:00").unwrap(),
        date: d(on),
        id: id.into(),
        kind,
        field: "expected_close".into(),
        from: from.into(),
        to: to.into(),
        by: String::new(),
        reason: String::new(),
        note: String::new(),
        line: 0,
    }
}

#[test]
fn stale_on_both_sides_of_the_limit() {
    let p = pipeline();
    let x = prospect(&p, "new");
    assert!(rules(&p, &x, &[], "2026-11-30").is_empty());
    assert_eq!(rules(&p, &x, &[], "2026-12-01"), ["stale"]);
    let today = d("2026-12-01");
    let a = &evaluate(&p, &x, &[], today, 2)[0];
    assert_eq!(a.value().plain, "11");
    assert_eq!(a.threshold(&p, today).plain, "10 days");
    assert_eq!(a.severity, Severity::Warning);
    let message = a.message(&p, today);
    assert!(message.contains("in new for 11 days"), "{message}");
}

#[test]
fn stale_in_working_days_skips_the_weekend() {
    let p = pipeline();
    let x = prospect(&p, "later"); // since Friday 20 November, 5 working days
    assert!(rules(&p, &x, &[], "2026-11-27").is_empty());
    assert!(rules(&p, &x, &[], "2026-11-28").is_empty());
    assert!(rules(&p, &x, &[], "2026-11-29").is_empty());
    let a = evaluate(&p, &x, &[], d("2026-11-30"), 2);
    assert_eq!(a[0].rule(), Rule::Stale);
    assert_eq!(a[0].severity, Severity::Critical);
    assert_eq!(a[0].value().plain, "6");
    assert_eq!(
        a[0].threshold(&p, d("2026-11-30")).plain,
        "5 days (working days)"
    );
}

#[test]
fn a_snoozed_deal_is_not_stale_until_it_wakes() {
    let p = pipeline();
    let mut x = prospect(&p, "new");
    x.snooze_until = Some(d("2026-12-05"));
    assert!(rules(&p, &x, &[], "2026-12-04").is_empty());
    assert_eq!(
        rules(&p, &x, &[], "2026-12-05"),
        ["stale", "snoozed_until_passed"]
    );
}

#[test]
fn stage_date_falls_back_to_the_journal() {
    let p = pipeline();
    let mut x = prospect(&p, "new");
    x.stage_since = None;
    x.next_action = Some(d("2027-06-01"));
    assert!(rules(&p, &x, &[], "2027-01-01").is_empty());
    let mut moved = set("P-1", "2026-12-01", "", "new", Kind::Move);
    moved.field = "stage".into();
    assert_eq!(rules(&p, &x, &[&moved], "2026-12-12"), ["stale"]);
}

#[test]
fn decision_overdue_after_the_date_only() {
    let p = pipeline();
    let mut x = prospect(&p, "later");
    x.stage_since = Some(d("2026-11-26"));
    x.expected_close = Some(d("2026-11-26"));
    assert!(rules(&p, &x, &[], "2026-11-26").is_empty());
    assert_eq!(rules(&p, &x, &[], "2026-11-27"), ["decision_overdue"]);
    x.stage = p.find_stage("won").unwrap();
    assert!(rules(&p, &x, &[], "2026-11-27").is_empty());
}

#[test]
fn next_action_overdue_counts_working_days_past_its_grace() {
    let p = pipeline();
    let mut x = prospect(&p, "hot");
    x.next_action = Some(d("2026-11-20")); // a Friday; one day of grace
    assert!(rules(&p, &x, &[], "2026-11-23").is_empty());
    assert!(rules(&p, &x, &[], "2026-11-22").is_empty());
    let a = evaluate(&p, &x, &[], d("2026-11-24"), 2);
    assert_eq!(a[0].rule(), Rule::NextActionOverdue);
    assert_eq!(a[0].value().plain, "2");
    // The holiday on Wednesday 11 November does not count.
    x.next_action = Some(d("2026-11-10"));
    assert!(rules(&p, &x, &[], "2026-11-12").is_empty());
    assert_eq!(rules(&p, &x, &[], "2026-11-13"), ["next_action_overdue"]);
    // Not on lost deals.
    x.stage = p.find_stage("lost").unwrap();
    assert!(rules(&p, &x, &[], "2026-12-24").is_empty());
}

#[test]
fn a_holiday_on_a_weekend_takes_off_no_working_day() {
    let with_saturday = PIPELINE.replace(
        "holidays = [\"2026-11-11\"]",
        "holidays = [\"2026-11-14\", \"2026-11-11\"]",
    );
    let p =
        Pipeline::from_str(&with_saturday, Path::new("p.toml")).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(p.alerts.holidays, [d("2026-11-11"), d("2026-11-14")]);
    assert_eq!(p.alerts.working_holidays, [d("2026-11-11")]);
    let mut x = prospect(&p, "hot");
    x.next_action = Some(d("2026-11-10"));
    assert!(rules(&p, &x, &[], "2026-11-12").is_empty());
    assert_eq!(rules(&p, &x, &[], "2026-11-13"), ["next_action_overdue"]);
    let a = evaluate(&p, &x, &[], d("2026-11-17"), 2);
    assert_eq!(a[0].value().plain, "4");
}

#[test]
fn no_next_action_replaces_missing_field_for_that_field() {
    let p = pipeline();
    let mut x = prospect(&p, "new");
    x.next_action = None;
    x.owner = String::new();
    let a = evaluate(&p, &x, &[], d("2026-11-21"), 2);
    let got: Vec<(&str, String)> = a
        .iter()
        .map(|a| (a.rule().key(), a.value().plain))
        .collect();
    let got: Vec<(&str, &str)> = got.iter().map(|(r, v)| (*r, v.as_str())).collect();
    assert_eq!(got, [("missing_field", "owner"), ("no_next_action", "")]);
}

#[test]
fn missing_field_names_the_header() {
    let p = pipeline();
    let mut x = prospect(&p, "hot");
    x.amount = None;
    let a = evaluate(&p, &x, &[], d("2026-11-21"), 2);
    assert_eq!(a.len(), 1);
    assert_eq!(
        a[0].message(&p, d("2026-11-21")),
        "“amount” is empty, and hot requires it"
    );
    assert_eq!(a[0].key(&p), "missing_field|P-1|hot|amount");
}

#[test]
fn horizon_mismatch_suggests_the_stage_that_fits() {
    let p = pipeline();
    let today = "2026-11-27";
    let mut x = prospect(&p, "hot");
    x.stage_since = Some(d(today));
    x.expected_close = Some(d("2027-02-27")); // within 3 months: fits
    assert!(rules(&p, &x, &[], today).is_empty());
    x.expected_close = Some(d("2027-02-28"));
    let a = evaluate(&p, &x, &[], d(today), 2);
    assert_eq!(a[0].rule(), Rule::HorizonMismatch);
    assert_eq!(a[0].suggestion().unwrap().stage, 1);
    assert_eq!(a[0].threshold(&p, d(today)).plain, "<= 2027-02-27");
    assert_eq!(
        a[0].message(&p, d(today)),
        horizon_mismatch(&p, &x, d(today)).unwrap().message
    );
    // A cold deal expected next month belongs in hot, which it may move to.
    let mut c = prospect(&p, "cold");
    c.stage_since = Some(d(today));
    c.expected_close = Some(d("2026-12-18"));
    let m = horizon_mismatch(&p, &c, d(today)).unwrap();
    let sg = m.suggestion.unwrap();
    assert_eq!(p.stages[sg.stage].id, "hot");
    assert!(sg.movable());
    assert!(
        m.message.ends_with("the stage that fits: hot"),
        "{}",
        m.message
    );
    c.expected_close = Some(d("2027-11-27"));
    assert!(horizon_mismatch(&p, &c, d(today)).is_none());
    // Past dates are decision_overdue's business.
    c.expected_close = Some(d("2026-11-20"));
    assert!(horizon_mismatch(&p, &c, d(today)).is_none());
}

#[test]
fn decision_slips_count_pushes_back_since_the_deal_reopened() {
    let p = pipeline();
    let e1 = set("P-1", "2026-01-01", "", "2026-02-01", Kind::Set);
    let e2 = set("P-1", "2026-01-15", "2026-02-01", "2026-03-01", Kind::Set);
    let e3 = set("P-1", "2026-02-15", "2026-03-01", "2026-02-20", Kind::Set);
    let e4 = set("P-1", "2026-02-16", "2026-02-20", "2026-04-01", Kind::Sync);
    let e5 = set("P-1", "2026-02-17", "2026-04-01", "2026-05-01", Kind::Set);
    let h = [&e1, &e2, &e3, &e4, &e5];
    let s = decision_slips(&p, &facts(&p, &h));
    assert_eq!(s.count, 3);
    assert_eq!(
        s.last,
        Some((d("2026-02-17"), d("2026-04-01"), d("2026-05-01")))
    );
    let mut x = prospect(&p, "later");
    x.stage_since = Some(d("2026-11-26"));
    assert_eq!(rules(&p, &x, &h, "2026-11-27"), ["decision_slipped"]);
    assert!(rules(&p, &x, &h[..4], "2026-11-27").is_empty());
    // An undone push no longer counts.
    let undo = set("P-1", "2026-02-18", "2026-05-01", "2026-04-01", Kind::Undo);
    let h2 = [&e1, &e2, &e3, &e4, &e5, &undo];
    assert_eq!(decision_slips(&p, &facts(&p, &h2)).count, 2);
    // A deal reopened from a lost stage starts again.
    let mut reopen = set("P-1", "2026-03-01", "lost", "new", Kind::Move);
    reopen.field = "stage".into();
    let h3 = [&e1, &e2, &e3, &e4, &e5, &reopen];
    assert_eq!(decision_slips(&p, &facts(&p, &h3)).count, 0);
}

#[test]
fn the_filter_takes_owner_rule_and_severity() {
    let f = Filter {
        owner: Some("zoe".into()),
        rules: vec![Rule::Stale],
        severity: Some(Severity::Critical),
    };
    assert!(f.accepts("Zoé", Rule::Stale, Severity::Critical));
    assert!(!f.accepts("Zoé", Rule::Stale, Severity::Warning));
    assert!(!f.accepts("Zoé", Rule::DecisionOverdue, Severity::Critical));
    assert!(!f.accepts("Max", Rule::Stale, Severity::Critical));
}

#[test]
fn rule_settings_are_validated_with_their_line() {
    let bad = PIPELINE
        .replace("grace = \"1 day\"", "grace = \"1 day\"\ncount = 2")
        .replace(
            "alerts.stale.severity = \"critical\"",
            "alerts.stale.severity = \"critical\"\nalerts.decision_slipped.count = 0",
        )
        .replace("holidays = [\"2026-11-11\"]", "holidays = [\"11/11/2026\"]");
    let d = Pipeline::from_str(&bad, Path::new("p.toml")).unwrap_err();
    let got: Vec<(&str, Option<u64>)> = d.iter().map(|d| (d.code, d.line)).collect();
    assert_eq!(
        got,
        [
            ("bad-holiday", Some(7)),
            ("misplaced-alert-key", Some(11)),
            ("bad-count", Some(25)),
        ]
    );
    let unknown = PIPELINE.replace("grace = \"1 day\"", "grase = \"1 day\"");
    let d = Pipeline::from_str(&unknown, Path::new("p.toml")).unwrap_err();
    assert_eq!(d[0].line, Some(10));
    assert!(d[0].message.contains("grase"), "{}", d[0].message);
}

#[test]
fn stage_overrides_apply_to_that_stage_only() {
    let p = pipeline();
    let later = &p.stages[p.find_stage("later").unwrap()];
    let new = &p.stages[p.find_stage("new").unwrap()];
    assert!(later.rule(Rule::Stale).business_days);
    assert_eq!(later.rule(Rule::Stale).severity, Severity::Critical);
    assert!(!new.rule(Rule::Stale).business_days);
    assert_eq!(new.rule(Rule::Stale).severity, Severity::Warning);
    assert!(new.rule(Rule::NextActionOverdue).business_days);
    assert_eq!(later.alert_overrides, [Rule::Stale]);
    let bad = PIPELINE.replace(
        "alerts.stale.business_days = true",
        "alerts.invalid_row.enabled = false",
    );
    let d = Pipeline::from_str(&bad, Path::new("p.toml")).unwrap_err();
    assert_eq!(d[0].code, "misplaced-alert");
}

#[test]
fn repeated_keys_are_numbered_in_order() {
    let p = pipeline();
    let x = prospect(&p, "new");
    let mut y = prospect(&p, "new");
    y.id = "P-2".into();
    let today = d("2026-12-01");
    let one = evaluate(&p, &x, &[], today, 2).remove(0);
    let other = evaluate(&p, &y, &[], today, 3).remove(0);
    let mut alerts = vec![
        one.clone(),
        other.clone(),
        one.clone(),
        one.clone(),
        other.clone(),
    ];
    let mut repeats = Repeats::default();
    for a in &mut alerts {
        repeats.number(&p, a);
    }
    let (k, o) = (one.key(&p), other.key(&p));
    assert_eq!(k, "stale|P-1|new|2026-11-20");
    let keys: Vec<String> = alerts.iter().map(|a| a.key(&p)).collect();
    assert_eq!(
        keys,
        [
            k.clone(),
            o.clone(),
            format!("{k}#2"),
            format!("{k}#3"),
            format!("{o}#2")
        ]
    );
}

#[test]
fn a_rows_cells_are_kept_in_one_string() {
    let w = Who::new("P-7", "Électricité de la Côte", "", "Chaud?");
    assert_eq!(
        (w.id(), w.name(), w.owner(), w.stage_cell()),
        ("P-7", "Électricité de la Côte", "", "Chaud?")
    );
    let w = Who::default();
    assert_eq!(
        (w.id(), w.name(), w.owner(), w.stage_cell()),
        ("", "", "", "")
    );
}

#[test]
fn alerts_sort_critical_first_then_by_line_then_by_rule() {
    let p = pipeline();
    let x = prospect(&p, "new");
    let one = evaluate(&p, &x, &[], d("2026-12-01"), 2).remove(0);
    let make = |name: &str, line: u64, finding: Finding, severity: Severity| {
        let mut a = one.clone();
        a.who = std::sync::Arc::new(Who::new("P-1", name, "", ""));
        (a.line, a.finding, a.severity) = (line, finding, severity);
        a
    };
    let (w, c) = (Severity::Warning, Severity::Critical);
    let mut alerts = vec![
        make("a", 9, Finding::NoNextAction, w),
        make("b", 3, Finding::NoNextAction, w),
        make("c", 9, Finding::MissingField(Field::Owner), w),
        make("d", 12, Finding::NoNextAction, c),
        make("e", 3, Finding::NoNextAction, w),
        make("f", 3, Finding::MissingField(Field::Amount), w),
    ];
    sort(&mut alerts);
    let names: Vec<&str> = alerts.iter().map(|a| a.name()).collect();
    // Critical first; then by line; missing_field before no_next_action; ties keep their order.
    assert_eq!(names, ["d", "f", "b", "e", "c", "a"]);
}

/// The writer takes alerts as raised and writes them critical first, the
/// same whether its spools stay in memory or go to temporary files, and the
/// same as when given the alerts in the report's order.
#[test]
fn the_writer_orders_alerts_as_raised_whether_they_spill_to_disk_or_not() {
    use crate::alerts::report::{Head, Writer};
    use crate::output::Format;
    let p = pipeline();
    let x = prospect(&p, "new");
    let one = evaluate(&p, &x, &[], d("2026-12-01"), 2).remove(0);
    let mut raised = Vec::new();
    for n in 0..1500u64 {
        let mut a = one.clone();
        let name = format!("Ann \"{n}\", née\nLeroy");
        a.who = std::sync::Arc::new(Who::new(&format!("P-{n}"), &name, "Zoé", ""));
        a.line = n + 2;
        a.severity = if n % 7 == 3 || n % 11 == 0 {
            Severity::Critical
        } else {
            Severity::Warning
        };
        raised.push(a);
    }
    let mut sorted = raised.clone();
    sort(&mut sorted);
    let today = d("2026-12-01");
    let head = || Head::new(&p, today);
    for format in [Format::Csv, Format::Json, Format::Md, Format::Table] {
        for excel in [false, true] {
            let mut whole = Vec::new();
            let mut w = Writer::spooling(head(), format, excel, usize::MAX);
            for a in &sorted {
                w.push(a).unwrap();
            }
            w.finish(&mut whole).unwrap();
            for in_memory in [0, 1000, usize::MAX] {
                let mut w = Writer::spooling(head(), format, excel, in_memory);
                for a in &raised {
                    w.push(a).unwrap();
                }
                assert_eq!(w.len(), raised.len());
                let mut spooled = Vec::new();
                w.finish(&mut spooled).unwrap();
                assert!(
                    spooled == whole,
                    "{format:?}, excel {excel}, {in_memory} bytes in memory"
                );
            }
            if format == Format::Json {
                let items: serde_json::Value = serde_json::from_slice(&whole).unwrap();
                let lines: Vec<u64> = items
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["line"].as_u64().unwrap())
                    .collect();
                let expected: Vec<u64> = sorted.iter().map(|a| a.line).collect();
                assert_eq!(lines, expected);
                assert_eq!(items[0]["severity"], "critical");
                assert_eq!(items[1499]["severity"], "warning");
            }
        }
    }
}

/// The new state holds one record per key, in key order: today's record
/// for an alert raised again (keeping when it was first reported), the
/// first of a key the file repeats, the records the filter does not cover,
/// and none of those it covers that cleared.
#[test]
fn the_new_state_keeps_one_record_a_key_in_key_order() {
    use crate::alerts::state::{self, FORMAT, Seen, State};
    let p = pipeline();
    let x = prospect(&p, "new");
    let today = d("2026-12-01");
    let raised = evaluate(&p, &x, &[], today, 2);
    assert!(!raised.is_empty());
    let key = raised[0].key(&p);
    let seen = |key: &str, owner: &str, first: &str| Seen {
        key: key.into(),
        rule: "stale".into(),
        id: "P-9".into(),
        owner: owner.into(),
        severity: "warning".into(),
        first_reported: d(first),
        last_reported: d(first),
    };
    let old = State {
        format: FORMAT.into(),
        alerts: vec![
            seen("zz|bob", "Bob", "2026-11-02"),
            seen(&key, "Zoé", "2026-11-15"),
            seen("aa|cleared", "Zoé", "2026-11-03"),
            seen("zz|bob", "Bob", "2026-11-04"),
        ],
    };
    let filter = Filter {
        owner: Some(crate::text::fold("zoe")),
        ..Filter::default()
    };
    let mut update = state::Update::new(&old, today);
    let due = raised.iter().filter(|a| update.take(&p, a)).count();
    let held = update.held;
    let next = update.finish(&filter);
    let keys: Vec<&str> = next.alerts.iter().map(|s| s.key.as_str()).collect();
    let mut want: Vec<String> = raised.iter().map(|a| a.key(&p)).collect();
    want.push("zz|bob".into());
    want.sort();
    assert_eq!(keys, want);
    let record = |k: &str| next.alerts.iter().find(|s| s.key == k).unwrap();
    assert_eq!(record(&key).first_reported, d("2026-11-15"));
    assert_eq!(record("zz|bob").first_reported, d("2026-11-02"));
    // Reported on 15 November and still open past its `realert_after`: due again.
    assert!(raised[0].realert_after.is_some());
    assert_eq!((due, held), (raised.len(), 0));
    assert_eq!(record(&key).last_reported, today);
    // Reported again today: held back tomorrow, its dates kept.
    let mut update = state::Update::new(&next, d("2026-12-02"));
    assert!(!update.take(&p, &raised[0]));
    assert_eq!(update.held, 1);
    let after = update.finish(&Filter::default());
    assert_eq!(after.alerts.len(), 1);
    assert_eq!(after.alerts[0].first_reported, d("2026-11-15"));
    assert_eq!(after.alerts[0].last_reported, today);
}
