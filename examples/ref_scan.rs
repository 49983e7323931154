//! The reference the benchmarks compare `pipe` with: the minimal single-threaded
//! program a competent engineer would write with the `csv` crate.
//!
//! ```sh
//! cargo run --release --example ref_scan -- stages   FILE   # count and sum per stage
//! cargo run --release --example ref_scan -- products FILE   # count and sum per product (split list cells)
//! cargo run --release --example ref_scan -- move     FILE ID STAGE OUT  # change one row, rewrite
//! ```
//!
//! It reads the generator's dialect (`;`, UTF-8 BOM, French headers, decimal
//! commas) and keeps amounts exact, like `pipe`.

use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::io::Write;

fn amount(s: &str) -> Option<Decimal> {
    let t: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    t.parse().ok()
}

fn reader(path: &str) -> csv::Reader<std::fs::File> {
    csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_path(path)
        .expect("a readable register")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, file) = (args[0].as_str(), args[1].as_str());
    let mut rdr = reader(file);
    let headers = rdr.byte_headers().unwrap().clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| String::from_utf8_lossy(h).trim_start_matches('\u{feff}') == name)
            .unwrap()
    };
    let (stage, amt, products, id) = (col("Étape"), col("Montant HT"), col("Produits"), col("Réf"));
    let mut out = std::io::stdout().lock();
    match mode {
        "stages" | "products" => {
            let mut totals: BTreeMap<Vec<u8>, (u64, Decimal)> = BTreeMap::new();
            let mut rec = csv::ByteRecord::new();
            while rdr.read_byte_record(&mut rec).unwrap() {
                let a = std::str::from_utf8(&rec[amt])
                    .ok()
                    .and_then(amount)
                    .unwrap_or_default();
                let keys: Vec<&[u8]> = if mode == "stages" {
                    vec![&rec[stage]]
                } else {
                    rec[products].split(|&b| b == b'|').collect()
                };
                for k in keys {
                    let t = totals.entry(k.to_vec()).or_default();
                    t.0 += 1;
                    t.1 += a;
                }
            }
            for (k, (n, sum)) in totals {
                writeln!(out, "{}\t{n}\t{sum}", String::from_utf8_lossy(&k)).unwrap();
            }
        }
        "move" => {
            let (target, to, dest) = (args[2].as_bytes(), args[3].as_bytes(), &args[4]);
            let mut w = csv::WriterBuilder::new()
                .delimiter(b';')
                .terminator(csv::Terminator::CRLF)
                .from_path(dest)
                .unwrap();
            w.write_byte_record(&headers).unwrap();
            let mut rec = csv::ByteRecord::new();
            while rdr.read_byte_record(&mut rec).unwrap() {
                if &rec[id] == target {
                    let mut changed = csv::ByteRecord::new();
                    for (i, f) in rec.iter().enumerate() {
                        changed.push_field(if i == stage { to } else { f });
                    }
                    w.write_byte_record(&changed).unwrap();
                } else {
                    w.write_byte_record(&rec).unwrap();
                }
            }
            w.flush().unwrap();
        }
        other => panic!("unknown mode {other}: stages, products or move"),
    }
}
