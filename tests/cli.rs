//! Integration tests of the `pipe` binary: each test copies fixture files into
//! a temporary folder, runs the real binary there, and compares what a user
//! sees (exit code, stdout, stderr) and what ends up on disk.
//!
//! Every run is reproducible: `--today 2026-11-27`, and the settings every
//! integration test shares (`common::pipe_in`: `PIPE_NOW` fixed, no colour, a
//! fixed terminal width, no `PIPE_*` setting from the environment). Nothing
//! outside the temporary folder is read or written.

mod common;

use common::TODAY;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The `at` of the first command run in a sandbox (the fixtures' journals all end before it).
const AT: &str = "2026-11-27T10:00:00.000+01:00";
const JOURNAL_HEADER: &str = "at,date,id,kind,field,from,to,by,reason,note";

// ------------------------------------------------------------------ harness

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Every file under `dir` (relative path → bytes), except `pipe`'s own lock files.
fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if !path.to_string_lossy().ends_with(".pipe-lock") {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// A temporary folder holding a pipeline, its register and its journal.
struct Sandbox {
    dir: tempfile::TempDir,
    register: String,
    journal: String,
}

/// The contents of a sandbox at one moment, to show that a command wrote nothing.
struct Snapshot(BTreeMap<String, Vec<u8>>);

impl Sandbox {
    fn empty() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
            register: "prospects.csv".into(),
            journal: "journal.csv".into(),
        }
    }

    /// A copy of `tests/fixtures/<name>/`.
    fn fixture(name: &str) -> Sandbox {
        let sb = Sandbox::empty();
        common::copy_tree(&fixture(name), sb.dir.path());
        sb
    }

    /// The compact five-stage pipeline most tests use.
    fn compact() -> Sandbox {
        Sandbox::fixture("compact")
    }

    /// The shipped example: the repository's `pipeline.toml` and `examples/`.
    fn shipped() -> Sandbox {
        let mut sb = Sandbox::empty();
        fs::copy(
            concat!(env!("CARGO_MANIFEST_DIR"), "/pipeline.toml"),
            sb.path("pipeline.toml"),
        )
        .unwrap();
        common::copy_tree(
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples")),
            &sb.path("examples"),
        );
        sb.register = "examples/prospects.csv".into();
        sb.journal = "examples/journal.csv".into();
        sb
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }

    fn read(&self, rel: &str) -> Vec<u8> {
        fs::read(self.path(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
    }

    fn text(&self, rel: &str) -> String {
        String::from_utf8(self.read(rel)).unwrap()
    }

    fn register_bytes(&self) -> Vec<u8> {
        self.read(&self.register)
    }

    fn register_text(&self) -> String {
        self.text(&self.register)
    }

    fn journal_text(&self) -> String {
        self.text(&self.journal)
    }

    /// The journal's entries (without the header), parsed as CSV.
    fn journal_entries(&self) -> Vec<Vec<String>> {
        let text = self.journal_text();
        assert!(
            text.starts_with(&format!("{JOURNAL_HEADER}\n")),
            "journal header: {text}"
        );
        parse_csv(&text).split_off(1)
    }

    /// Replaces `from` (which must occur exactly once) in a sandbox file.
    fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = self.text(rel);
        assert_eq!(text.matches(from).count(), 1, "`{from}` in {rel}");
        self.write(rel, text.replacen(from, to, 1));
    }

    /// The real binary, run in the sandbox with the reproducible settings.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = common::pipe_in(self.dir.path());
        cmd.arg("--today")
            .arg(TODAY)
            .args(args)
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `pipe ARGS`; returns (exit code, stdout, stderr).
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        self.run_env(&[], args)
    }

    fn run_env(&self, env: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("the pipe binary runs");
        (
            out.status.code().expect("pipe exits with a code"),
            String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        )
    }

    /// Runs a command that must succeed; returns (stdout, stderr).
    fn ok(&self, args: &[&str]) -> (String, String) {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "pipe {args:?}\nstdout:\n{out}\nstderr:\n{err}");
        (out, err)
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot(files_under(self.dir.path()))
    }

    /// Asserts that no file changed, appeared or disappeared since `before`
    /// (lock files aside): the register and the journal are byte for byte the same.
    fn assert_unchanged(&self, before: &Snapshot) {
        let now = files_under(self.dir.path());
        let names: BTreeSet<&String> = before.0.keys().chain(now.keys()).collect();
        let changed: Vec<&String> = names
            .into_iter()
            .filter(|n| before.0.get(*n) != now.get(*n))
            .collect();
        assert!(changed.is_empty(), "files changed: {changed:?}");
    }

    /// Runs a command that must fail with `code` and write nothing; returns (stdout, stderr).
    fn fails(&self, code: i32, args: &[&str]) -> (String, String) {
        self.fails_env(code, &[], args)
    }

    fn fails_env(&self, code: i32, env: &[(&str, &str)], args: &[&str]) -> (String, String) {
        let before = self.snapshot();
        let (got, out, err) = self.run_env(env, args);
        assert_eq!(got, code, "pipe {args:?}\nstdout:\n{out}\nstderr:\n{err}");
        self.assert_unchanged(&before);
        (out, err)
    }

    /// Runs a `--dry-run` command that must succeed and write nothing; returns its stdout.
    fn dry_run(&self, args: &[&str]) -> String {
        let mut args = args.to_vec();
        args.push("--dry-run");
        let (out, err) = self.fails(0, &args);
        assert_eq!(err, "", "pipe {args:?}");
        out
    }
}

/// The error line(s) `pipe` prints for a failing command.
fn error(message: &str) -> String {
    format!("pipe: error: {message}\n")
}

fn parse_csv(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// The body rows of a table printed by `pipe`, each as its trimmed cells joined by ` | `.
fn table_rows(out: &str) -> Vec<String> {
    out.lines()
        .skip_while(|l| !l.starts_with('╞'))
        .skip(1)
        .take_while(|l| l.starts_with('│'))
        .map(|l| {
            let inner = l.trim_start_matches('│').trim_end_matches('│');
            let cells: Vec<&str> = inner.split('┆').map(str::trim).collect();
            cells.join(" | ")
        })
        .collect()
}

/// `text` with `from` (which must occur exactly once) replaced by `to`.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "`{from}` in:\n{text}");
    text.replacen(from, to, 1)
}

/// A journal line as `pipe` writes it at `at` (the other cells given as one CSV string).
fn entry(at: &str, rest: &str) -> String {
    format!("{at},{rest}\n")
}

/// The `at` of the `n`-th command run in a sandbox (0 for the first): `PIPE_NOW`
/// plus `n` milliseconds, as `pipe` keeps `at` strictly increasing.
fn at(n: u32) -> String {
    format!("2026-11-27T10:00:00.{n:03}+01:00")
}

// ----------------------------------------------------- the shipped example

#[test]
fn check_passes_on_the_shipped_example() {
    let sb = Sandbox::shipped();
    let (out, err) = sb.ok(&["check"]);
    assert_eq!(out, "");
    assert!(
        err.ends_with(
            "examples/prospects.csv: 104 prospects; examples/journal.csv: 432 entries; examples/activities.csv: 596 activities: 0 errors, 0 warnings\n"
        ),
        "{err}"
    );

    let (out, _) = sb.ok(&["check", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["errors"], 0);
    assert_eq!(v["warnings"], 0);
    assert_eq!(v["diagnostics"], serde_json::json!([]));
}

#[test]
fn check_passes_on_every_pipeline_under_examples() {
    let sb = Sandbox::shipped();
    // The root pipeline.toml points into examples/; any other pipeline kept under examples/ counts too.
    let mut pipelines = vec!["pipeline.toml".to_string()];
    pipelines.extend(
        files_under(&sb.path("examples"))
            .into_keys()
            .filter(|f| Path::new(f).extension().is_some_and(|e| e == "toml"))
            .map(|f| format!("examples/{f}")),
    );
    for p in &pipelines {
        let (code, out, err) = sb.run(&["--config", p, "check"]);
        assert_eq!(code, 0, "pipe -c {p} check\n{out}\n{err}");
        assert_eq!(out, "", "pipe -c {p} check");
        assert!(err.ends_with(": 0 errors, 0 warnings\n"), "{p}: {err}");
    }
}

// ------------------------------------------------- errors in pipeline.toml

#[test]
fn no_pipeline_file() {
    let sb = Sandbox::empty();
    let (_, err) = sb.fails(3, &["list"]);
    assert_eq!(
        err,
        error(
            "pipeline.toml: no pipeline file here\n  hint: run `pipe init` to start one, or point at yours with `--config FILE` (or PIPE_CONFIG)"
        )
    );
}

#[test]
fn unknown_key_in_the_pipeline_names_file_line_column_and_key() {
    let sb = Sandbox::compact();
    sb.edit("pipeline.toml", "probability = 20\n", "probabilty = 20\n");
    let message = "pipeline.toml:30:1: error: unknown field `probabilty`, expected one of `id`, `label`, `phase`, `outcome`, `probability`, `criteria`, `decision_within`, `decision_after`, `stale_after`, `requires`, `next`, `lost_reasons`, `next_action_required`, `alerts`, `milestone`\n  hint: check the spelling against docs/pipeline.md, which lists every key";

    let (out, err) = sb.fails(3, &["list"]);
    assert_eq!(out, "");
    // `pipe: error:` already says what it is; `check` lists it with its severity.
    assert_eq!(err, error(&message.replacen(": error: ", ": ", 1)));

    sb.fails(3, &["move", "P-0002", "lost", "--reason", "Price"]);

    let (out, err) = sb.fails(1, &["check"]);
    assert_eq!(out, format!("{message}\n"));
    assert_eq!(err, "pipeline.toml is invalid: 1 error, 0 warnings\n");
}

#[test]
fn pipeline_inconsistencies_are_reported_together() {
    let sb = Sandbox::compact();
    sb.edit("pipeline.toml", "probability = 20\n", "probability = 120\n");
    sb.edit(
        "pipeline.toml",
        "decision_within = \"soon\"",
        "decision_within = \"son\"",
    );
    sb.edit("pipeline.toml", "outcome = \"won\"", "outcome = \"open\"");
    let diagnostics = "\
pipeline.toml:30:15: error: stage `qualified`: probability 120 is outside 0 to 100
  hint: write a percentage, such as `40`
pipeline.toml:39:19: error: stage `proposal`: `decision_within` names an unknown horizon `son`
  hint: did you mean `soon`?
pipeline.toml: error: no stage has `outcome = \"won\"`
  hint: mark the stage that records a signature (such as Gagné) with `outcome = \"won\"`";

    let (_, err) = sb.fails(3, &["list"]);
    assert_eq!(
        err,
        error(&format!(
            "pipeline.toml has 3 problems:\n{}",
            diagnostics.replace(": error: ", ": ")
        ))
    );

    let (out, err) = sb.fails(1, &["check"]);
    assert_eq!(out, format!("{diagnostics}\n"));
    assert_eq!(err, "pipeline.toml is invalid: 3 errors, 0 warnings\n");
}

// ---------------------------------------------------- errors in the register

#[test]
fn missing_register() {
    let sb = Sandbox::compact();
    fs::remove_file(sb.path("prospects.csv")).unwrap();
    let message = "prospects.csv: the register does not exist\n  hint: create it with `pipe init`, or fix `path` under [register] in pipeline.toml";

    let (_, err) = sb.fails(3, &["list"]);
    assert_eq!(err, error(message));
    // CSV and JSON are written as the register is read: it is opened first,
    // so nothing is written, not even a header.
    for format in ["csv", "json"] {
        let (out, err) = sb.fails(3, &["list", "--format", format]);
        assert_eq!((out.as_str(), err), ("", error(message)), "{format}");
        sb.fails(3, &["list", "-o", &format!("all.{format}")]);
        assert!(!sb.path(&format!("all.{format}")).exists(), "{format}");
    }
    let (_, err) = sb.fails(3, &["move", "P-0002", "lost", "--reason", "Price"]);
    assert_eq!(err, error(message));
    assert!(!sb.path("prospects.csv").exists());

    let (out, err) = sb.fails(1, &["check"]);
    assert_eq!(
        out,
        "prospects.csv: error: the register does not exist\n  hint: create it with `pipe init`, or fix `path` under [register] in pipeline.toml\n"
    );
    assert_eq!(err, "prospects.csv cannot be read: 1 error, 0 warnings\n");
}

#[test]
fn register_without_the_id_column() {
    let sb = Sandbox::compact();
    sb.edit("prospects.csv", "id,stage,", "ref,stage,");
    let message = "prospects.csv:1: the register has no `id` column (for the field `id`)\n  hint: its columns are `ref`, `stage`, `stage_since`, `name`, `company`, `owner`, `amount`, `probability`, `expected_close`, `next_action`, `products`, `lost_reason`, `created` or `notes`; map the right one under [register.columns] in pipeline.toml, such as `id = \"ref\"`";

    let (_, err) = sb.fails(3, &["list"]);
    assert_eq!(err, error(message));
    let (out, _) = sb.fails(3, &["list", "--format", "json"]);
    assert_eq!(out, "");
    let (_, err) = sb.fails(3, &["set", "P-0002", "owner=Zoe"]);
    assert_eq!(err, error(message));

    let (out, err) = sb.fails(1, &["check"]);
    assert_eq!(
        out,
        format!(
            "{}\n",
            message.replacen(": the register", ": error: the register", 1)
        )
    );
    assert_eq!(err, "prospects.csv cannot be read: 1 error, 0 warnings\n");
}

#[test]
fn unknown_stage_in_a_cell_is_located_and_suggests_the_nearest() {
    let sb = Sandbox::compact();
    sb.edit("prospects.csv", "P-0002,Qualified,", "P-0002,Qualifed,");

    let (out, err) = sb.fails(1, &["check"]);
    assert_eq!(
        out,
        "prospects.csv:3:8: error: unknown stage `Qualifed`; did you mean `Qualified`?\n"
    );
    assert!(err.ends_with(": 1 error, 0 warnings\n"), "{err}");

    // `list` shows the readable rows and says one was skipped.
    let (out, err) = sb.ok(&["list", "--format", "csv"]);
    let ids: Vec<String> = parse_csv(&out)
        .into_iter()
        .skip(1)
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(ids, ["P-0001", "P-0003", "P-0004", "P-0005"]);
    assert_eq!(
        err,
        "skipped 1 row that cannot be read; `pipe check` shows why\n"
    );

    // The row cannot be moved until it is fixed.
    let (_, err) = sb.fails(4, &["move", "P-0002", "proposal"]);
    assert_eq!(
        err,
        error(
            "`P-0002` cannot be moved until its row is fixed:\n  prospects.csv:3 (stage): unknown stage `Qualifed`; did you mean `Qualified`?"
        )
    );
}

#[test]
fn bad_date_in_a_cell() {
    let sb = Sandbox::compact();
    sb.edit("prospects.csv", "2027-01-15", "15.01.2027");

    let (out, _) = sb.fails(1, &["check"]);
    assert_eq!(
        out,
        "prospects.csv:4:62: error: expected_close `15.01.2027` is not a date\n  hint: write it as `2026-01-31`; if the register uses another format, list it in `date_formats` under [register] (such as `[\"%d/%m/%Y\"]`)\n"
    );

    let (_, err) = sb.fails(4, &["move", "P-0003", "won"]);
    assert_eq!(
        err,
        error(
            "`P-0003` cannot be moved until its row is fixed:\n  prospects.csv:4 (expected_close): expected_close `15.01.2027` is not a date"
        )
    );
    let (_, err) = sb.fails(4, &["set", "P-0003", "amount=13000"]);
    assert_eq!(
        err,
        error(
            "`P-0003` cannot be changed until its row is fixed:\n  prospects.csv:4 (expected_close): expected_close `15.01.2027` is not a date"
        )
    );

    // Setting the bad cell itself is the way out.
    sb.ok(&["set", "P-0003", "expected_close=2027-01-15"]);
    sb.ok(&["check"]);
}

#[test]
fn bad_amount_in_a_cell() {
    let sb = Sandbox::compact();
    sb.edit("prospects.csv", "12500.00", "12x500");

    let (out, _) = sb.fails(1, &["check"]);
    assert_eq!(
        out,
        "prospects.csv:4:52: error: `12x500` is not an amount: `x` is not allowed in an amount\n  hint: write the amount with digits, such as `12500.50` or `12 500,50 €`\n"
    );
    let (_, err) = sb.fails(4, &["move", "P-0003", "won"]);
    assert_eq!(
        err,
        error(
            "`P-0003` cannot be moved until its row is fixed:\n  prospects.csv:4 (amount): `12x500` is not an amount: `x` is not allowed in an amount"
        )
    );
}

#[test]
fn duplicate_id() {
    let sb = Sandbox::compact();
    let mut register = sb.register_text();
    register.push_str("P-0002,Qualified,2026-11-01,Ann Lee,Borel SA,Ann,,,,,,,2026-11-01,\n");
    sb.write("prospects.csv", register);

    let (out, _) = sb.fails(1, &["check"]);
    assert_eq!(
        out,
        "prospects.csv:7:1: error: the id `P-0002` is already used on line 3\n  hint: give each prospect its own id\n"
    );
    // No command writes a register whose ids are ambiguous, whatever prospect it is about.
    let message = "prospects.csv:7:1: the id `P-0002` is already used on line 3\n  hint: give each prospect its own id, then run the command again";
    let (_, err) = sb.fails(3, &["move", "P-0001", "lost", "--reason", "Price"]);
    assert_eq!(err, error(message));
    let (_, err) = sb.fails(3, &["add", "--company", "Fresh Co", "--stage", "lead"]);
    assert_eq!(err, error(message));
    let (_, err) = sb.fails(3, &["set", "P-0001", "amount=5"]);
    assert_eq!(err, error(message));
}

#[test]
fn a_row_that_cannot_be_read_is_still_checked_against_the_journal() {
    let sb = Sandbox::compact();
    // P-0002 typed into Won (by its stage id) with an amount that is not one:
    // the journal has it in Qualified.
    let register = sb.register_text().replacen(
        "P-0002,Qualified,2026-10-15,Ann Lee,Borel SA,Ann,,",
        "P-0002,won,2026-10-15,Ann Lee,Borel SA,Ann,lots,",
        1,
    );
    assert!(register.contains("P-0002,won,"), "{register}");
    sb.write("prospects.csv", register);
    let (out, _) = sb.fails(1, &["check"]);
    assert!(
        out.contains("prospects.csv:3:44: error: `lots` is not an amount"),
        "{out}"
    );
    assert!(
        out.contains("prospects.csv:3: error: `P-0002` is in Won here, but the journal's last record (journal.csv:7) has it in Qualified"),
        "{out}"
    );
    // Both are alerts too.
    let (_, out, _) = sb.run(&["alerts", "--rule", "invalid_row", "--format", "csv"]);
    let rows: Vec<&str> = out.lines().filter(|l| l.contains("P-0002")).collect();
    assert_eq!(rows.len(), 2, "{out}");
    assert!(
        rows[1].contains(",won,invalid_row,critical,journal-mismatch,"),
        "{out}"
    );
}

#[test]
fn moving_a_duplicated_id_is_refused() {
    let sb = Sandbox::compact();
    let mut register = sb.register_text();
    register.push_str("P-0002,Qualified,2026-11-01,Ann Lee,Borel SA,Ann,,,,,,,2026-11-01,\n");
    sb.write("prospects.csv", register.clone());
    let message = "prospects.csv:7:1: the id `P-0002` is already used on line 3\n  hint: give each prospect its own id, then run the command again";
    let (_, err) = sb.fails(3, &["move", "P-0002", "lost", "--reason", "Price"]);
    assert_eq!(err, error(message));
    // Nothing was written.
    assert_eq!(sb.register_text(), register);
}

#[test]
fn row_with_the_wrong_number_of_cells() {
    let sb = Sandbox::compact();
    sb.edit("prospects.csv", ",call back\n", ",call back,again\n");

    let (out, err) = sb.fails(1, &["check"]);
    assert_eq!(
        out,
        "prospects.csv:3:1: error: this row has 15 cells but the header has 14\n  hint: a delimiter is missing or one too many (check for an unquoted `;` or `,` in a cell); fix the row in the file\n"
    );
    assert!(err.ends_with(": 1 error, 0 warnings\n"), "{err}");
}

// ------------------------------------------------------------- refused moves

#[test]
fn move_to_an_unknown_stage_suggests_the_nearest() {
    let sb = Sandbox::compact();
    let (out, err) = sb.fails(4, &["move", "P-0002", "propsal"]);
    assert_eq!(out, "");
    assert_eq!(
        err,
        error("unknown stage `propsal`; did you mean `Proposal`?")
    );
    let (_, err) = sb.fails(4, &["move", "P-0002", "zzzzzz"]);
    assert_eq!(
        err,
        error(
            "unknown stage `zzzzzz`; the stages are `Lead`, `Qualified`, `Proposal`, `Won` or `Lost`"
        )
    );
}

#[test]
fn move_not_allowed_by_next() {
    let sb = Sandbox::compact();
    let (_, err) = sb.fails(4, &["move", "P-0002", "won"]);
    assert_eq!(
        err,
        error(
            "`P-0002` cannot go from Qualified to Won: the pipeline allows `Proposal` or `Lost` next"
        )
    );
    // `next = []`: a won deal goes nowhere.
    let (_, err) = sb.fails(4, &["move", "P-0004", "lost", "--reason", "Price"]);
    assert_eq!(
        err,
        error("`P-0004` cannot go from Won to Lost: the pipeline allows no stage next")
    );
}

#[test]
fn move_missing_required_fields_is_refused_with_a_hint() {
    let sb = Sandbox::compact();
    let (_, err) = sb.fails(4, &["move", "P-0002", "proposal"]);
    assert_eq!(
        err,
        error(
            "`P-0002` cannot enter Proposal without `amount` and `expected_close`, which the stage requires\n  hint: give them with --set amount=… --set expected_close=…"
        )
    );
    // Half of it is not enough, and nothing of it is written.
    sb.fails(4, &["move", "P-0002", "proposal", "--set", "amount=4500"]);

    let (_, err) = sb.ok(&[
        "move",
        "P-0002",
        "proposal",
        "--set",
        "amount=4500",
        "--set",
        "expected_close=2027-02-01",
    ]);
    assert_eq!(
        err,
        "moved P-0002 (Borel SA) from Qualified to Proposal on 2026-11-27; set amount = 4500.00, expected_close = 2027-02-01\nwrote prospects.csv and 3 journal entries\n"
    );
    assert!(
        sb.register_text().contains(
            "\nP-0002,Proposal,2026-11-27,Ann Lee,Borel SA,Ann,4500.00,,2027-02-01,,Widgets,,2026-10-05,call back\n"
        )
    );
}

#[test]
fn lost_reason_must_be_one_the_stage_accepts() {
    let sb = Sandbox::compact();
    let (_, err) = sb.fails(4, &["move", "P-0002", "lost", "--reason", "Too expensive"]);
    assert_eq!(
        err,
        error(
            "`Too expensive` is not a reason Lost accepts; it accepts `Price`, `Competitor` or `No budget`"
        )
    );
    // Without a reason, the stage's `requires` refuses the move.
    let (_, err) = sb.fails(4, &["move", "P-0002", "lost"]);
    assert_eq!(
        err,
        error(
            "`P-0002` cannot enter Lost without `lost_reason`, which the stage requires\n  hint: give it with --set lost_reason=…"
        )
    );

    // A reason matches without regard to case and is written as the list spells it.
    sb.ok(&["move", "P-0002", "lost", "--reason", "price"]);
    assert!(sb.register_text().contains(
        "\nP-0002,Lost,2026-11-27,Ann Lee,Borel SA,Ann,,,,,Widgets,Price,2026-10-05,call back\n"
    ));
    assert!(sb.journal_text().ends_with(&format!(
        "{AT},{TODAY},P-0002,move,stage,qualified,lost,test,price,\n\
         {AT},{TODAY},P-0002,set,lost_reason,,Price,test,,\n"
    )));
}

#[test]
fn unknown_prospect_id() {
    let sb = Sandbox::compact();
    let (_, err) = sb.fails(4, &["move", "P-0009", "lost", "--reason", "Price"]);
    assert_eq!(
        err,
        error("no prospect has the id `P-0009`; did you mean `P-0001`, `P-0002` or `P-0003`?")
    );
    let (_, err) = sb.fails(4, &["move", "X-1", "lost", "--reason", "Price"]);
    assert_eq!(err, error("no prospect has the id `X-1`"));
    let (_, err) = sb.fails(4, &["set", "P-0009", "owner=Zoe"]);
    assert_eq!(
        err,
        error(
            "no prospect has the id `P-0009` in prospects.csv\n  hint: did you mean `P-0001`, `P-0002` or `P-0003`?"
        )
    );
    let (_, err) = sb.fails(4, &["set", "X-1", "owner=Zoe"]);
    assert_eq!(
        err,
        error(
            "no prospect has the id `X-1` in prospects.csv\n  hint: `pipe list` shows the prospects and their ids"
        )
    );
    let (_, err) = sb.fails(4, &["show", "X-1"]);
    assert_eq!(
        err,
        error(
            "no prospect has the id `X-1` in prospects.csv\n  hint: `pipe list` shows the prospects and their ids"
        )
    );
}

#[test]
fn move_dated_in_the_future_or_before_the_current_stage() {
    let sb = Sandbox::compact();
    let (_, err) = sb.fails(
        4,
        &[
            "move",
            "P-0002",
            "lost",
            "--reason",
            "Price",
            "--on",
            "2026-11-28",
        ],
    );
    assert_eq!(
        err,
        error("the move date 2026-11-28 is after today (2026-11-27)")
    );
    let (_, err) = sb.fails(
        4,
        &[
            "move",
            "P-0002",
            "lost",
            "--reason",
            "Price",
            "--on",
            "2026-10-01",
        ],
    );
    assert_eq!(
        err,
        error(
            "`P-0002` entered Qualified on 2026-10-15; the move cannot be dated 2026-10-01, before that"
        )
    );
    let (_, err) = sb.fails(2, &["move", "P-0002", "lost", "--on", "someday"]);
    assert_eq!(
        err,
        error("--on `someday` is not a date\n  hint: write it as `2026-01-31`")
    );

    // A date in the past is the stage date and the journal's date.
    sb.ok(&[
        "move",
        "P-0002",
        "lost",
        "--reason",
        "Price",
        "--on",
        "2026-11-20",
    ]);
    assert!(sb.register_text().contains("\nP-0002,Lost,2026-11-20,"));
    assert!(sb.journal_text().ends_with(&format!(
        "{AT},2026-11-20,P-0002,move,stage,qualified,lost,test,Price,\n\
         {AT},2026-11-20,P-0002,set,lost_reason,,Price,test,,\n"
    )));
}

// ------------------------------------------------------------------- safety

#[test]
fn lock_held_by_another_process() {
    let sb = Sandbox::compact();
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(sb.path(".prospects.csv.pipe-lock"))
        .unwrap();
    lock.try_lock().expect("the test takes the lock");

    let (_, err) = sb.fails_env(
        5,
        &[("PIPE_LOCK_TIMEOUT", "0.2")],
        &["move", "P-0002", "lost", "--reason", "Price"],
    );
    assert_eq!(
        err,
        error(
            "another `pipe` command is writing prospects.csv (waited 0.2 s for .prospects.csv.pipe-lock)\n  hint: run the command again when the other one has finished"
        )
    );
    // Reading commands do not wait for the lock.
    sb.ok(&["list"]);

    lock.unlock().unwrap();
    sb.ok(&["move", "P-0002", "lost", "--reason", "Price"]);
}

#[test]
fn libreoffice_lock_file_refuses_writes() {
    let sb = Sandbox::compact();
    sb.write(
        ".~lock.prospects.csv#",
        ",Jean Dupont,pc-jean,27.11.2026 09:12,file:///home/jean/.config/libreoffice/4;",
    );
    let message = "prospects.csv is open in LibreOffice by Jean Dupont on pc-jean since 27.11.2026 09:12: writing now would be lost when they save\n  hint: ask them to close it; if LibreOffice crashed, delete .~lock.prospects.csv#";
    let (_, err) = sb.fails(5, &["move", "P-0002", "lost", "--reason", "Price"]);
    assert_eq!(err, error(message));
    let (_, err) = sb.fails(5, &["set", "P-0002", "owner=Zoe"]);
    assert_eq!(err, error(message));
    let (_, err) = sb.fails(5, &["add", "--company", "Fresh Co", "--stage", "lead"]);
    assert_eq!(err, error(message));
    sb.ok(&["check"]);
}

#[test]
fn excel_lock_file_refuses_writes() {
    let sb = Sandbox::compact();
    // Excel's owner file: the user's name, after a byte giving its length.
    let mut owner = vec![11u8];
    owner.extend_from_slice(b"Jean Dupont");
    owner.resize(54, b' ');
    sb.write("~$prospects.csv", owner);
    let (_, err) = sb.fails(5, &["move", "P-0002", "lost", "--reason", "Price"]);
    assert_eq!(
        err,
        error(
            "prospects.csv is open in Excel by Jean Dupont: writing now would be lost when they save\n  hint: ask them to close it; if Excel crashed, delete ~$prospects.csv"
        )
    );
}

#[test]
fn incomplete_journal_line_refuses_writes() {
    let sb = Sandbox::compact();
    let mut journal = sb.journal_text();
    journal.push_str("2026-11-21T09:00:00.000+01:00,2026-11-21,P-0001,set,owner,,Ann,ann,,");
    sb.write("journal.csv", journal);

    let message = "the last line of journal.csv is incomplete (an interrupted write?); nothing was written\n  hint: run `pipe check` to see it, then finish or remove that line";
    let (_, err) = sb.fails(5, &["move", "P-0002", "lost", "--reason", "Price"]);
    assert_eq!(err, error(message));
    let (_, err) = sb.fails(5, &["set", "P-0002", "owner=Zoe"]);
    assert_eq!(err, error(message));
    let (_, err) = sb.fails(5, &["add", "--company", "Fresh Co", "--stage", "lead"]);
    assert_eq!(err, error(message));

    let (out, _) = sb.fails(1, &["check"]);
    assert_eq!(
        out,
        "journal.csv:12:1: error: the last line of the journal is incomplete (a write was interrupted)\n  hint: check that line against the register, then finish or remove it; `pipe` refuses to append until then\n"
    );
}

// ------------------------------------------- spreadsheets' own files, kept as they are

#[test]
fn french_excel_register_move_rewrites_only_the_stage_cells() {
    let sb = Sandbox::fixture("excel-fr");
    let before = sb.register_bytes();
    // The fixture is what Excel writes in French.
    assert!(before.starts_with("\u{feff}Réf;Étape;".as_bytes()));
    let text = String::from_utf8(before.clone()).unwrap();
    assert_eq!(text.matches("\r\n").count(), 5);
    let moved_row = "F-002;Devis envoyé;15/10/2026;Luc Berthier;\"Tôlerie Berthier; fils\";Élodie Garnier;12 500,50;15/01/2027;Machines-outils|Contrat de maintenance;;20/09/2026;\"Relancer après le salon;\nvoir avec l'atelier\"\r\n";
    assert!(text.contains(moved_row));
    sb.ok(&["check"]);

    let (out, err) = sb.ok(&["move", "F-002", "chaud"]);
    assert_eq!(out, "");
    assert_eq!(
        err,
        "moved F-002 (Tôlerie Berthier; fils) from Devis envoyé to Chaud on 27/11/2026\nwrote prospects.csv and 1 journal entry\n"
    );
    let expected = replace_once(
        &text,
        moved_row,
        "F-002;Chaud;27/11/2026;Luc Berthier;\"Tôlerie Berthier; fils\";Élodie Garnier;12 500,50;15/01/2027;Machines-outils|Contrat de maintenance;;20/09/2026;\"Relancer après le salon;\nvoir avec l'atelier\"\r\n",
    );
    assert_eq!(sb.register_text(), expected);
    assert!(sb.journal_text().ends_with(&entry(
        AT,
        "2026-11-27,F-002,move,stage,devis_envoye,chaud,test,,"
    )));
    sb.ok(&["check"]);
}

const CP1252_REGISTER: &[u8] = b"R\xe9f;\xc9tape;Depuis le;Contact;Soci\xe9t\xe9;Commercial;Montant HT;D\xe9cision pr\xe9vue;Produits;Motif de perte;Cr\xe9\xe9 le;Notes\r\n\
W-1;Devis envoy\xe9;15/10/2026;H\xe9l\xe8ne Cr\xe9pin;Cr\xe9pin Fr\xe8res;\xc9lodie Garnier;12 500,50 \x80;15/01/2027;Machines-outils;;20/09/2026;\xe0 rappeler\r\n\
W-2;\xc0 qualifier;01/10/2026;J\xe9r\xf4me N\x9cl;C\x9cur d'Acier;;;;;;01/10/2026;\r\n";

fn cp1252_sandbox() -> Sandbox {
    let sb = Sandbox::fixture("cp1252");
    sb.write("prospects.csv", CP1252_REGISTER);
    sb
}

#[test]
fn windows_1252_register_move_rewrites_only_the_stage_cells() {
    let sb = cp1252_sandbox();
    sb.ok(&["check"]);
    let (_, err) = sb.ok(&["move", "W-1", "Chaud"]);
    assert_eq!(
        err,
        "moved W-1 (Crépin Frères) from Devis envoyé to Chaud on 27/11/2026\nwrote prospects.csv and 1 journal entry\n"
    );
    let expected: &[u8] = b"R\xe9f;\xc9tape;Depuis le;Contact;Soci\xe9t\xe9;Commercial;Montant HT;D\xe9cision pr\xe9vue;Produits;Motif de perte;Cr\xe9\xe9 le;Notes\r\n\
W-1;Chaud;27/11/2026;H\xe9l\xe8ne Cr\xe9pin;Cr\xe9pin Fr\xe8res;\xc9lodie Garnier;12 500,50 \x80;15/01/2027;Machines-outils;;20/09/2026;\xe0 rappeler\r\n\
W-2;\xc0 qualifier;01/10/2026;J\xe9r\xf4me N\x9cl;C\x9cur d'Acier;;;;;;01/10/2026;\r\n";
    assert_eq!(sb.register_bytes(), expected);

    // Accented values and amounts are written in Windows-1252 and in the register's style.
    sb.ok(&[
        "move",
        "W-2",
        "devis envoye",
        "--set",
        "owner=Zoë Lefèvre",
        "--set",
        "amount=9000",
        "--set",
        "Décision prévue=01/03/2027",
    ]);
    let expected: &[u8] = b"R\xe9f;\xc9tape;Depuis le;Contact;Soci\xe9t\xe9;Commercial;Montant HT;D\xe9cision pr\xe9vue;Produits;Motif de perte;Cr\xe9\xe9 le;Notes\r\n\
W-1;Chaud;27/11/2026;H\xe9l\xe8ne Cr\xe9pin;Cr\xe9pin Fr\xe8res;\xc9lodie Garnier;12 500,50 \x80;15/01/2027;Machines-outils;;20/09/2026;\xe0 rappeler\r\n\
W-2;Devis envoy\xe9;27/11/2026;J\xe9r\xf4me N\x9cl;C\x9cur d'Acier;Zo\xeb Lef\xe8vre;9 000,00 \x80;01/03/2027;;;01/10/2026;\r\n";
    assert_eq!(sb.register_bytes(), expected);

    // The journal stays UTF-8, with stage ids.
    let journal = sb.journal_text();
    assert!(journal.ends_with(&format!(
        "{a0},2026-11-27,W-1,move,stage,devis_envoye,chaud,test,,\n\
         {a1},2026-11-27,W-2,move,stage,a_qualifier,devis_envoye,test,,\n\
         {a1},2026-11-27,W-2,set,owner,,Zoë Lefèvre,test,,\n\
         {a1},2026-11-27,W-2,set,amount,,9000,test,,\n\
         {a1},2026-11-27,W-2,set,expected_close,,2027-03-01,test,,\n",
        a0 = at(0),
        a1 = at(1)
    )));
    sb.ok(&["check"]);
}

/// A UTF-8 register with one cell that is not: `check` points at that cell,
/// and the row's other cells are still read (its id, contact and owner name
/// the alert), whether the row is read whole or cell by cell.
#[test]
fn a_cell_that_is_not_utf8_is_pointed_at_and_the_rest_of_its_row_is_read() {
    let sb = Sandbox::fixture("cp1252");
    sb.edit(
        "pipeline.toml",
        r#"encoding = "windows-1252""#,
        r#"encoding = "utf-8""#,
    );
    let mut register = "Réf;Étape;Depuis le;Contact;Société;Commercial;Montant HT;Décision prévue;Produits;Motif de perte;Créé le;Notes\r\n".as_bytes().to_vec();
    register.extend_from_slice("W-1;Devis envoyé;15/10/2026;Hélène Crépin;Cr".as_bytes());
    register.push(0xe9);
    register.extend_from_slice("pin Frères;Élodie Garnier;12 500,50 €;15/01/2027;Machines-outils;;20/09/2026;à rappeler\r\nW-2;À qualifier;01/10/2026;Jérôme Nœl;Cœur d'Acier;;;;;;01/10/2026;\r\n".as_bytes());
    sb.write("prospects.csv", &register);
    let (out, err) = sb.fails(1, &["check"]);
    assert_eq!(
        out,
        "prospects.csv:2:43: error: this cell is not valid UTF-8; if the file comes from Excel on Windows, set `encoding = \"windows-1252\"` under [register]\n"
    );
    assert_eq!(
        err,
        "Pipeline Windows-1252: prospects.csv: 2 prospects; journal.csv: 3 entries: 1 error, 0 warnings\n"
    );
    let (alerts, _) = sb.ok(&["alerts", "--format", "csv"]);
    assert_eq!(
        alerts,
        "id,name,owner,stage,rule,severity,value,threshold,message,suggested_stage\n\
         W-1,Hélène Crépin,Élodie Garnier,devis_envoye,invalid_row,critical,bad-encoding,pipe check,\"prospects.csv:2:43: this cell is not valid UTF-8; if the file comes from Excel on Windows, set `encoding = \"\"windows-1252\"\"` under [register] (ligne refusée par `pipe check`)\",\n"
    );
    assert_eq!(sb.register_bytes(), register, "nothing is written");
}

#[test]
fn windows_1252_refuses_a_character_it_cannot_hold() {
    let sb = cp1252_sandbox();
    let message = "`Łukasz` cannot be written to this register: it is in Windows-1252, which has no `Ł`\n  hint: use other characters, or convert the register to UTF-8 (and set `encoding = \"utf-8\"` under [register])";
    let (_, err) = sb.fails(4, &["set", "W-2", "name=Łukasz"]);
    assert_eq!(err, error(message));
    let (_, err) = sb.fails(4, &["move", "W-1", "chaud", "--set", "name=Łukasz"]);
    assert_eq!(err, error(message));
    let (_, err) = sb.fails(4, &["add", "--company", "Łukasz sp. z o.o."]);
    assert_eq!(
        err,
        error(&message.replace("`Łukasz`", "`Łukasz sp. z o.o.`"))
    );
    assert_eq!(sb.register_bytes(), CP1252_REGISTER);
}

// ------------------------------------------------------------------ dry runs

#[test]
fn dry_run_move_writes_nothing() {
    let sb = Sandbox::compact();
    let out = sb.dry_run(&[
        "move",
        "P-0002",
        "proposal",
        "--set",
        "amount=4500",
        "--set",
        "expected_close=2027-02-01",
    ]);
    assert_eq!(
        out,
        "would move P-0002 (Borel SA) from Qualified to Proposal on 2026-11-27\n  and set amount = 4500.00\n  and set expected_close = 2027-02-01\n"
    );
    // A refused move is shown as such, with the refusal's exit code.
    let (out, _) = sb.fails(4, &["move", "P-0002", "won", "-n"]);
    assert_eq!(
        out,
        "refused: `P-0002` cannot go from Qualified to Won: the pipeline allows `Proposal` or `Lost` next\n"
    );
}

#[test]
fn dry_run_set_writes_nothing() {
    let sb = Sandbox::compact();
    let out = sb.dry_run(&["set", "P-0003", "amount=13000", "notes=urgent"]);
    assert_eq!(
        out,
        "would set amount = 13000.00 on P-0003\nwould set notes = urgent on P-0003\n"
    );
}

#[test]
fn dry_run_add_writes_nothing() {
    let sb = Sandbox::compact();
    let out = sb.dry_run(&["add", "--company", "Fresh Co", "--owner", "Ann"]);
    assert_eq!(
        out,
        "would add P-0006 (Fresh Co) in Qualified on 2026-11-27\n"
    );
}

#[test]
fn dry_run_undo_writes_nothing() {
    let sb = Sandbox::compact();
    let out = sb.dry_run(&["undo"]);
    assert_eq!(out, "would have moved P-0004 back to Proposal\n");
}

#[test]
fn dry_run_sync_writes_nothing() {
    let sb = Sandbox::compact();
    sb.edit(
        "prospects.csv",
        "P-0003,Proposal,2026-11-02,",
        "P-0003,Won,2026-11-26,",
    );
    let out = sb.dry_run(&["sync"]);
    assert_eq!(out, "would record P-0003: Proposal → Won\n");
}

#[test]
fn dry_run_batch_writes_nothing() {
    let sb = Sandbox::compact();
    sb.write("batch.csv", GOOD_BATCH);
    let out = sb.dry_run(&["move", "--batch", "batch.csv"]);
    assert_eq!(
        out,
        "would move P-0001 (Acme Tools) from Lead to Qualified on 2026-11-25\n  and set owner = Ann\nwould move P-0002 (Borel SA) from Qualified to Proposal on 2026-11-27\n  and set amount = 4500.00\n  and set expected_close = 2027-02-01\nwould move P-0003 (Cobalt Ltd) from Proposal to Won on 2026-11-27\n"
    );
}

#[test]
fn a_refused_move_leaves_its_row_as_it_was_for_the_next() {
    let sb = Sandbox::compact();
    // P-0002 is refused Proposal once its stage, stage date and owner are
    // set (it has no amount); the next line then moves it from Qualified,
    // not from Proposal, and changes its owner still. P-0001 is refused
    // the same after a first move: it is left as that move made it.
    sb.write(
        "batch.csv",
        "id,stage,date,owner,reason\nP-0002,Proposal,2026-11-20,Bob,\nP-0002,Lost,2026-11-21,Bob,Price\n\
         P-0001,Qualified,2026-11-20,Ann,\nP-0001,Proposal,2026-11-21,Bob,\nP-0001,Lost,2026-11-22,Bob,Price\n",
    );
    let args = ["move", "--batch", "batch.csv", "--dry-run"];
    let (out, err) = sb.fails(4, &args);
    assert_eq!(
        out,
        "\
would move P-0002 (Borel SA) from Qualified to Lost on 2026-11-21
  and set owner = Bob
  and set lost_reason = Price
would move P-0001 (Acme Tools) from Lead to Qualified on 2026-11-20
  and set owner = Ann
would move P-0001 (Acme Tools) from Qualified to Lost on 2026-11-22
  and set owner = Bob
  and set lost_reason = Price
refused: batch.csv:2: `P-0002` cannot enter Proposal without `amount` and `expected_close`, which the stage requires
  hint: give them with --set amount=… --set expected_close=…
refused: batch.csv:5: `P-0001` cannot enter Proposal without `amount` and `expected_close`, which the stage requires
  hint: give them with --set amount=… --set expected_close=…
"
    );
    assert_eq!(err, "");
}

// -------------------------------------------------------------------- batches

const GOOD_BATCH: &str = "\
id,stage,date,note,owner,amount,expected_close
P-0001,Qualified,2026-11-25,met at the fair,Ann,,
P-0002,proposal,,quote Q-7,,4500,2027-02-01
P-0003,WON,,,,,
";

#[test]
fn batch_with_a_bad_line_is_refused_whole() {
    let sb = Sandbox::compact();
    sb.write(
        "batch.csv",
        "\
id,stage,date,note,owner,amount,expected_close
P-0001,Qualified,2026-11-25,met at the fair,Ann,,
P-0002,Won,,,,,
P-0009,Lost,,,,,
P-0003,Won,,,,,
",
    );
    let (out, err) = sb.fails(4, &["move", "--batch", "batch.csv"]);
    assert_eq!(out, "");
    assert_eq!(
        err,
        error(
            "2 of 4 moves refused; nothing was written\nbatch.csv:3: `P-0002` cannot go from Qualified to Won: the pipeline allows `Proposal` or `Lost` next\nbatch.csv:4: no prospect has the id `P-0009`; did you mean `P-0001`, `P-0002` or `P-0003`?"
        )
    );

    // A batch file that is not one is invalid (exit 3).
    sb.write("bad.csv", "who,where\nP-0001,Lost\n");
    let (_, err) = sb.fails(3, &["move", "--batch", "bad.csv"]);
    assert_eq!(
        err,
        error(
            "bad.csv:1: the batch file needs `id` and `stage` columns; its header is `who,where`\n  hint: optional columns are date, reason, note, by and any field to set"
        )
    );
}

#[test]
fn batch_applies_every_move_in_one_group() {
    let sb = Sandbox::compact();
    let original = sb.register_text();
    sb.write("batch.csv", GOOD_BATCH);
    let (out, err) = sb.ok(&["move", "--batch", "batch.csv"]);
    assert_eq!(out, "");
    assert_eq!(
        err,
        "moved P-0001 (Acme Tools) from Lead to Qualified on 2026-11-25; set owner = Ann\nmoved P-0002 (Borel SA) from Qualified to Proposal on 2026-11-27; set amount = 4500.00, expected_close = 2027-02-01\nmoved P-0003 (Cobalt Ltd) from Proposal to Won on 2026-11-27\nwrote prospects.csv and 6 journal entries\n"
    );
    assert_eq!(
        sb.register_text(),
        "\
id,stage,stage_since,name,company,owner,amount,probability,expected_close,next_action,products,lost_reason,created,notes
P-0001,Qualified,2026-11-25,,Acme Tools,Ann,,,,,,,2026-10-01,
P-0002,Proposal,2026-11-27,Ann Lee,Borel SA,Ann,4500.00,,2027-02-01,,Widgets,,2026-10-05,call back
P-0003,Won,2026-11-27,Jo Marsh,Cobalt Ltd,Bob,12500.00,,2027-01-15,2026-12-01,Widgets|Gadgets,,2026-10-10,
P-0004,Won,2026-11-20,Li Chen,Dunmore,Ann,8000.00,,2026-11-20,,Gadgets,,2026-09-01,
P-0005,Lost,2026-11-10,Max Roy,Elm & Co,Bob,3000.00,,,,,Price,2026-09-15,
"
    );
    assert!(sb.journal_text().ends_with(
        "\
2026-11-27T10:00:00.000+01:00,2026-11-25,P-0001,move,stage,lead,qualified,test,,met at the fair
2026-11-27T10:00:00.000+01:00,2026-11-25,P-0001,set,owner,,Ann,test,,met at the fair
2026-11-27T10:00:00.000+01:00,2026-11-27,P-0002,move,stage,qualified,proposal,test,,quote Q-7
2026-11-27T10:00:00.000+01:00,2026-11-27,P-0002,set,amount,,4500,test,,quote Q-7
2026-11-27T10:00:00.000+01:00,2026-11-27,P-0002,set,expected_close,,2027-02-01,test,,quote Q-7
2026-11-27T10:00:00.000+01:00,2026-11-27,P-0003,move,stage,proposal,won,test,,
"
    ));
    sb.ok(&["check"]);

    // One command, one group: a single undo takes the whole batch back.
    sb.ok(&["undo"]);
    assert_eq!(sb.register_text(), original);
}

// ---------------------------------------------------------------- concurrency

#[test]
fn twenty_concurrent_moves_all_land() {
    let sb = Sandbox::compact();
    let ids: Vec<String> = (1..=20).map(|i| format!("C-{i:02}")).collect();
    let mut register = String::from(
        "id,stage,stage_since,name,company,owner,amount,probability,expected_close,next_action,products,lost_reason,created,notes\n",
    );
    let mut journal = format!("{JOURNAL_HEADER}\n");
    for id in &ids {
        writeln!(
            register,
            "{id},Qualified,2026-11-02,,Company {id},Ann,1000.00,,2027-01-31,,,,2026-11-02,"
        )
        .unwrap();
        writeln!(
            journal,
            "2026-11-02T09:00:00.000+01:00,2026-11-02,{id},add,stage,,qualified,ann,,"
        )
        .unwrap();
    }
    sb.write("prospects.csv", &register);
    sb.write("journal.csv", &journal);
    sb.ok(&["check"]);

    let children: Vec<_> = ids
        .iter()
        .map(|id| {
            let mut cmd = sb.command(&["move", id, "proposal"]);
            cmd.env("PIPE_LOCK_TIMEOUT", "120")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    for (id, child) in ids.iter().zip(children) {
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{id}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let expected = ids.iter().fold(register.clone(), |r, id| {
        r.replace(
            &format!("{id},Qualified,2026-11-02,"),
            &format!("{id},Proposal,2026-11-27,"),
        )
    });
    assert_eq!(sb.register_text(), expected);

    let text = sb.journal_text();
    assert!(
        text.starts_with(&journal),
        "the journal was only appended to"
    );
    let new = parse_csv(&text[journal.len()..]);
    assert_eq!(new.len(), 20);
    let moved: BTreeSet<&str> = new.iter().map(|e| e[2].as_str()).collect();
    assert_eq!(moved, ids.iter().map(String::as_str).collect());
    let times: BTreeSet<&str> = new.iter().map(|e| e[0].as_str()).collect();
    assert_eq!(times.len(), 20, "each command has its own `at`");
    for e in &new {
        let id = &e[2];
        assert_eq!(
            e[1..].join(","),
            format!("{TODAY},{id},move,stage,qualified,proposal,test,,")
        );
    }
    sb.ok(&["check"]);
}

// ----------------------------------------------------------------- commands

#[test]
fn add_generates_the_next_id_and_enforces_requires() {
    let sb = Sandbox::compact();
    // The highest id need not be the last row.
    sb.edit(
        "prospects.csv",
        "\nP-0001,",
        "\nP-0042,Lead,2026-11-01,,Zeta,,,,,,,,2026-11-01,\nP-0001,",
    );

    // The default stage is the first prospect stage, Qualified, which requires an owner.
    let (_, err) = sb.fails(4, &["add", "--company", "Fresh Co"]);
    assert_eq!(
        err,
        error(
            "Qualified requires `owner`\n  hint: give --owner …, or add the prospect at an earlier stage"
        )
    );
    let (_, err) = sb.fails(
        4,
        &[
            "add",
            "--company",
            "Fresh Co",
            "--owner",
            "Ann",
            "--stage",
            "proposal",
        ],
    );
    assert_eq!(
        err,
        error(
            "Proposal requires `amount` and `expected_close`\n  hint: give --amount … --expected-close …, or add the prospect at an earlier stage"
        )
    );
    let (_, err) = sb.fails(
        4,
        &[
            "add",
            "--id",
            "P-0002",
            "--company",
            "Fresh Co",
            "--stage",
            "lead",
        ],
    );
    assert_eq!(
        err,
        error("the id `P-0002` is already used on line 4 of prospects.csv")
    );
    // A blank id is refused as such, even where the register has a row without an id.
    let kept = sb.register_text();
    let blank = format!("{kept},Qualified,2026-11-01,Ann Lee,Borel SA,Ann,,,,,,,2026-11-01,\n");
    sb.write("prospects.csv", &blank);
    let (_, err) = sb.fails(4, &["add", "--id", "  ", "--company", "Fresh Co"]);
    assert_eq!(err, error("the id cannot be empty"));
    assert_eq!(sb.register_text(), blank);
    sb.write("prospects.csv", kept);
    let (_, err) = sb.fails(4, &["add", "--company", "Fresh Co", "--amount", "lots"]);
    assert_eq!(
        err,
        error("`lots` is not an amount: write digits, such as `12500.50` or `12 500,50`")
    );

    let (out, err) = sb.ok(&[
        "add",
        "--company",
        "Fresh Co",
        "--name",
        "Zoe Hart",
        "--owner",
        "Ann",
        "--products",
        "widgets|GADGETS",
        "--note",
        "inbound call",
    ]);
    assert_eq!(out, "P-0043\n");
    assert_eq!(
        err,
        "added P-0043 (Fresh Co) in Qualified on 2026-11-27; wrote prospects.csv and 1 journal entry\n"
    );
    assert!(sb.register_text().ends_with(
        "\nP-0005,Lost,2026-11-10,Max Roy,Elm & Co,Bob,3000.00,,,,,Price,2026-09-15,\nP-0043,Qualified,2026-11-27,Zoe Hart,Fresh Co,Ann,,,,,Widgets|Gadgets,,2026-11-27,\n"
    ));
    assert!(sb.journal_text().ends_with(&entry(
        AT,
        "2026-11-27,P-0043,add,stage,,qualified,test,,inbound call"
    )));

    let (out, _) = sb.ok(&[
        "add",
        "--company",
        "Other Co",
        "--stage",
        "Lead",
        "--on",
        "2026-11-20",
    ]);
    assert_eq!(out, "P-0044\n");
    assert!(
        sb.register_text()
            .ends_with("\nP-0044,Lead,2026-11-20,,Other Co,,,,,,,,2026-11-20,\n")
    );
    assert!(
        sb.journal_text()
            .ends_with(&entry(&at(1), "2026-11-20,P-0044,add,stage,,lead,test,,"))
    );
}

#[test]
fn add_to_the_shipped_example_follows_its_highest_id() {
    let sb = Sandbox::shipped();
    let (out, _) = sb.ok(&[
        "add",
        "--company",
        "Fonderie Martin",
        "--owner",
        "Karim Benali",
        "--name",
        "Léa Martin",
    ]);
    assert_eq!(out, "P-0105\n");
    assert!(sb.register_text().ends_with(
        "\r\nP-0105;À qualifier;27/11/2026;Léa Martin;Fonderie Martin;;Karim Benali;;;;;;;;27/11/2026;\r\n"
    ));
    sb.ok(&["check"]);
}

#[test]
fn set_journals_canonical_values_and_writes_the_register_style() {
    let sb = Sandbox::fixture("excel-fr");
    let before = sb.register_text();
    let (out, err) = sb.ok(&[
        "set",
        "F-003",
        "amount=9 100,5",
        "Décision prévue=2027-02-15",
        "products=machines outils|Contrat de maintenance",
        "Notes=à relancer, urgent",
        "--reason",
        "appel client",
    ]);
    assert_eq!(out, "");
    assert_eq!(
        err,
        "set Montant HT = 9 100,50, Décision prévue = 15/02/2027, Produits = Machines-outils|Contrat de maintenance, Notes = à relancer, urgent on F-003; wrote prospects.csv and 4 journal entries\n"
    );
    assert_eq!(
        sb.register_text(),
        replace_once(
            &before,
            "F-003;Chaud;05/11/2026;Anne Vial;Décolletage Vial;Julien Marchetti;8 400,00;20/12/2026;Machines-outils;;12/09/2026;client historique\r\n",
            "F-003;Chaud;05/11/2026;Anne Vial;Décolletage Vial;Julien Marchetti;9 100,50;15/02/2027;Machines-outils|Contrat de maintenance;;12/09/2026;à relancer, urgent\r\n",
        )
    );
    // The journal holds ISO dates, plain decimals, product ids, and a user column by its header.
    assert!(sb.journal_text().ends_with(
        "\
2026-11-27T10:00:00.000+01:00,2026-11-27,F-003,set,amount,8400.00,9100.5,test,appel client,
2026-11-27T10:00:00.000+01:00,2026-11-27,F-003,set,expected_close,2026-12-20,2027-02-15,test,appel client,
2026-11-27T10:00:00.000+01:00,2026-11-27,F-003,set,products,machines_outils,machines_outils|contrat_maintenance,test,appel client,
2026-11-27T10:00:00.000+01:00,2026-11-27,F-003,set,Notes,client historique,\"à relancer, urgent\",test,appel client,
"
    ));
    // The same values again change nothing.
    let (_, err) = sb.ok(&["set", "F-003", "amount=9100.50"]);
    assert_eq!(err, "`F-003` already has these values; nothing to do\n");
    sb.ok(&["check"]);
}

#[test]
fn set_refuses_what_breaks_a_rule() {
    let sb = Sandbox::compact();
    let (_, err) = sb.fails(4, &["set", "P-0003", "amount="]);
    assert_eq!(
        err,
        error("Proposal requires `amount`; `P-0003` cannot be left without it")
    );
    let (_, err) = sb.fails(4, &["set", "P-0003", "stage=won"]);
    assert_eq!(
        err,
        error("change the stage with `pipe move`, which checks the pipeline's rules")
    );
    let (_, err) = sb.fails(4, &["set", "P-0003", "id=P-0300"]);
    assert_eq!(err, error("a prospect's id cannot be changed"));
    let (_, err) = sb.fails(4, &["set", "P-0003", "amout=1"]);
    assert_eq!(
        err,
        error("the register has no field or column `amout`; did you mean `amount`?")
    );
    let (_, err) = sb.fails(4, &["set", "P-0003", "expected_close=15/01/2027"]);
    assert_eq!(
        err,
        error("expected_close `15/01/2027` is not a date; write it as `2026-01-31`")
    );
    let (_, err) = sb.fails(2, &["set", "P-0003", "amount"]);
    assert!(err.contains("`amount` is not FIELD=VALUE"), "{err}");
}

#[test]
fn list_filters_and_formats() {
    let sb = Sandbox::compact();
    let ids = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["list", "--format", "csv"];
        all.extend_from_slice(args);
        let (out, _) = sb.ok(&all);
        parse_csv(&out)
            .into_iter()
            .skip(1)
            .map(|r| r[0].clone())
            .collect()
    };
    assert_eq!(ids(&[]), ["P-0001", "P-0002", "P-0003", "P-0004", "P-0005"]);
    assert_eq!(ids(&["--stage", "proposal"]), ["P-0003"]);
    assert_eq!(
        ids(&["--stage", "Lead", "--stage", "LOST"]),
        ["P-0001", "P-0005"]
    );
    assert_eq!(ids(&["--owner", "ann"]), ["P-0002", "P-0004"]);
    assert_eq!(ids(&["--product", "Gadgets"]), ["P-0003", "P-0004"]);
    assert_eq!(ids(&["--phase", "client"]), ["P-0004"]);
    assert_eq!(
        ids(&["--phase", "prospect", "--owner", "Bob"]),
        ["P-0003", "P-0005"]
    );

    // CSV: canonical values under fixed headers.
    let (out, _) = sb.ok(&["list", "--format", "csv", "--stage", "proposal"]);
    assert_eq!(
        out,
        "\
id,stage,stage_since,name,company,owner,amount,probability,expected_close,next_action,products,lost_reason,created
P-0003,proposal,2026-11-02,Jo Marsh,Cobalt Ltd,Bob,12500.00,,2027-01-15,2026-12-01,widgets|gadgets,,2026-10-10
"
    );

    // JSON.
    let (out, _) = sb.ok(&["list", "--format", "json", "--owner", "Ann"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["id"], "P-0004");
    assert_eq!(items[1]["stage"], "won");
    assert_eq!(items[1]["stage_label"], "Won");
    assert_eq!(items[1]["amount"], "8000.00");
    assert_eq!(items[1]["products"], serde_json::json!(["gadgets"]));
    assert_eq!(items[1]["created"], "2026-09-01");
    assert_eq!(items[0]["amount"], serde_json::Value::Null);

    // Table.
    let (out, _) = sb.ok(&["list", "--owner", "Bob"]);
    assert_eq!(
        table_rows(&out),
        [
            "P-0003 | Proposal | 25 | Cobalt Ltd | Bob | €12,500.00 | 2027-01-15",
            "P-0005 | Lost | 17 | Elm & Co | Bob | €3,000.00 | ",
        ]
    );
    assert!(out.ends_with("\n2 prospects\n"), "{out}");

    // Filters naming nothing are usage errors.
    let (_, err) = sb.fails(2, &["list", "--stage", "propsal"]);
    assert_eq!(
        err,
        error("unknown stage `propsal`; did you mean `Proposal`?")
    );
    let (_, err) = sb.fails(2, &["list", "--phase", "lead"]);
    assert_eq!(
        err,
        error("unknown phase `lead`; the phases are `suspect`, `prospect` and `client`")
    );
}

#[test]
fn show_prints_the_fields_and_the_history_with_days_in_stage() {
    let sb = Sandbox::compact();
    let (out, _) = sb.ok(&["show", "P-0003"]);
    assert!(
        out.starts_with(
            "\
id              P-0003
stage           Proposal
stage_since     2026-11-02
name            Jo Marsh
company         Cobalt Ltd
owner           Bob
amount          12500.00
probability     \n\
expected_close  2027-01-15
next_action     2026-12-01
products        Widgets|Gadgets
lost_reason     \n\
created         2026-10-10
notes           \n\
\n"
        ),
        "{out}"
    );
    assert!(out.contains("\nHistory (journal.csv)\n"), "{out}");
    assert_eq!(
        table_rows(&out),
        [
            "2026-10-10 | add → Qualified | bob |  | 23",
            "2026-11-02 | move: Qualified → Proposal | bob | sent quote Q-12 | 25 (so far)",
        ]
    );

    // After a move and a set, the history grows; days count up to the next move.
    sb.ok(&[
        "move",
        "P-0003",
        "won",
        "--on",
        "2026-11-22",
        "--note",
        "signed",
    ]);
    sb.ok(&["set", "P-0003", "amount=12800"]);
    let (out, _) = sb.ok(&["show", "P-0003"]);
    assert!(
        out.contains("\nstage           Won\nstage_since     2026-11-22\n"),
        "{out}"
    );
    assert_eq!(
        table_rows(&out),
        [
            "2026-10-10 | add → Qualified | bob |  | 23",
            "2026-11-02 | move: Qualified → Proposal | bob | sent quote Q-12 | 20",
            "2026-11-22 | move: Proposal → Won | test | signed | 5 (so far)",
            "2026-11-27 | set amount: 12500.00 → 12800 | test |  | ",
        ]
    );
}

#[test]
fn undo_restores_the_register_byte_for_byte_and_walks_back() {
    let sb = Sandbox::compact();
    let s0 = sb.register_bytes();
    sb.ok(&["set", "P-0002", "owner=Zoe", "notes="]);
    let s1 = sb.register_bytes();
    sb.ok(&[
        "move",
        "P-0002",
        "proposal",
        "--set",
        "amount=4500",
        "--set",
        "expected_close=2027-02-01",
    ]);
    assert_ne!(sb.register_bytes(), s1);

    let (out, err) = sb.ok(&["undo"]);
    assert_eq!(out, "");
    assert_eq!(
        err,
        "set P-0002's expected_close back to ``\nset P-0002's amount back to ``\nmoved P-0002 back to Qualified\nundid the change recorded at 2026-11-27T10:00:00.001+01:00 (journal line 14)\n"
    );
    assert_eq!(sb.register_bytes(), s1);

    // A second undo takes back the change before.
    let (_, err) = sb.ok(&["undo"]);
    assert!(err.contains("set P-0002's owner back to `Ann`"), "{err}");
    assert_eq!(sb.register_bytes(), s0);

    // A third one reaches the fixture's history: P-0004 goes back to Proposal, with its date.
    sb.ok(&["undo"]);
    assert_eq!(
        String::from_utf8(sb.register_bytes()).unwrap(),
        replace_once(
            &String::from_utf8(s0).unwrap(),
            "P-0004,Won,2026-11-20,",
            "P-0004,Proposal,2026-10-20,"
        )
    );

    // Every undo is journaled as the inverse of what it took back.
    let entries = sb.journal_entries();
    let undo = |e: &Vec<String>| e[3] == "undo";
    let undone: Vec<Vec<&str>> = entries
        .iter()
        .filter(|e| undo(e))
        .map(|e| {
            vec![
                e[0].as_str(),
                e[2].as_str(),
                e[4].as_str(),
                e[5].as_str(),
                e[6].as_str(),
            ]
        })
        .collect();
    assert_eq!(
        undone,
        [
            vec![at(2).as_str(), "P-0002", "expected_close", "2027-02-01", ""],
            vec![at(2).as_str(), "P-0002", "amount", "4500", ""],
            vec![at(2).as_str(), "P-0002", "stage", "proposal", "qualified"],
            vec![at(3).as_str(), "P-0002", "notes", "", "call back"],
            vec![at(3).as_str(), "P-0002", "owner", "Zoe", "Ann"],
            vec![at(4).as_str(), "P-0004", "stage", "won", "proposal"],
        ]
    );
    sb.ok(&["check"]);
}

#[test]
fn undo_after_undo_gives_back_the_first_stage_date() {
    // P-0003 entered Proposal on 2026-11-02 (journaled). Moved, taken back,
    // moved and taken back again, it is back in Proposal since 2026-11-02:
    // the first undo's own entry is not when it entered the stage.
    let sb = Sandbox::compact();
    let s0 = sb.register_bytes();
    for _ in 0..2 {
        sb.ok(&["move", "P-0003", "won"]);
        assert_ne!(sb.register_bytes(), s0);
        sb.ok(&["undo"]);
        assert_eq!(
            String::from_utf8(sb.register_bytes()).unwrap(),
            String::from_utf8(s0.clone()).unwrap()
        );
    }
    sb.ok(&["check"]);
}

#[test]
fn undo_refuses_when_the_row_was_edited_since() {
    let sb = Sandbox::compact();
    sb.ok(&["set", "P-0003", "amount=13000"]);
    // Someone changes the amount in a spreadsheet.
    sb.edit("prospects.csv", ",13000.00,", ",13500.00,");
    let (_, err) = sb.fails(4, &["undo"]);
    assert_eq!(
        err,
        error(
            "cannot undo: `P-0003`'s amount is now `13500.00`, not `13000` as the change left it (journal line 12); it was edited since\n  hint: change it back by hand with `pipe move` or `pipe set`"
        )
    );
}

#[test]
fn undo_of_an_add_removes_the_row() {
    let sb = Sandbox::fixture("excel-fr");
    let before = sb.register_bytes();
    let (out, _) = sb.ok(&["add", "--company", "Usinage Morel", "--name", "Ève Morel"]);
    assert_eq!(out, "F-005\n");
    assert!(sb.register_text().ends_with(
        "\r\nF-005;À qualifier;27/11/2026;Ève Morel;Usinage Morel;;;;;;27/11/2026;\r\n"
    ));
    let (_, err) = sb.ok(&["undo"]);
    assert!(
        err.starts_with("removed F-005 (added on 2026-11-27)\n"),
        "{err}"
    );
    assert_eq!(sb.register_bytes(), before);
    assert!(sb.journal_text().ends_with(&format!(
        "{},2026-11-27,F-005,undo,stage,a_qualifier,,test,,undoes the change recorded at {AT}\n",
        at(1)
    )));
    let (out, _) = sb.ok(&["check"]);
    assert_eq!(out, "");
}

#[test]
fn undo_restores_the_stage_date_of_a_prospect_without_history() {
    let sb = Sandbox::compact();
    // A row typed into the spreadsheet: it has no entry in the journal.
    let mut register = sb.register_text();
    register.push_str("P-0042,Lead,2026-11-01,,Zeta,,,,,,,,2026-11-01,\n");
    sb.write("prospects.csv", &register);
    sb.ok(&["move", "P-0042", "lost", "--reason", "Price"]);
    sb.ok(&["undo"]);
    assert_eq!(sb.register_text(), register);
}

#[test]
fn undo_with_nothing_to_undo() {
    let sb = Sandbox::empty();
    sb.ok(&["init", "."]);
    let (_, err) = sb.fails(4, &["undo"]);
    assert_eq!(err, error("there is nothing to undo in journal.csv"));
}

#[test]
fn sync_records_hand_edits_of_the_stage() {
    let sb = Sandbox::compact();
    // Someone moves P-0003 to Won in a spreadsheet.
    sb.edit(
        "prospects.csv",
        "P-0003,Proposal,2026-11-02,",
        "P-0003,Won,2026-11-26,",
    );
    let register = sb.register_bytes();

    let (out, err) = sb.fails(1, &["check"]);
    assert_eq!(
        out,
        "prospects.csv:4: error: `P-0003` is in Won here, but the journal's last record (journal.csv:9) has it in Proposal\n  hint: the register was edited outside `pipe` (or a `pipe` command was interrupted); run `pipe sync` to record the change in the journal\n"
    );
    assert!(err.ends_with(": 1 error, 0 warnings\n"), "{err}");

    let (out, err) = sb.ok(&["sync"]);
    assert_eq!(out, "recorded P-0003: Proposal → Won\n");
    assert_eq!(err, "appended 1 entry to journal.csv\n");
    assert_eq!(
        sb.register_bytes(),
        register,
        "sync leaves the register alone"
    );
    assert!(sb.journal_text().ends_with(&entry(
        AT,
        "2026-11-26,P-0003,sync,stage,proposal,won,external edit,,"
    )));

    let (out, _) = sb.ok(&["check"]);
    assert_eq!(out, "");
    let (out, err) = sb.ok(&["sync"]);
    assert_eq!(out, "");
    assert_eq!(
        err,
        "the journal already agrees with prospects.csv; nothing to record\n"
    );
}

#[test]
fn sync_records_rows_deleted_by_hand_in_journal_order() {
    let sb = Sandbox::compact();
    let register = sb.register_text();
    let kept: String = register
        .lines()
        .filter(|l| {
            !["P-0001", "P-0003", "P-0005"]
                .iter()
                .any(|id| l.starts_with(id))
        })
        .flat_map(|l| [l, "\n"])
        .collect();
    sb.write("prospects.csv", &kept);

    let (out, _) = sb.ok(&["check"]);
    assert_eq!(
        out,
        "\
journal.csv:4: warning: `P-0001` is in the journal but not in the register
  hint: if the row was deleted on purpose, run `pipe sync` to record it; otherwise restore it
journal.csv:9: warning: `P-0003` is in the journal but not in the register
  hint: if the row was deleted on purpose, run `pipe sync` to record it; otherwise restore it
journal.csv:10: warning: `P-0005` is in the journal but not in the register
  hint: if the row was deleted on purpose, run `pipe sync` to record it; otherwise restore it
"
    );
    let (out, _) = sb.ok(&["sync"]);
    assert_eq!(
        out,
        "\
recorded P-0001: Lead → (removed from the register)
recorded P-0003: Proposal → (removed from the register)
recorded P-0005: Lost → (removed from the register)
"
    );
    // The same entries in the same order on every run: the journal is reproducible.
    assert!(sb.journal_text().ends_with(&format!(
        "\
{AT},2026-11-27,P-0001,sync,stage,lead,,external edit,,
{AT},2026-11-27,P-0003,sync,stage,proposal,,external edit,,
{AT},2026-11-27,P-0005,sync,stage,lost,,external edit,,
"
    )));
    assert_eq!(sb.register_text(), kept);
    let (out, _) = sb.ok(&["check"]);
    assert_eq!(out, "");
}

#[test]
fn init_starts_a_working_pipeline_and_never_overwrites() {
    let sb = Sandbox::empty();
    let (out, err) = sb.ok(&["init", "crm"]);
    assert_eq!(out, "");
    assert_eq!(
        err,
        "wrote crm/pipeline.toml\nwrote crm/prospects.csv\nwrote crm/journal.csv\nwrote crm/activities.csv\nnext: edit pipeline.toml, then `pipe add --company …` or open prospects.csv in your spreadsheet\n"
    );
    let files: Vec<String> = files_under(&sb.path("crm")).into_keys().collect();
    assert_eq!(
        files,
        [
            "activities.csv",
            "journal.csv",
            "pipeline.toml",
            "prospects.csv"
        ]
    );
    assert_eq!(sb.text("crm/journal.csv"), format!("{JOURNAL_HEADER}\n"));
    assert_eq!(
        sb.text("crm/prospects.csv"),
        "\u{feff}id;stage;stage_since;name;company;owner;amount;probability;expected_close;next_action;products;lost_reason;created\r\n"
    );

    let (out, err) = sb.ok(&["-c", "crm/pipeline.toml", "check"]);
    assert_eq!(out, "");
    assert!(
        err.ends_with(
            "crm/prospects.csv: 0 prospects; crm/journal.csv: 0 entries; crm/activities.csv: 0 activities: 0 errors, 0 warnings\n"
        ),
        "{err}"
    );

    // The starter works: a prospect can be added and checked.
    let (out, _) = sb.ok(&[
        "-c",
        "crm/pipeline.toml",
        "add",
        "--company",
        "Acme",
        "--owner",
        "Ann",
    ]);
    assert_eq!(out, "P-0001\n");
    sb.ok(&["-c", "crm/pipeline.toml", "check"]);

    let (_, err) = sb.fails(5, &["init", "crm"]);
    assert_eq!(
        err,
        error(
            "`crm/pipeline.toml`, `crm/prospects.csv`, `crm/journal.csv` and `crm/activities.csv` already exist; nothing was written\n  hint: `pipe init` never overwrites; choose an empty folder with `pipe init DIR`"
        )
    );

    // One file in the way is enough to write nothing.
    sb.write("other/journal.csv", "keep me\n");
    let (_, err) = sb.fails(5, &["init", "other"]);
    assert_eq!(
        err,
        error(
            "`other/journal.csv` already exists; nothing was written\n  hint: `pipe init` never overwrites; choose an empty folder with `pipe init DIR`"
        )
    );
    assert!(!sb.path("other/pipeline.toml").exists());
}

#[test]
fn journal_entries_use_ids_iso_dates_and_one_at_per_command() {
    let sb = Sandbox::compact();
    let before = sb.journal_text();
    sb.ok(&[
        "move",
        "P-0002",
        "Proposal",
        "--set",
        "amount=4 500,5",
        "--set",
        "expected_close=2027-02-01",
        "--by",
        "Ann",
        "--note",
        "quote, sent by mail",
    ]);
    sb.ok(&["move", "P-0001", "LOST", "--reason", "no budget"]);
    sb.ok(&["add", "--company", "Fresh Co", "--stage", "lead"]);

    let text = sb.journal_text();
    assert!(text.starts_with(&before), "the journal is only appended to");
    assert!(text.starts_with(&format!("{JOURNAL_HEADER}\n")));
    assert_eq!(
        &text[before.len()..],
        format!(
            "\
{a0},2026-11-27,P-0002,move,stage,qualified,proposal,Ann,,\"quote, sent by mail\"
{a0},2026-11-27,P-0002,set,amount,,4500.5,Ann,,\"quote, sent by mail\"
{a0},2026-11-27,P-0002,set,expected_close,,2027-02-01,Ann,,\"quote, sent by mail\"
{a1},2026-11-27,P-0001,move,stage,lead,lost,test,no budget,
{a1},2026-11-27,P-0001,set,lost_reason,,No budget,test,,
{a2},2026-11-27,P-0006,add,stage,,lead,test,,
",
            a0 = at(0),
            a1 = at(1),
            a2 = at(2)
        )
    );
    // The register shows labels and its own amount style; the journal, ids and plain decimals.
    let register = sb.register_text();
    assert!(
        register.contains("\nP-0002,Proposal,2026-11-27,Ann Lee,Borel SA,Ann,4500.50,,2027-02-01,")
    );
    assert!(
        register.contains("\nP-0001,Lost,2026-11-27,,Acme Tools,,,,,,,No budget,2026-10-01,\n")
    );
    sb.ok(&["check"]);
}

#[test]
fn usage_errors_exit_2() {
    let sb = Sandbox::compact();
    let (_, err) = sb.fails(2, &["move", "P-0002"]);
    assert!(
        err.contains("required arguments were not provided"),
        "{err}"
    );
    let (_, err) = sb.fails(2, &["move", "--batch", "b.csv", "P-0002", "lost"]);
    assert!(err.contains("cannot be used with"), "{err}");
}
