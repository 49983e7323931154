//! `cargo bench --bench report`: times `pipe report funnel` and
//! `pipe report products` on a generated register of 1,000,000 rows (and of
//! 100,000, to show that memory does not grow with the register), with a
//! journal of 100,000 entries, and prints the peak memory of each run.
//!
//! Set `PIPE_BENCH_ROWS` to change the larger size.

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const STAGES: [&str; 8] = [
    "Suspect",
    "À qualifier",
    "Devis envoyé",
    "Chaud",
    "Froid",
    "Gagné",
    "Perdu",
    "Client actif",
];
const FAMILIES: [&str; 6] = [
    "Machines-outils",
    "Air comprimé",
    "Maintenance",
    "Formation",
    "Logiciel",
    "Location",
];
const OWNERS: [&str; 12] = [
    "Anne", "Bruno", "Chloé", "David", "Élodie", "Farid", "Gaëlle", "Hugo", "Inès", "Julien",
    "Karim", "Léa",
];
const JOURNAL_ENTRIES: usize = 100_000;

const PIPELINE: &str = r#"
[pipeline]
name = "Bench"
locale = "fr"
[register]
path = "prospects.csv"
journal = "journal.csv"
delimiter = ";"
encoding = "utf-8"
date_formats = ["%d/%m/%Y"]
[register.columns]
id = "Réf"
stage = "Étape"
stage_since = "Depuis le"
company = "Société"
owner = "Commercial"
amount = "Montant HT"
probability = "Probabilité"
expected_close = "Décision prévue"
products = "Produits"
created = "Créé le"
[[stage]]
id = "suspect"
label = "Suspect"
phase = "suspect"
probability = 2
stale_after = "6 months"
[[stage]]
id = "a_qualifier"
label = "À qualifier"
phase = "prospect"
probability = 5
stale_after = "30 days"
[[stage]]
id = "devis_envoye"
label = "Devis envoyé"
phase = "prospect"
probability = 40
stale_after = "30 days"
[[stage]]
id = "chaud"
label = "Chaud"
phase = "prospect"
probability = 70
stale_after = "21 days"
[[stage]]
id = "froid"
label = "Froid"
phase = "prospect"
probability = 5
[[stage]]
id = "gagne"
label = "Gagné"
phase = "prospect"
outcome = "won"
[[stage]]
id = "perdu"
label = "Perdu"
phase = "prospect"
outcome = "lost"
[[stage]]
id = "client_actif"
label = "Client actif"
phase = "client"
outcome = "won"
[[product]]
id = "machines_outils"
label = "Machines-outils"
[[product]]
id = "air"
label = "Air comprimé"
[[product]]
id = "maintenance"
label = "Maintenance"
[[product]]
id = "formation"
label = "Formation"
[[product]]
id = "logiciel"
label = "Logiciel"
[[product]]
id = "location"
label = "Location"
"#;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn generate(dir: &Path, rows: usize) {
    std::fs::write(dir.join("pipeline.toml"), PIPELINE).unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut reg = BufWriter::new(std::fs::File::create(dir.join("prospects.csv")).unwrap());
    reg.write_all("\u{feff}Réf;Étape;Depuis le;Société;Commercial;Montant HT;Probabilité;Décision prévue;Produits;Créé le;Notes\n".as_bytes()).unwrap();
    let mut line = String::with_capacity(256);
    for i in 0..rows {
        line.clear();
        let stage = STAGES[rng.below(STAGES.len() as u64) as usize];
        let day = 1 + rng.below(28);
        let month = 1 + rng.below(11);
        let amount = rng.below(20_000_000);
        let amount = if rng.below(10) == 0 {
            String::new()
        } else {
            let (e, c) = (amount / 100, amount % 100);
            let e = if e >= 1000 {
                format!("{} {:03}", e / 1000, e % 1000)
            } else {
                e.to_string()
            };
            format!("{e},{c:02}")
        };
        let prob = if rng.below(5) == 0 {
            (rng.below(100)).to_string()
        } else {
            String::new()
        };
        let fams: Vec<&str> = (0..1 + rng.below(3))
            .map(|_| FAMILIES[rng.below(FAMILIES.len() as u64) as usize])
            .collect();
        let _ = writeln!(
            line,
            "P-{i:07};{stage};{day:02}/{month:02}/2026;Société {i};{};{amount};{prob};{:02}/{:02}/2027;{};01/01/2026;note libre",
            OWNERS[rng.below(OWNERS.len() as u64) as usize],
            day,
            1 + rng.below(12),
            fams.join("|"),
        );
        reg.write_all(line.as_bytes()).unwrap();
    }
    reg.flush().unwrap();
    let mut j = BufWriter::new(std::fs::File::create(dir.join("journal.csv")).unwrap());
    j.write_all(b"at,date,id,kind,field,from,to,by,reason,note\n")
        .unwrap();
    for k in 0..JOURNAL_ENTRIES.min(rows) {
        let id = k * (rows / JOURNAL_ENTRIES.min(rows)).max(1);
        let month = 1 + (k % 10);
        writeln!(
            j,
            "2026-{month:02}-01T10:00:00.000+01:00,2026-{month:02}-01,P-{id:07},add,stage,,a_qualifier,bench,,"
        )
        .unwrap();
    }
    j.flush().unwrap();
}

/// Runs `pipe` and returns its wall time and the peak resident memory seen (Linux), in MiB.
fn run(dir: &Path, args: &[&str]) -> (Duration, Option<f64>) {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pipe"))
        .current_dir(dir)
        .args(["--today", "2026-11-27"])
        .args(args)
        .env("COLUMNS", "100")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib: Option<u64> = None;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_file)
            && let Some(kib) = s
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        {
            peak_kib = peak_kib.max(Some(kib));
        }
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "pipe {args:?} failed");
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    (start.elapsed(), peak_kib.map(|k| k as f64 / 1024.0))
}

fn main() {
    let big: usize = std::env::var("PIPE_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    println!("pipe report on a generated register; journal of {JOURNAL_ENTRIES} entries");
    println!(
        "{:>10}  {:<10} {:>9}  {:>12}",
        "rows", "report", "time", "peak memory"
    );
    for rows in [big / 10, big] {
        let dir = tempfile::tempdir().unwrap();
        generate(dir.path(), rows);
        for kind in ["funnel", "products"] {
            let (t, mem) = run(dir.path(), &["report", kind]);
            println!(
                "{rows:>10}  {kind:<10} {:>8.2}s  {:>12}",
                t.as_secs_f64(),
                mem.map_or("n/a".to_string(), |m| format!("{m:.1} MiB"))
            );
        }
    }
}
