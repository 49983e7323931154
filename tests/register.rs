//! The register's dialect survives every write: line endings, quoting,
//! delimiters, encodings, a missing final line break. Each test writes a
//! register in one dialect, changes one prospect, and compares every byte.

mod common;

use common::Sandbox;

/// The compact pipeline with the register's delimiter and encoding left to detection.
fn sandbox(register: &[u8]) -> Sandbox {
    let s = Sandbox::fixture("compact");
    let toml = s.read_string("pipeline.toml");
    let toml = toml
        .replace("delimiter = \",\"\n", "delimiter = \"auto\"\n")
        .replace("encoding = \"utf-8\"\n", "encoding = \"auto\"\n");
    s.write("pipeline.toml", toml);
    s.write("prospects.csv", register);
    s
}

const HEADER: &str = "id,stage,stage_since,company,owner,amount,notes";

#[test]
fn cr_only_line_endings_are_kept() {
    let before = format!(
        "{HEADER}\rP-0001,Lead,2026-10-01,Acme,,,\rP-0002,Qualified,2026-10-15,Borel,Ann,,x\r"
    );
    let s = sandbox(before.as_bytes());
    s.pipe(&["move", "P-0001", "qualified", "--set", "owner=Ann"])
        .expect(0);
    let after = s.read_string("prospects.csv");
    assert_eq!(
        after,
        before.replace(
            "P-0001,Lead,2026-10-01,Acme,,",
            "P-0001,Qualified,2026-11-27,Acme,Ann,"
        )
    );
}

#[test]
fn a_register_quoting_every_cell_stays_quoted() {
    let before = "\"id\",\"stage\",\"stage_since\",\"company\",\"owner\",\"amount\",\"notes\"\r\n\"P-0001\",\"Lead\",\"2026-10-01\",\"Acme\",\"\",\"\",\"\"\r\n".to_string();
    let s = sandbox(before.as_bytes());
    s.pipe(&["move", "P-0001", "qualified", "--set", "owner=Ann"])
        .expect(0);
    assert_eq!(
        s.read_string("prospects.csv"),
        "\"id\",\"stage\",\"stage_since\",\"company\",\"owner\",\"amount\",\"notes\"\r\n\"P-0001\",\"Qualified\",\"2026-11-27\",\"Acme\",\"Ann\",\"\",\"\"\r\n"
    );
    s.pipe(&["add", "--company", "Zeta", "--stage", "lead"])
        .expect(0);
    assert!(
        s.read_string("prospects.csv")
            .ends_with("\r\n\"P-0002\",\"Lead\",\"2026-11-27\",\"Zeta\",\"\",\"\",\"\"\r\n")
    );
}

#[test]
fn a_missing_final_line_break_is_added_only_when_a_row_is_appended() {
    let before = format!("{HEADER}\nP-0001,Lead,2026-10-01,Acme,,,");
    let s = sandbox(before.as_bytes());
    s.pipe(&["set", "P-0001", "notes=hello"]).expect(0);
    assert_eq!(
        s.read_string("prospects.csv"),
        format!("{HEADER}\nP-0001,Lead,2026-10-01,Acme,,,hello")
    );
    s.pipe(&["add", "--company", "Zeta", "--stage", "lead"])
        .expect(0);
    assert_eq!(
        s.read_string("prospects.csv"),
        format!("{HEADER}\nP-0001,Lead,2026-10-01,Acme,,,hello\nP-0002,Lead,2026-11-27,Zeta,,,\n")
    );
}

#[test]
fn tab_and_semicolon_delimiters_are_detected_and_kept() {
    for sep in ["\t", ";"] {
        let header = HEADER.replace(',', sep);
        let before =
            format!("{header}\nP-0001{sep}Lead{sep}2026-10-01{sep}Acme, Inc{sep}{sep}{sep}\n");
        let s = sandbox(before.as_bytes());
        s.pipe(&["move", "P-0001", "qualified", "--set", "owner=Ann"])
            .expect(0);
        assert_eq!(
            s.read_string("prospects.csv"),
            format!(
                "{header}\nP-0001{sep}Qualified{sep}2026-11-27{sep}Acme, Inc{sep}Ann{sep}{sep}\n"
            ),
            "delimiter {sep:?}"
        );
    }
}

#[test]
fn windows_1252_is_detected_even_after_many_ascii_rows() {
    // 2,000 plain ASCII rows, then one with `é` in Windows-1252 (0xE9).
    let mut before = format!("{HEADER}\r\n").into_bytes();
    for i in 1..=2000 {
        before.extend(format!("P-{i:04},Lead,2026-10-01,Acme {i},,,\r\n").as_bytes());
    }
    before.extend(b"P-2001,Lead,2026-10-01,Soci\xe9t\xe9 G\xe9n\xe9rale,,,\r\n");
    let s = sandbox(&before);
    s.pipe(&["move", "P-0002", "qualified", "--set", "owner=Zo\u{eb}"])
        .expect(0);
    let after = s.read("prospects.csv");
    // The moved row gains `Zoë` written as Windows-1252 (0xEB), and nothing else changes.
    let mut want = before.clone();
    let old = b"P-0002,Lead,2026-10-01,Acme 2,,,";
    let at = want.windows(old.len()).position(|w| w == old).unwrap();
    want.splice(
        at..at + old.len(),
        b"P-0002,Qualified,2026-11-27,Acme 2,Zo\xeb,,"
            .iter()
            .copied(),
    );
    assert_eq!(after, want);
}

#[test]
fn amounts_and_dates_are_written_in_the_registers_own_style() {
    let s = Sandbox::fixture("excel-fr");
    let before = s.read("prospects.csv");
    let text = String::from_utf8_lossy(&before).into_owned();
    // Find a prospect id of that register to set an amount on.
    let id = text
        .lines()
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches('\u{feff}')
        .to_string();
    s.pipe(&["set", &id, "amount=1234567.5", "expected_close=2027-03-31"])
        .expect(0);
    let after = s.read_string("prospects.csv");
    assert!(
        after.contains("1 234 567,50") || after.contains("1234567,50"),
        "{after}"
    );
    assert!(after.contains("31/03/2027"), "{after}");
}

#[test]
fn a_crash_between_the_register_and_the_journal_is_reported_and_repaired() {
    let s = Sandbox::fixture("compact");
    let journal_before = s.read("journal.csv");
    let register_before = s.read("prospects.csv");
    s.pipe(&[
        "move",
        "P-0002",
        "proposal",
        "--set",
        "amount=4000",
        "--set",
        "expected_close=2027-01-31",
    ])
    .expect(0);
    // What a crash after the rename and before the journal append leaves:
    // the new register, the old journal, and the old register kept aside.
    s.write("journal.csv", &journal_before);
    s.write(".prospects.csv.pipe-backup", &register_before);

    let run = s.pipe(&["check"]).expect(1);
    assert!(
        run.stdout
            .contains("error: `P-0002` is in Proposal here, but the journal's last record"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("run `pipe sync` to record the change in the journal"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(".prospects.csv.pipe-backup: warning: a `pipe` command was interrupted"),
        "{}",
        run.stdout
    );

    s.pipe(&["sync"]).expect(0);
    let run = s.pipe(&["check"]).expect(0);
    assert!(!run.stdout.contains("error"), "{}", run.stdout);
    std::fs::remove_file(s.path(".prospects.csv.pipe-backup")).unwrap();
    assert_eq!(s.pipe(&["check"]).expect(0).stdout, "");
}
