//! The fast paths against the straightforward ones, on the whole binary.
//!
//! Large files are parsed on a second thread (`src/par.rs`); `PIPE_THREADS=1`
//! keeps everything on one thread and `PIPE_THREADS=2` uses the second thread
//! whatever the size. A large journal's steps are cached beside it
//! (`src/digest/cache.rs`), and a large register's prospects as read
//! (`src/summary.rs`); `PIPE_CACHE=0` reads the CSV every time and
//! `PIPE_CACHE=1` uses the caches whatever the size. Every read-only command
//! must print the same bytes, exit the same way and name the same lines
//! either way: on registers and journals from the benchmark generator
//! (`examples/gen.rs`, included here), clean, seeded with errors, appended
//! to and edited, and on every test fixture. The reports of today's state
//! read the journal into a few answers per prospect; `PIPE_HISTORY=full`
//! keeps its whole history, as the other reports do.

mod common;

#[allow(dead_code)]
#[path = "../examples/gen.rs"]
mod generator;

use common::{Run, Sandbox, root};

/// Read-only commands whose output covers every scan: the register (check,
/// list, reports, alerts, triage), the journal (history, replay, index) and both.
const COMMANDS: &[&[&str]] = &[
    &["check"],
    &["check", "--format", "json"],
    &["list", "--format", "csv"],
    &["list", "--stage", "chaud", "--format", "csv"],
    &["list"],
    &["list", "--format", "md"],
    &["report", "funnel"],
    &["report", "funnel", "--format", "json"],
    &[
        "report",
        "funnel",
        "--as-of",
        "2026-06-30",
        "--format",
        "csv",
    ],
    &["report", "products", "--format", "csv"],
    &["report", "owners", "--by", "stage", "--format", "csv"],
    &["report", "forecast", "--format", "csv"],
    &["report", "movement", "--format", "json"],
    &["report", "delays", "--format", "csv"],
    &["report", "calibration", "--format", "csv"],
    &["alerts"],
    &["alerts", "--format", "json"],
    &["triage"],
    &["effort"],
];

fn run(s: &Sandbox, threads: &str, args: &[&str]) -> Run {
    run_with(s, &[("PIPE_THREADS", threads), ("PIPE_CACHE", "0")], args)
}

fn run_with(s: &Sandbox, env: &[(&str, &str)], args: &[&str]) -> Run {
    let out = s
        .command()
        .envs(env.iter().copied())
        .arg("--today")
        .arg(common::TODAY)
        .args(args)
        .output()
        .expect("pipe runs");
    Run::from(out)
}

/// Asserts that two runs of one command (`shown`) exited alike and printed the same, without a panic.
fn assert_same(shown: &str, one: &Run, two: &Run) {
    assert_eq!(one.code, two.code, "{shown}: exit code\n{}", two.stderr);
    assert_eq!(one.stdout, two.stdout, "{shown}: stdout");
    assert_eq!(one.stderr, two.stderr, "{shown}: stderr");
    assert!(
        one.code != 101 && !one.stderr.contains("panicked"),
        "{shown}: {}",
        one.stderr
    );
}

/// Runs every command both ways and compares; returns how many printed something on stdout.
fn same_both_ways(s: &Sandbox, what: &str) -> usize {
    let mut printed = 0;
    for args in COMMANDS {
        let one = run(s, "1", args);
        let two = run(s, "2", args);
        assert_same(&format!("{what}: pipe {}", args.join(" ")), &one, &two);
        printed += usize::from(!one.stdout.is_empty());
    }
    printed
}

fn generated(rows: u64, seed: u64) -> Sandbox {
    let s = Sandbox::new();
    generator::generate(&generator::Args {
        rows,
        seed,
        out: s.path(""),
        config: root().join("pipeline.toml"),
        next_actions: 1,
    })
    .expect("the generator writes its files");
    s
}

#[test]
fn generated_data_gives_the_same_output_on_one_thread_and_two() {
    let s = generated(3_000, 7);
    // The data is clean: check passes, and the reports count every row.
    let check = run(&s, "2", &["check"]).expect(0);
    assert!(check.stderr.contains("3000 prospects"), "{}", check.stderr);
    // Everything but the plain `check` of clean data prints something.
    assert_eq!(same_both_ways(&s, "generated"), COMMANDS.len() - 1);
}

#[test]
fn errors_are_reported_alike_and_on_the_same_lines() {
    let s = generated(2_500, 11);
    // Seed the register and the journal with the errors check reports.
    let register = s.read_string("prospects.csv");
    let mut lines: Vec<String> = register.split("\r\n").map(str::to_string).collect();
    let line_of = |lines: &[String], prefix: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix} in the register"))
    };
    // A repeated id, a date that is not one, an unknown stage, a short row.
    let k = line_of(&lines, "P-0040;");
    lines[k] = lines[k].replacen("P-0040;", "P-0030;", 1);
    let k = line_of(&lines, "P-0800;");
    let mut cells: Vec<&str> = lines[k].splitn(4, ';').collect();
    cells[2] = "31/02/2025";
    lines[k] = cells.join(";");
    let k = line_of(&lines, "P-1500;");
    let stage = lines[k].split(';').nth(1).unwrap().to_string();
    lines[k] = lines[k].replacen(&format!(";{stage};"), ";Inconnue;", 1);
    let k = line_of(&lines, "P-2400;");
    lines[k] = "P-2400;Chaud".to_string();
    s.write("prospects.csv", lines.join("\r\n"));
    let mut journal = s.read_string("journal.csv");
    journal
        .push_str("2026-11-27T09:00:00+01:00,2026-11-31,P-0001,move,stage,suspect,contacte,x,,\n");
    journal.push_str("not a time,2026-11-27,P-0002,move,stage,suspect,contacte,x,,\n");
    s.write("journal.csv", journal);

    let check = run(&s, "2", &["check", "--format", "json"]).expect(1);
    for code in [
        "duplicate-id",
        "bad-date",
        "unknown-stage",
        "row-width",
        "bad-timestamp",
    ] {
        let code = format!("\"code\": \"{code}\"");
        assert!(check.stdout.contains(&code), "{code}:\n{}", check.stdout);
    }
    same_both_ways(&s, "generated with errors");
}

/// Every test fixture, and the shipped example.
fn every_fixture(compare: impl Fn(&Sandbox, &str)) {
    for name in [
        "compact",
        "excel-fr",
        "cp1252",
        "report-basic",
        "alerts-rules",
        "alerts-invalid",
        "effort-basic",
    ] {
        compare(&Sandbox::fixture(name), name);
    }
    compare(&Sandbox::example(), "the shipped example");
}

#[test]
fn every_fixture_gives_the_same_output_on_one_thread_and_two() {
    every_fixture(|s, what| {
        same_both_ways(s, what);
    });
}

const JOURNAL_CACHE: &str = ".journal.csv.pipe-cache";
const REGISTER_CACHE: &str = ".prospects.csv.pipe-cache";

/// Runs every command without the caches, then with them on one thread and
/// on two (made by the first command that reads each file, then read), and
/// with the register's cache of each kind made before it: of checked rows
/// (by `check`) and of prospects (by `list`); compares.
fn same_with_the_cache(s: &Sandbox, what: &str) {
    let caches = [s.path(JOURNAL_CACHE), s.path(REGISTER_CACHE)];
    for cache in &caches {
        let _ = std::fs::remove_file(cache);
    }
    let plain: Vec<Run> = COMMANDS
        .iter()
        .map(|args| run_with(s, &[("PIPE_CACHE", "0")], args))
        .collect();
    for cache in &caches {
        assert!(!cache.exists(), "{what}: PIPE_CACHE=0 writes no cache");
    }
    for threads in ["1", "2"] {
        // The caches made on this many threads, then read.
        for cache in &caches {
            let _ = std::fs::remove_file(cache);
        }
        for (args, plain) in COMMANDS.iter().zip(&plain) {
            let cached = run_with(s, &[("PIPE_CACHE", "1"), ("PIPE_THREADS", threads)], args);
            let shown = format!("{what}: PIPE_THREADS={threads} pipe {}", args.join(" "));
            assert_same(&shown, plain, &cached);
        }
    }
    let makers: [(&[&str], u8); 2] = [
        (&["check"], ROWS),
        (&["list", "--format", "csv"], PROSPECTS),
    ];
    for (maker, kind) in makers {
        let _ = std::fs::remove_file(&caches[1]);
        run_with(s, &[("PIPE_CACHE", "1")], maker);
        // None for a register that cannot be read, or (of rows) has a row of the wrong width.
        let Ok(made) = std::fs::read(&caches[1]) else {
            continue;
        };
        assert_eq!(made[REGISTER_KIND], kind, "{what}: made by {maker:?}");
        for threads in ["1", "2"] {
            for (args, plain) in COMMANDS.iter().zip(&plain) {
                s.write(REGISTER_CACHE, &made);
                let cached = run_with(s, &[("PIPE_CACHE", "1"), ("PIPE_THREADS", threads)], args);
                let shown = format!(
                    "{what}: cache of kind {kind}, PIPE_THREADS={threads} pipe {}",
                    args.join(" ")
                );
                assert_same(&shown, plain, &cached);
            }
        }
    }
}

#[test]
fn the_journal_cache_changes_no_output() {
    let s = generated(3_000, 5);
    same_with_the_cache(&s, "generated");
    assert!(
        s.path(".journal.csv.pipe-cache").exists(),
        "a clean journal is cached"
    );

    // Changes recorded since the cache was made: read after it.
    let cached = |args: &[&str]| run_with(&s, &[("PIPE_CACHE", "1")], args);
    cached(&["move", "P-0010", "perdu", "--reason", "prix"]).expect(0);
    cached(&["set", "P-0020", "amount=1234,50"]).expect(0);
    let moved = cached(&["report", "movement", "--format", "csv"]).expect(0);
    same_with_the_cache(&s, "generated, moved");
    assert_eq!(
        run_with(
            &s,
            &[("PIPE_CACHE", "0")],
            &["report", "movement", "--format", "csv"]
        )
        .stdout,
        moved.stdout
    );

    // Undone since the cache was made, then cached: a move of two entries
    // and a set taken back, what `effort` and `calibration` leave out.
    cached(&["report", "funnel"]).expect(0);
    cached(&["move", "P-0030", "perdu", "--reason", "prix"]).expect(0);
    cached(&["set", "P-0040", "amount=99"]).expect(0);
    cached(&["undo"]).expect(0);
    cached(&["undo"]).expect(0);
    for args in [
        &["effort"][..],
        &["report", "calibration", "--format", "csv"],
    ] {
        let plain = run_with(&s, &[("PIPE_CACHE", "0")], args);
        assert_same(
            &format!("undone, pipe {}", args.join(" ")),
            &plain,
            &cached(args),
        );
    }
    same_with_the_cache(&s, "generated, undone");

    // An entry edited before the end of what is cached: the journal is read again.
    let journal = s.read_string("journal.csv");
    let line = journal.lines().nth(40).unwrap().to_string();
    let edited = line
        .replacen(",2023-", ",2024-", 1)
        .replacen(",2024-", ",2025-", 1);
    assert_ne!(line, edited);
    s.write("journal.csv", journal.replacen(&line, &edited, 1));
    same_with_the_cache(&s, "generated, edited");

    // A broken entry appended after the cache: found on its line.
    cached(&["report", "funnel"]).expect(0);
    let mut journal = s.read_string("journal.csv");
    let lines = journal.lines().count();
    journal
        .push_str("2026-11-27T09:00:00+01:00,2026-11-31,P-0001,move,stage,suspect,contacte,x,,\n");
    s.write("journal.csv", journal);
    let check = cached(&["check"]).expect(1);
    assert!(
        check
            .stdout
            .contains(&format!("journal.csv:{}:", lines + 1)),
        "{}",
        check.stdout
    );
    same_with_the_cache(&s, "generated, broken");
}

#[test]
fn every_fixture_gives_the_same_output_with_the_cache() {
    every_fixture(same_with_the_cache);
}

/// Where the header of the register's cache keeps the register's length and
/// hash (after its magic and fingerprint), and where its body starts.
const REGISTER_STAMP: std::ops::Range<usize> = 24..48;
const REGISTER_BODY: usize = 96;
/// Where it says what it holds: prospects, or every row as checked.
const REGISTER_KIND: usize = 64;
const PROSPECTS: u8 = 0;
const ROWS: u8 = 1;

/// The register's cache stands for the register it was made from, and for
/// no other: it is used (shown here with one made for another register and
/// stamped as this one's, which only a forger could write), and any edit of
/// the register, of the same size or not, or of the pipeline, makes it
/// read the CSV again and cache that.
#[test]
fn the_register_cache_is_used_for_its_register_only() {
    let s = generated(3_000, 29);
    let cached = |args: &[&str]| run_with(&s, &[("PIPE_CACHE", "1")], args);
    let plain = |args: &[&str]| run_with(&s, &[("PIPE_CACHE", "0")], args);
    let funnel = ["report", "funnel", "--format", "csv"];
    let list = ["list", "--format", "csv"];
    let register = s.read_string("prospects.csv");
    let before = (plain(&funnel).expect(0), plain(&list).expect(0));
    let owners = plain(&["report", "owners", "--format", "csv"]).expect(0);
    assert_same("made", &before.0, &cached(&funnel));
    let cache = s.read(REGISTER_CACHE);
    assert_same("read", &before.1, &cached(&list));
    assert_eq!(
        s.read(REGISTER_CACHE),
        cache,
        "a cache in use is left as it is"
    );

    // The same register with one amount changed, the same size.
    let row = register
        .split("\r\n")
        .find(|l| l.starts_with("P-0042;"))
        .expect("a row");
    let column = register
        .lines()
        .next()
        .and_then(|h| h.split(';').position(|c| c == "Montant HT"))
        .expect("an amount column");
    let amount = row.split(';').nth(column).expect("an amount").to_string();
    assert!(amount.len() > 2, "{row}");
    let other_amount = if amount.starts_with('9') {
        amount.replacen('9', "8", 1)
    } else {
        format!("9{}", &amount[1..])
    };
    let edited = register.replacen(
        row,
        &row.replacen(&format!(";{amount};"), &format!(";{other_amount};"), 1),
        1,
    );
    assert_eq!(edited.len(), register.len());
    s.write("prospects.csv", &edited);
    let after = (plain(&funnel).expect(0), plain(&list).expect(0));
    assert_ne!(before.0.stdout, after.0.stdout, "the amount counts");
    assert_same("edited", &after.0, &cached(&funnel));
    let other = s.read(REGISTER_CACHE);
    assert_ne!(other, cache, "made again for the edited register");
    assert_same("edited, read", &after.1, &cached(&list));

    // The edited register's rows, stamped as the first register's.
    s.write("prospects.csv", &register);
    let mut forged = other.clone();
    forged[REGISTER_STAMP].copy_from_slice(&cache[REGISTER_STAMP]);
    s.write(REGISTER_CACHE, &forged);
    assert_same("forged", &after.0, &cached(&funnel));
    assert_same("forged", &after.1, &cached(&list));
    // As it was made, it is not this register's: the CSV is read.
    s.write(REGISTER_CACHE, &other);
    assert_same("other", &before.0, &cached(&funnel));
    assert_eq!(s.read(REGISTER_CACHE), cache, "made again");

    // A damaged body is never used, even in part: `list`, and a report on
    // one thread, check it before they use a row; a report on two checks it
    // as it reads and, when it does not match, starts again from the register.
    let runs: [(&[&str], &Run, &str); 4] = [
        (&list, &before.1, "2"),
        (&funnel, &before.0, "1"),
        (&funnel, &before.0, "2"),
        (&["report", "owners", "--format", "csv"], &owners, "2"),
    ];
    let damaged_at = [REGISTER_BODY + 20, cache.len() / 2, cache.len() - 1];
    let damaged = damaged_at.map(|at| {
        let mut damaged = cache.clone();
        damaged[at] ^= 0x20;
        damaged
    });
    let cut = [
        cache[..cache.len() / 2].to_vec(),
        [&cache[..], b"\n"].concat(),
    ];
    for bad in damaged.iter().chain(&cut) {
        for (args, want, threads) in runs {
            s.write(REGISTER_CACHE, bad);
            let run = run_with(&s, &[("PIPE_CACHE", "1"), ("PIPE_THREADS", threads)], args);
            assert_same(&format!("damaged, {threads} threads"), want, &run);
            assert_eq!(s.read(REGISTER_CACHE), cache, "made again");
        }
    }

    // The rows are read under the pipeline: another text, another cache.
    let config = s.read_string("pipeline.toml");
    s.write("pipeline.toml", format!("# edited\n{config}"));
    assert_same("pipeline", &before.0, &cached(&funnel));
    let remade = s.read(REGISTER_CACHE);
    assert_ne!(remade[8..24], cache[8..24], "another fingerprint");
    assert_eq!(remade[24..], cache[24..], "the same rows");
}

/// A row's own diagnostics of every kind kept, where they point included:
/// `check`, `alerts` and `triage` read from the register's cache of checked
/// rows what they read from the register, on one thread and two; a row of
/// the wrong width makes no such cache (a scan of prospects reads it and
/// `check` does not), and a damaged one is never used.
#[test]
fn the_register_cache_keeps_every_row_as_checked() {
    let s = Sandbox::fixture("alerts-invalid");
    let config = s.read_string("pipeline.toml");
    s.write(
        "pipeline.toml",
        config.replacen("[register]\n", "[register]\nencoding = \"utf-8\"\n", 1),
    );
    // The company first, so that an id's place depends on the cells before it.
    let rows: &[&[u8]] = &[
        b"company,id,stage,stage_since,owner,amount,probability\n",
        b"Good,A1,new,2026-11-20,ann,100,50\n",
        b"Unknown Stage,A2,newish,2026-11-20,ann,100,\n",
        b"Bad Date,A3,new,2026-13-40,bob,100,\n",
        b"\"Dupli\ncate, \"\"twice\"\"\",A1,new,2026-11-20,bob,100,\n",
        b"No Owner,A6,new,2026-11-20,,100,\n",
        b"Bad Amount,A7,won,2026-11-20,bob,lots,\n",
        b"\"Two\nlines, one cell\",A8,new,2026-11-20,ann,100,\n",
        b"No Id,,new,2026-11-20,ann,100,\n",
        b"No Stage,A9,,2026-11-20,ann,100,\n",
        b"Caf\xe9,A10,new,2026-11-20,ann,100,\n",
        b" Spaced , A11 ,New,2026-11-20,ann ,100,\n",
        b"\"Quoted \"\"name\"\"\",A12,won,2026-11-20,bob,100,cent\n",
        b"\"Multi\nline\nname\",\"A13\",\"new\",2026-11-20,,,\n",
        b"Last,A14,won,2026-11-20,bob,100,75\n",
        b"\"Dupli\ncate\",A8,won,2026-11-20,bob,100,75\n",
    ];
    s.write("prospects.csv", rows.concat());
    let commands: &[&[&str]] = &[
        &["check"],
        &["check", "--format", "json"],
        &["alerts", "--format", "json"],
        &["alerts", "--rule", "invalid_row"],
        &["triage"],
        &["list", "--format", "csv"],
        &["report", "funnel", "--format", "csv"],
    ];
    let plain: Vec<Run> = commands
        .iter()
        .map(|args| run_with(&s, &[("PIPE_CACHE", "0")], args))
        .collect();
    let check = &plain[1].stdout;
    for code in [
        "unknown-stage",
        "bad-date",
        "duplicate-id",
        "missing-field",
        "bad-amount",
        "missing-id",
        "missing-stage",
        "bad-encoding",
        "bad-probability",
    ] {
        assert!(check.contains(&format!("\"{code}\"")), "{code}: {check}");
    }
    run_with(&s, &[("PIPE_CACHE", "1")], &["check"]).expect(1);
    let made = s.read(REGISTER_CACHE);
    assert_eq!(made[REGISTER_KIND], ROWS, "made by check");
    for threads in ["1", "2"] {
        for (args, plain) in commands.iter().zip(&plain) {
            s.write(REGISTER_CACHE, &made);
            let cached = run_with(&s, &[("PIPE_CACHE", "1"), ("PIPE_THREADS", threads)], args);
            assert_same(&format!("{threads} threads: {args:?}"), plain, &cached);
        }
    }

    // Damaged, it is not used: `check` reads the register, and makes it
    // again (checked on this thread, or on another while the journal is read).
    for at in [REGISTER_BODY + 3, made.len() / 2, made.len() - 1] {
        let mut damaged = made.clone();
        damaged[at] ^= 0x04;
        for threads in ["1", "2"] {
            s.write(REGISTER_CACHE, &damaged);
            let env = [("PIPE_CACHE", "1"), ("PIPE_THREADS", threads)];
            let run = run_with(&s, &env, &["check", "--format", "json"]);
            assert_same(
                &format!("damaged at {at}, {threads} threads"),
                &plain[1],
                &run,
            );
            assert_eq!(s.read(REGISTER_CACHE), made, "made again");
            // A report checks it as it reads it, and starts again from the register.
            s.write(REGISTER_CACHE, &damaged);
            let run = run_with(&s, &env, &["report", "funnel", "--format", "csv"]);
            let shown = format!("a report, damaged at {at}, {threads} threads");
            assert_same(&shown, &plain[6], &run);
        }
    }

    // A row of the wrong width: `check` makes no cache of rows.
    let _ = std::fs::remove_file(s.path(REGISTER_CACHE));
    s.write(
        "prospects.csv",
        [&rows.concat()[..], b"Short,A15,new,2026-11-20,ann\n"].concat(),
    );
    let wide = run_with(&s, &[("PIPE_CACHE", "0")], &["check"]).expect(1);
    assert!(
        wide.stdout.contains("this row has 5 cells"),
        "{}",
        wide.stdout
    );
    assert_same(
        "a short row",
        &wide,
        &run_with(&s, &[("PIPE_CACHE", "1")], &["check"]),
    );
    assert!(!s.path(REGISTER_CACHE).exists(), "no cache of rows");
}

/// The same text with every prospect's number doubled (`P-0042` becomes
/// `P-0084`): the same prospects, with a gap after each id.
fn doubled_ids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("P-") {
        out.push_str(&rest[..at + 2]);
        rest = &rest[at + 2..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            let n: u64 = rest[..digits].parse().expect("digits");
            out.push_str(&format!("{:0digits$}", 2 * n));
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// The register without its stage dates (`Depuis le`, the third column),
/// so that `stale` takes the date each prospect entered its stage from the
/// journal.
fn without_stage_dates(s: &Sandbox) {
    let path = s.path("prospects.csv");
    let text = std::fs::read(&path).expect("generated");
    let mut rows = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .from_reader(text.as_slice());
    let mut out = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for (i, row) in rows.records().enumerate() {
        let row = row.expect("a row");
        let mut cells: Vec<&str> = row.iter().collect();
        if i > 0 {
            cells[2] = "";
        }
        out.write_record(&cells).expect("written");
    }
    std::fs::write(&path, out.into_inner().expect("written")).expect("rewritten");
}

/// `alerts` lays out what it keeps of each prospect in the order of the
/// ids, moving the index and the journal's briefs together: through the
/// ids' bits when every id is numbered (as the generator and `pipe add`
/// number them), gaps between the numbers or not, through a map from the
/// journal's order when an id of another shape is among them (`Renumbering`
/// in `src/ids.rs`). All give the same alerts: the same data with a gap
/// after every id gives the same output, its ids doubled, and with one id of
/// another shape the same output but for that id; and each gives what the
/// full history gives, the stage dates taken from the journal.
#[test]
fn ids_with_gaps_give_the_alerts_of_ids_without() {
    let plain = generated(3_000, 11);
    let gapped = generated(3_000, 11);
    let mixed = generated(3_000, 11);
    let other = |text: &str| text.replace("P-0001", "Q-0001");
    for file in ["prospects.csv", "journal.csv"] {
        let text = std::fs::read_to_string(gapped.path(file)).expect("generated");
        std::fs::write(gapped.path(file), doubled_ids(&text)).expect("rewritten");
        std::fs::write(mixed.path(file), other(&text)).expect("rewritten");
    }
    for s in [&plain, &gapped, &mixed] {
        without_stage_dates(s);
    }
    // One push of a decision date alerts, so that the pushes are read too.
    for s in [&plain, &gapped, &mixed] {
        let config = std::fs::read_to_string(s.path("pipeline.toml")).expect("generated");
        let once = config.replace(
            "[alerts.decision_slipped]\ncount = 3",
            "[alerts.decision_slipped]\ncount = 1",
        );
        assert_ne!(config, once, "the pipeline counts pushes");
        std::fs::write(s.path("pipeline.toml"), once).expect("rewritten");
    }
    let (mut alerts, mut slipped) = (0, 0);
    for args in [
        &["alerts", "--format", "csv"][..],
        &["alerts", "--rule", "decision_slipped", "--format", "csv"],
        &["check", "--format", "json"],
    ] {
        for cache in ["0", "1"] {
            let env = [("PIPE_CACHE", cache)];
            let one = run_with(&plain, &env, args);
            let shown = format!("pipe {} (cache {cache})", args.join(" "));
            for (s, same) in [
                (&gapped, doubled_ids(&one.stdout)),
                (&mixed, other(&one.stdout)),
            ] {
                let two = run_with(s, &env, args);
                assert_eq!((one.code, &one.stderr), (two.code, &two.stderr), "{shown}");
                assert_eq!(same, two.stdout, "{shown}");
            }
            alerts += one.stdout.lines().count();
            slipped += one.stdout.matches("decision_slipped").count();
        }
    }
    assert!(
        alerts > 1_000 && slipped > 100,
        "{alerts} lines, {slipped} slipped"
    );
    let mut stale = 0;
    for s in [&plain, &gapped, &mixed] {
        let args = ["alerts", "--format", "csv"];
        let brief = run_with(s, &[], &args);
        let full = run_with(s, &[("PIPE_HISTORY", "full")], &args);
        assert_same("pipe alerts, brief and full", &brief, &full);
        stale += brief.stdout.matches(",stale,").count();
    }
    assert!(stale > 200, "{stale} stale");
}

/// The reports of one day's state, which keep only a few answers per
/// prospect from the journal (`src/report/brief.rs`), in every format, with
/// periods, filters and past days; `delays`, which also counts the pushes
/// of decision dates; today's forecast, which reads nothing of it; and
/// `alerts`, whose rules keep a brief of their own (`src/alerts/history.rs`).
const BRIEF_REPORTS: &[&[&str]] = &[
    &["alerts"],
    &["alerts", "--format", "csv"],
    &["alerts", "--format", "json", "--severity", "critical"],
    &["alerts", "--format", "md", "--rule", "stale"],
    &["alerts", "--rule", "decision_slipped", "--format", "csv"],
    &["report", "funnel"],
    &["report", "funnel", "--format", "json"],
    &["report", "funnel", "--by", "amount", "--format", "md"],
    &["report", "funnel", "--format", "html"],
    &[
        "report",
        "funnel",
        "--from",
        "2024-01-01",
        "--to",
        "2025-12-31",
        "--format",
        "csv",
    ],
    &[
        "report",
        "funnel",
        "--from",
        "2026-11-27",
        "--format",
        "csv",
    ],
    &["report", "funnel", "--phase", "prospect", "--format", "csv"],
    &["report", "products", "--format", "csv"],
    &["report", "products", "--by", "stage", "--format", "json"],
    &["report", "owners"],
    &["report", "owners", "--stage", "chaud", "--format", "csv"],
    &["report", "forecast", "--format", "csv"],
    &["report", "funnel", "--as-of", "2026-06-30"],
    &[
        "report",
        "funnel",
        "--as-of",
        "2025-03-31",
        "--from",
        "2024-01-01",
        "--format",
        "json",
    ],
    &[
        "report",
        "products",
        "--as-of",
        "2025-12-31",
        "--by",
        "stage",
        "--format",
        "csv",
    ],
    &[
        "report",
        "owners",
        "--as-of",
        "2026-02-28",
        "--owner",
        "Karim Benali",
        "--format",
        "csv",
    ],
    &[
        "report",
        "forecast",
        "--as-of",
        "2026-09-30",
        "--format",
        "csv",
    ],
    &[
        "report",
        "funnel",
        "--as-of",
        "2023-01-01",
        "--format",
        "csv",
    ],
    &["report", "delays", "--format", "csv"],
    &["report", "delays", "--top", "50", "--format", "json"],
    &[
        "report",
        "delays",
        "--as-of",
        "2026-03-31",
        "--format",
        "csv",
    ],
];

/// Runs the reports of one day's state with the brief answers and with the
/// full history (`PIPE_HISTORY=full`), with and without the cache; compares.
fn same_brief_and_full(s: &Sandbox, what: &str) {
    for args in BRIEF_REPORTS {
        for cache in ["0", "1"] {
            let brief = run_with(s, &[("PIPE_CACHE", cache)], args);
            let full = run_with(s, &[("PIPE_CACHE", cache), ("PIPE_HISTORY", "full")], args);
            let shown = format!("{what}: PIPE_CACHE={cache} pipe {}", args.join(" "));
            assert_same(&shown, &full, &brief);
        }
    }
}

#[test]
fn the_reports_of_one_day_answer_from_the_journal_as_its_full_history_does() {
    let s = generated(3_000, 11);
    same_brief_and_full(&s, "generated");
    // Entries out of date order, several on one day, a removal, a close
    // and a reopening within the period, a stage no longer in the pipeline.
    let mut journal = s.read_string("journal.csv");
    for line in [
        "2026-11-27T09:00:00+01:00,2026-03-02,P-0001,move,stage,suspect,contacte,x,,",
        "2026-11-27T09:00:01+01:00,2026-03-02,P-0001,move,stage,contacte,gagne,x,,",
        "2026-11-27T09:00:02+01:00,2026-03-02,P-0001,move,stage,gagne,chaud,x,,",
        "2026-11-27T09:00:03+01:00,2025-01-15,P-0002,move,stage,chaud,perdu,x,prix,",
        "2026-11-27T09:00:04+01:00,2026-11-27,P-0003,remove,stage,chaud,,x,,",
        "2026-11-27T09:00:05+01:00,2026-06-01,P-0004,move,stage,chaud,ancienne étape,x,,",
        "2026-11-27T09:00:06+01:00,2026-06-01,P-0005,move,stage,chaud,perdu,x,prix,",
        "2026-11-27T09:00:07+01:00,2026-05-01,P-0005,move,stage,perdu,chaud,x,,",
    ] {
        journal.push_str(line);
        journal.push('\n');
    }
    s.write("journal.csv", journal);
    same_brief_and_full(&s, "generated, appended out of order");
}

#[test]
fn every_fixture_gives_the_same_reports_of_one_day_from_the_journal_in_brief() {
    every_fixture(same_brief_and_full);
}

/// `pipe show` parses only the journal lines that hold the id; it must show
/// what reading every entry shows. An entry with an irregular quote, added
/// at the journal's end for another prospect, makes the search give way to
/// reading every entry: the same histories come out.
#[test]
fn show_finds_the_history_that_reading_every_entry_finds() {
    let s = generated(3_000, 9);
    let register = s.read_string("prospects.csv");
    let ids: Vec<&str> = register
        .lines()
        .filter_map(|l| l.split(';').next().filter(|id| id.starts_with("P-")))
        .step_by(97)
        .collect();
    assert!(ids.len() > 20, "{}", ids.len());
    let searched: Vec<Run> = ids.iter().map(|id| run(&s, "1", &["show", id])).collect();
    // On two threads, the journal is searched while the register is read.
    for (id, one) in ids.iter().zip(&searched) {
        let two = run(&s, "2", &["show", id]);
        assert_eq!(
            (&one.stdout, &one.stderr),
            (&two.stdout, &two.stderr),
            "{id}"
        );
    }
    let missing = run(&s, "2", &["show", "P-404404"]);
    assert_eq!(missing.code, 4, "{}", missing.stderr);
    assert!(missing.stderr.contains("no prospect has the id `P-404404`"));
    assert!(
        searched.iter().all(|r| r.stdout.contains("History (")),
        "every prospect generated has a history"
    );
    let mut journal = s.read_string("journal.csv");
    journal.push_str("2026-11-27T09:00:00+01:00,2026-11-27,Z-1,set,note,a\"b,c,x,,\n");
    s.write("journal.csv", journal);
    for (id, searched) in ids.iter().zip(&searched) {
        let parsed = run(&s, "1", &["show", id]);
        assert_eq!(searched.code, parsed.code, "{id}");
        assert_eq!(searched.stdout, parsed.stdout, "{id}");
        assert_eq!(searched.stderr, parsed.stderr, "{id}");
    }
}

/// A cache whose steps do not add up to what its header says (only a fault
/// of `pipe` could write one) is dropped with a warning, the journal read
/// instead, and a good cache made in its place.
#[test]
fn a_cache_that_cannot_be_replayed_is_replaced_with_a_warning() {
    let s = generated(1_500, 3);
    let args = ["report", "funnel", "--format", "csv"];
    let plain = run_with(&s, &[("PIPE_CACHE", "0")], &args).expect(0);
    let cached =
        |threads: &str| run_with(&s, &[("PIPE_CACHE", "1"), ("PIPE_THREADS", threads)], &args);
    cached("1").expect(0);
    let path = s.path(".journal.csv.pipe-cache");
    let good = std::fs::read(&path).unwrap();
    for threads in ["1", "2"] {
        // The header's step count, which the contents' hash does not cover.
        let mut bad = good.clone();
        bad[64] ^= 1;
        std::fs::write(&path, &bad).unwrap();
        let run = cached(threads).expect(0);
        assert_eq!(run.stdout, plain.stdout, "PIPE_THREADS={threads}");
        assert!(
            run.stderr
                .contains("warning: cannot read the journal's cache")
                && run
                    .stderr
                    .contains("it has been removed; the journal was read instead"),
            "{}",
            run.stderr
        );
        assert_eq!(std::fs::read(&path).unwrap(), good, "made again");
        let again = cached(threads).expect(0);
        assert_eq!(
            (again.stdout, again.stderr),
            (plain.stdout.clone(), plain.stderr.clone())
        );
    }
}

/// `report delays` keeps only its `--top` offenders as it goes, and skips
/// any that can no longer make the list: each list must be the head of the
/// full one (worst first, ties by id), however short.
#[test]
fn the_top_offenders_are_the_head_of_the_full_list() {
    let s = generated(3_000, 31);
    // The rows last first, so that ids come in both orders.
    let register = s.read_string("prospects.csv");
    let (header, _) = register.split_once("\r\n").expect("a header");
    let mut rows: Vec<csv::StringRecord> = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(register.as_bytes())
        .records()
        .map(|r| r.expect("a record"))
        .collect();
    rows.reverse();
    let mut out = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(format!("{header}\r\n").into_bytes());
    for r in &rows {
        out.write_record(r).expect("written");
    }
    s.write("prospects.csv", out.into_inner().expect("flushed"));
    let offenders = |top: &str| -> Vec<serde_json::Value> {
        let run = run_with(
            &s,
            &[("PIPE_THREADS", "2")],
            &["report", "delays", "--top", top, "--format", "json"],
        )
        .expect(0);
        let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
        json["offenders"].as_array().expect("offenders").clone()
    };
    let all = offenders("100000");
    assert!(all.len() > 500, "{} offenders", all.len());
    // Ties in rank, broken by id, at the cut of some of the lists.
    let rank = |o: &serde_json::Value| {
        (
            o["pushes"].clone(),
            o["overdue_days"].clone(),
            o["stale_by"].clone(),
        )
            .to_owned()
    };
    assert!(all.windows(2).any(|w| rank(&w[0]) == rank(&w[1])));
    for top in [1, 2, 7, 10, 64, 333] {
        assert_eq!(offenders(&top.to_string()), all[..top], "--top {top}");
    }
}

#[test]
fn a_small_journal_is_not_cached_unless_asked() {
    let s = Sandbox::example();
    s.pipe(&["report", "funnel"]).expect(0);
    s.pipe(&["check"]).expect(0);
    s.pipe(&["list"]).expect(0);
    assert!(!s.path(JOURNAL_CACHE).exists());
    assert!(!s.path(REGISTER_CACHE).exists());
}

/// A long list of alerts is laid out a block of rows at a time; the blocks
/// must join into one table, with every alert in order, as CSV lists them.
#[test]
fn a_long_alert_table_is_one_table_with_every_alert() {
    let s = generated(1_500, 5);
    let env = [("COLUMNS", "100"), ("PIPE_CACHE", "0")];
    let csv = run_with(&s, &env, &["alerts", "--format", "csv"]).expect(0);
    let want: Vec<(String, String)> = csv::Reader::from_reader(csv.stdout.as_bytes())
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[4].to_string(), r[0].to_string())
        })
        .collect();
    assert!(
        want.len() > 2_000,
        "{} alerts: more than a few blocks",
        want.len()
    );
    let table = run_with(&s, &env, &["alerts"]).expect(0);
    let lines: Vec<&str> = table.stdout.lines().collect();
    let starts = |c: char| lines.iter().filter(|l| l.starts_with(c)).count();
    assert_eq!((starts('┌'), starts('╞'), starts('└')), (1, 1, 1));
    let body: Vec<&str> = lines
        .iter()
        .skip_while(|l| !l.starts_with('╞'))
        .skip(1)
        .take_while(|l| l.starts_with('│'))
        .copied()
        .collect();
    assert!(lines.iter().any(|l| l.starts_with('└')));
    assert!(
        body.iter().all(|l| l.chars().count() == 100),
        "every line is 100 wide"
    );
    // An alert's first line names its rule in the first cell and its id in the second.
    let cells = |l: &str| -> Vec<String> {
        l.trim_matches('│')
            .split('┆')
            .map(|c| c.trim().to_string())
            .collect()
    };
    let got: Vec<(String, String)> = body
        .iter()
        .map(|l| cells(l))
        .filter(|c| want.iter().any(|(rule, _)| *rule == c[0]))
        .map(|c| (c[0].clone(), c[1].clone()))
        .collect();
    assert_eq!(got, want);
}

/// `pipe alerts | head` in cron or at the terminal: the output is written as
/// it goes, and a reader that stops early ends the command quietly, in
/// every format; `pipe list` writes CSV and JSON as it reads the register.
#[test]
fn a_reader_that_stops_early_ends_the_command_quietly() {
    use std::io::Read;
    let s = generated(1_500, 5);
    let runs = ["table", "csv", "json", "md"]
        .map(|f| ["alerts", f])
        .into_iter()
        .chain([["list", "csv"], ["list", "json"]]);
    for [command, format] in runs {
        let mut child = s
            .command()
            .env("PIPE_CACHE", "0")
            .args(["--today", common::TODAY, command, "--format", format])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = child.stdout.take().unwrap();
        let mut head = [0u8; 200];
        out.read_exact(&mut head).unwrap();
        drop(out);
        let done = child.wait_with_output().unwrap();
        assert_eq!(done.status.code(), Some(0), "{command} {format}");
        assert_eq!(
            String::from_utf8_lossy(&done.stderr),
            "",
            "{command} {format}"
        );
    }
}

/// `alerts` raises on one thread and writes on another for a large register:
/// the files it writes (each salesperson's report, the state of
/// `--new-only`) are those written on one thread, on a first run and on
/// the next one that reads the state.
#[test]
fn alerts_write_their_files_alike_on_one_thread_and_two() {
    let s = generated(3_000, 13);
    let runs: [&[&str]; 3] = [
        &[
            "alerts",
            "--new-only",
            "--state",
            "state.json",
            "--format",
            "csv",
        ],
        &[
            "alerts",
            "--split-by",
            "owner",
            "--out-dir",
            "out",
            "--format",
            "json",
        ],
        &[
            "alerts",
            "--split-by",
            "owner",
            "--out-dir",
            "out",
            "--new-only",
            "--state",
            "state.json",
            "--severity",
            "critical",
        ],
    ];
    let first = runs.map(|args| write_both_ways(&s, args, "first run"));
    assert!(first[0].stdout.lines().count() > 100, "{}", first[0].stdout);
    assert!(first[1].stderr.starts_with("wrote "), "{}", first[1].stderr);
    run_with(
        &s,
        &[],
        &[
            "alerts",
            "--new-only",
            "--state",
            "state.json",
            "--rule",
            "stale",
        ],
    )
    .expect(0);
    let again = runs.map(|args| write_both_ways(&s, args, "with a state"));
    assert!(
        again[0].stdout.lines().count() < first[0].stdout.lines().count(),
        "the stale alerts reported are held back"
    );
}

/// Runs a writing command on two copies of `s`, one on one thread and one
/// on two (the register read in two halves at once); both must print the
/// same, exit alike and leave the same register and journal, byte for byte.
fn write_both_ways(s: &Sandbox, args: &[&str], what: &str) -> Run {
    write_with(
        s,
        args,
        what,
        [
            &[("PIPE_THREADS", "1"), ("PIPE_CACHE", "0")],
            &[("PIPE_THREADS", "2"), ("PIPE_CACHE", "0")],
        ],
    )
}

/// A writing command run on two copies of `s`, under each environment:
/// the same output, exit and files. Returns the first run.
fn write_with(s: &Sandbox, args: &[&str], what: &str, envs: [&[(&str, &str)]; 2]) -> Run {
    let [one, two] = envs.map(|env| {
        let copy = Sandbox::new();
        common::copy_tree(&s.path(""), &copy.path(""));
        let run = run_with(&copy, env, args);
        (run, copy)
    });
    let shown = format!("{what}: pipe {}", args.join(" "));
    assert_eq!(
        one.0.code, two.0.code,
        "{shown}: exit code\n{}",
        two.0.stderr
    );
    assert_eq!(one.0.stdout, two.0.stdout, "{shown}: stdout");
    assert_eq!(one.0.stderr, two.0.stderr, "{shown}: stderr");
    assert!(
        !one.0.stderr.contains("panicked"),
        "{shown}: {}",
        one.0.stderr
    );
    let (files_one, files_two) = (files(&one.1.path("")), files(&two.1.path("")));
    assert!(
        files_one.keys().eq(files_two.keys()),
        "{shown}: the files left"
    );
    for ((name, a), b) in files_one.iter().zip(files_two.values()) {
        assert!(a == b, "{shown}: {name} differs");
    }
    one.0
}

/// Every file under `dir`, by path, with its bytes.
fn files(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut all = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            for (inner, bytes) in files(&path) {
                all.insert(format!("{name}/{inner}"), bytes);
            }
        } else {
            all.insert(name, std::fs::read(&path).unwrap());
        }
    }
    all
}

/// The generated register with no line break inside a quoted cell: every
/// line starts a record, so the second half's guessed start is always right.
fn one_line_rows(rows: u64, seed: u64) -> Sandbox {
    let s = generated(rows, seed);
    let mut quoted = false;
    let flat: Vec<u8> = s
        .read("prospects.csv")
        .into_iter()
        .map(|b| {
            quoted ^= b == b'"';
            if quoted && (b == b'\r' || b == b'\n') {
                b' '
            } else {
                b
            }
        })
        .collect();
    s.write("prospects.csv", flat);
    s
}

/// Ids of rows in a stage that may move to Perdu, from a given line on.
fn movable_ids(s: &Sandbox, from_line: usize, n: usize) -> Vec<String> {
    s.read_string("prospects.csv")
        .split("\r\n")
        .skip(from_line)
        .filter(|l| l.contains(";Devis envoyé;") || l.contains(";Chaud;"))
        .filter_map(|l| l.split(';').next().map(str::to_string))
        .take(n)
        .collect()
}

/// The writing commands of a round of work, on both halves of the register.
fn write_commands_both_ways(s: &Sandbox, what: &str) {
    let early = movable_ids(s, 1, 1);
    let late = movable_ids(s, 2_000, 1);
    let moved = write_both_ways(s, &["move", &late[0], "perdu", "--reason", "Prix"], what);
    assert_eq!(moved.code, 0, "{what}: {}", moved.stderr);
    write_both_ways(s, &["move", &early[0], "perdu", "--reason", "Prix"], what);
    write_both_ways(s, &["set", &late[0], "amount=1234,50"], what);
    let added = write_both_ways(
        s,
        &[
            "add",
            "--company",
            "Fonderie Neuve",
            "--name",
            "Jean",
            "--owner",
            "Julien",
        ],
        what,
    );
    assert!(
        added.stderr.contains("added P-"),
        "{what}: {}",
        added.stderr
    );
    let taken = write_both_ways(s, &["add", "--id", &late[0], "--company", "X"], what);
    assert!(
        taken.stderr.contains("already used on line"),
        "{what}: {}",
        taken.stderr
    );
    let mut batch = String::from("id,stage,reason\n");
    for id in movable_ids(s, 1, 40)
        .iter()
        .chain(&movable_ids(s, 1_500, 40))
    {
        batch.push_str(&format!("{id},perdu,Prix\n"));
    }
    s.write("batch.csv", batch);
    let batch = write_both_ways(s, &["move", "--batch", "batch.csv"], what);
    assert_eq!(batch.code, 0, "{what}: {}", batch.stderr);
}

/// A batch of 1,024 moves or more writes out its journal lines and what it
/// tells, and frees its rows, on other threads while the register is
/// written: the same files, words and exit as on one thread.
#[test]
fn a_large_batch_writes_alike_on_one_thread_and_more() {
    let s = one_line_rows(9_000, 11);
    let ids = movable_ids(&s, 1, 1_100);
    assert!(ids.len() >= 1_024, "{} movable prospects", ids.len());
    let mut batch = String::from("id,stage,reason\n");
    for id in &ids {
        batch.push_str(&format!("{id},perdu,Prix\n"));
    }
    s.write("batch.csv", batch);
    let run = write_both_ways(&s, &["move", "--batch", "batch.csv"], "a large batch");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let told: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(told.len(), ids.len() + 1, "{}", run.stderr);
    for (line, id) in told.iter().zip(&ids) {
        assert!(line.starts_with(&format!("moved {id} (")), "{line}");
    }
    assert!(
        told[ids.len()].starts_with("wrote prospects.csv and "),
        "{}",
        told[ids.len()]
    );
}

/// A large batch changes its rows in two parts at once, on two threads:
/// the same outcomes, words, journal and register as one move after
/// another, with prospects moved twice (the second move done, without
/// effect, or refused), ids the register lacks, reasons the stage refuses,
/// and moves in both parts.
#[test]
fn a_batch_changed_in_two_parts_tells_and_writes_as_one_move_after_another() {
    let s = one_line_rows(9_000, 23);
    let ids = movable_ids(&s, 1, 1_400);
    assert!(ids.len() >= 1_300, "{} movable prospects", ids.len());
    // From both ends of the register in turn: the two parts' moves alternate.
    let (front, back) = ids.split_at(ids.len() / 2);
    let mut lines: Vec<String> = front
        .iter()
        .zip(back.iter().rev())
        .flat_map(|(a, b)| [a, b])
        .map(|id| format!("{id},perdu,Prix"))
        .collect();
    // Moved again: to the stage it is now in (nothing to do), then on.
    lines.insert(900, format!("{},perdu,", ids[3]));
    lines.push(format!("{},a_qualifier,", ids[1_200]));
    lines.push(format!("{},a_qualifier,", ids[1_250]));
    let good = format!("id,stage,reason\n{}\n", lines.join("\n"));
    s.write("good.csv", &good);
    let run = write_both_ways(&s, &["move", "--batch", "good.csv"], "a batch in two parts");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("`{}` is already in perdu; nothing to do", ids[3])),
        "{}",
        run.stderr
    );
    // Refused: a move the stage it is in does not allow, a reason Perdu
    // refuses, an id the register lacks; told in the batch's order.
    lines.push(format!("{},chaud,", ids[1_300]));
    lines.insert(10, format!("{},perdu,Météo", ids[1_290]));
    lines.insert(600, "P-99999999,perdu,Prix".to_string());
    let bad = format!("id,stage,reason\n{}\n", lines.join("\n"));
    s.write("bad.csv", &bad);
    for args in [
        &["move", "--batch", "bad.csv"][..],
        &["move", "--batch", "bad.csv", "--dry-run"],
    ] {
        let run = write_both_ways(&s, args, "a refused batch in two parts");
        assert_eq!(run.code, 4, "{}", run.stderr);
        let told = format!("{}{}", run.stdout, run.stderr);
        let refused: Vec<u64> = told
            .lines()
            .filter_map(|l| l.split("bad.csv:").nth(1))
            .map(|l| l.split(':').next().unwrap().parse().unwrap())
            .collect();
        // Lines 12 (the reason), 602 (the id), and the last.
        assert_eq!(refused, [12, 602, lines.len() as u64 + 1], "{told}");
    }
}

/// A batch of moves learns which prospects have a stage history from the
/// journal's cache and a search of the entries appended since, or from the
/// journal alone: the same either way. Among its prospects, one typed into
/// the register with no history, and one whose only history was journaled
/// after the cache was made.
#[test]
fn a_batch_of_moves_reads_the_journal_cache_as_it_reads_the_journal() {
    let s = generated(3_000, 23);
    let register = s.read_string("prospects.csv");
    let ids = movable_ids(&s, 1, 40);
    let line = register
        .split("\r\n")
        .find(|l| l.starts_with(&format!("{};", ids[0])))
        .expect("a movable row")
        .to_string();
    let typed = |id: &str| format!("{id}{}\r\n", &line[ids[0].len()..]);
    s.write(
        "prospects.csv",
        format!("{register}{}{}", typed("P-0999998"), typed("P-0999999")),
    );
    let cached: &[(&str, &str)] = &[("PIPE_CACHE", "1")];
    let made = run_with(&s, cached, &["check"]);
    assert!(made.stderr.contains("3002 prospects"), "{}", made.stderr);
    let cache = s.read(".journal.csv.pipe-cache");
    let moved = run_with(
        &s,
        cached,
        &["move", "P-0999999", "froid", "--on", "2026-11-02"],
    );
    assert!(moved.stderr.contains("moved P-0999999"), "{}", moved.stderr);
    // The cache as it was before that move, should the move have renewed it.
    s.write(".journal.csv.pipe-cache", cache);
    let mut batch = String::from("id,stage,reason\n");
    for id in ids
        .iter()
        .map(String::as_str)
        .chain(["P-0999998", "P-0999999"])
    {
        batch.push_str(&format!("{id},perdu,Prix\n"));
    }
    s.write("batch.csv", batch);
    let run = write_with(
        &s,
        &["move", "--batch", "batch.csv"],
        "cache",
        [cached, &[("PIPE_CACHE", "0")]],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // With a stage history, the date a move replaces is in the journal
    // already; without one, the move journals it.
    let journal = s.read_string("journal.csv");
    let lines = journal.lines().count();
    let copy = Sandbox::new();
    common::copy_tree(&s.path(""), &copy.path(""));
    run_with(&copy, cached, &["move", "--batch", "batch.csv"]);
    let added: Vec<String> = copy
        .read_string("journal.csv")
        .lines()
        .skip(lines)
        .filter(|l| l.contains(",stage_since,"))
        .map(str::to_string)
        .collect();
    assert_eq!(added.len(), 1, "{added:?}");
    assert!(added[0].contains(",P-0999998,"), "{added:?}");
}

#[test]
fn writing_commands_read_the_register_alike_on_one_thread_and_two() {
    write_commands_both_ways(&one_line_rows(3_000, 13), "one-line rows");
    // Notes with line breaks, as generated.
    write_commands_both_ways(&generated(3_000, 17), "generated");
}

#[test]
fn a_line_break_inside_a_quoted_cell_at_the_split_is_not_taken_for_a_row() {
    let s = one_line_rows(3_000, 19);
    let register = s.read_string("prospects.csv");
    let mut lines: Vec<String> = register.split("\r\n").map(str::to_string).collect();
    // A note of many lines from before 30 % of the file to past its middle:
    // the second part starts inside it, wherever the reading is split (at
    // the middle, or earlier beside a journal search).
    let k = lines.len() * 35 / 100;
    let cut = lines[k].rfind(';').unwrap();
    lines[k].truncate(cut + 1);
    let note_lines = register.len() / 2 / "suite\r\n".len();
    lines[k].push_str(&format!("\"{}fin\"", "suite\r\n".repeat(note_lines)));
    let register = lines.join("\r\n");
    let start = register.find("\"suite\r\n").unwrap();
    let end = register.rfind("fin\"").unwrap();
    assert!(start < register.len() * 3 / 10 && register.len() / 2 + 100 < end);
    s.write("prospects.csv", &register);
    write_commands_both_ways(&s, "a note across the split");
}

/// A line with its `dd/mm/yyyy` dates written ISO if `iso`, else removed.
fn redate(line: &str, iso: bool) -> String {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let date = b.len() - i >= 10
            && [0, 1, 3, 4, 6, 7, 8, 9]
                .iter()
                .all(|&k| b[i + k].is_ascii_digit())
            && b[i + 2] == b'/'
            && b[i + 5] == b'/';
        if date {
            if iso {
                let (d, m, y) = (&b[i..i + 2], &b[i + 3..i + 5], &b[i + 6..i + 10]);
                out.extend_from_slice(&[y, b"-", m, b"-", d].concat());
            }
            i += 10;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("dates are ASCII")
}

#[test]
fn how_dates_are_written_is_learnt_from_the_second_half_when_the_first_shows_none() {
    let s = one_line_rows(3_000, 29);
    let register = s.read_string("prospects.csv");
    let lines: Vec<&str> = register.split("\r\n").collect();
    // Only the last quarter shows dates, written ISO; not even the moved row
    // shows one. The register's style is learnt in the second half, and a
    // new date is written in it (unlearnt, it would be the pipeline's format).
    let last_quarter = lines.len() * 3 / 4;
    let late = movable_ids(&s, last_quarter + 10, 1);
    let moved = format!("{};", late[0]);
    let redated: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| match i {
            0 => l.to_string(),
            _ => redate(l, i > last_quarter && !l.starts_with(&moved)),
        })
        .collect();
    s.write("prospects.csv", redated.join("\r\n"));
    let args = ["move", &late[0], "perdu", "--reason", "Prix"];
    write_both_ways(&s, &args, "ISO dates late").expect(0);
    run_with(&s, &[("PIPE_THREADS", "2")], &args).expect(0);
    let register = s.read_string("prospects.csv");
    let row = register
        .split("\r\n")
        .find(|l| l.starts_with(&moved))
        .unwrap();
    assert!(row.contains(";Perdu;2026-11-27;"), "{row}");
}

#[test]
fn errors_in_the_second_half_are_reported_on_their_lines() {
    let s = one_line_rows(3_000, 23);
    let register = s.read_string("prospects.csv");
    let lines: Vec<&str> = register.split("\r\n").collect();
    let late = movable_ids(&s, 2_000, 2);
    let line_of = |id: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(&format!("{id};")))
            .unwrap()
            + 1
    };

    // An id repeated across the halves.
    let early = lines[10].split(';').next().unwrap();
    let twice = register.replacen(&format!("{};", late[1]), &format!("{early};"), 1);
    s.write("prospects.csv", &twice);
    let run = write_both_ways(
        &s,
        &["move", &late[0], "perdu", "--reason", "Prix"],
        "duplicate",
    );
    let want = format!(
        "prospects.csv:{}:1: the id `{early}` is already used on line 11",
        line_of(&late[1])
    );
    assert!(
        run.code == 3 && run.stderr.contains(&want),
        "{want}\n{}",
        run.stderr
    );

    // A kept row whose stage is unknown: its line is named.
    let unknown = register.replacen(
        &format!("{};Devis envoyé;", late[0]),
        &format!("{};Inconnue;", late[0]),
        1,
    );
    let unknown = unknown.replacen(
        &format!("{};Chaud;", late[0]),
        &format!("{};Inconnue;", late[0]),
        1,
    );
    s.write("prospects.csv", &unknown);
    let run = write_both_ways(
        &s,
        &["move", &late[0], "perdu", "--reason", "Prix"],
        "unknown stage",
    );
    let want = format!("prospects.csv:{} (Étape)", line_of(&late[0]));
    assert!(
        run.code != 0 && run.stderr.contains(&want),
        "{want}\n{}",
        run.stderr
    );

    // A byte that is not UTF-8 in an id of the second half.
    let mut bytes = register.clone().into_bytes();
    let at = register.find(&format!("\r\n{};", late[1])).unwrap() + 3;
    bytes[at] = 0xFF;
    s.write("prospects.csv", &bytes);
    let run = write_both_ways(&s, &["set", &late[0], "amount=5"], "not UTF-8");
    let want = format!("prospects.csv:{}:1:", line_of(&late[1]));
    assert!(
        run.code != 0 && run.stderr.contains(&want),
        "{want}\n{}",
        run.stderr
    );
}

#[test]
fn every_fixture_takes_an_addition_alike_on_one_thread_and_two() {
    every_fixture(|s, what| {
        write_both_ways(s, &["add", "--company", "Fresh Co", "--name", "Ann"], what);
    });
}

/// Alerts are set aside in a temporary file past 512 KiB: where `TMPDIR`
/// cannot be written, the run prints nothing, names the folder and exits
/// with the code of I/O errors; with a `TMPDIR` it can write, it prints
/// the same alerts run after run and leaves no file there.
#[test]
fn alerts_set_aside_on_disk_or_fail_plainly() {
    // Each severity's alerts take more than 512 KiB.
    let s = generated(8_000, 5);
    let args = ["--today", "2026-11-27", "alerts", "--format", "csv"];
    let missing = s.path("no-such-folder");
    let run = s
        .command()
        .env("TMPDIR", &missing)
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr).to_string();
    assert_eq!(run.status.code(), Some(6), "{err}");
    assert!(run.stdout.is_empty());
    assert!(
        err.contains(&format!("in a temporary file in {}", missing.display()))
            && err.contains("hint: set TMPDIR to a folder where `pipe` can write"),
        "{err}"
    );
    std::fs::create_dir(s.path("tmp")).unwrap();
    let in_tmp = || {
        s.command()
            .env("TMPDIR", s.path("tmp"))
            .args(args)
            .output()
            .unwrap()
    };
    let run = in_tmp();
    assert_eq!(run.status.code(), Some(0));
    assert!(run.stdout.len() > 1 << 20, "{} bytes", run.stdout.len());
    let again = in_tmp();
    assert!(run.stdout == again.stdout, "two runs differ");
    // The temporary files are gone with the run.
    assert_eq!(std::fs::read_dir(s.path("tmp")).unwrap().count(), 0);
}
