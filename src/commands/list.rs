//! `pipe list`: the prospects, filtered, as a table, CSV or JSON.

use crate::cli::Global;
use crate::context::Context;
use crate::error::Exit;
use crate::field::Field;
use crate::filter::FilterArgs;
use crate::output::blocks::{BlockTable, Rows, Widths, spool_row, write_spooled};
use crate::output::{self, Format, OutputArgs, spool};
use crate::pipeline::Pipeline;
use crate::prospect::Prospect;
use crate::register::Reader;
use crate::render;
use anyhow::Result;
use serde::Serializer as _;
use serde::ser::SerializeSeq as _;
use std::io::Write;

/// List prospects, with filters.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    filter: FilterArgs,
    #[command(flatten)]
    output: OutputArgs,
}

pub fn run(g: &Global, a: Args) -> Result<Exit> {
    let ctx = Context::load(g)?;
    let p = &ctx.pipeline;
    let format = a.output.resolve(&Format::LISTS)?;
    let filter = a.filter.resolve(p)?;
    let skipped = match format {
        // For programs: written row by row as the register is read.
        Format::Csv | Format::Json => {
            // Opened first: a register that cannot be read writes nothing.
            let reader = Prospect::open(p)?;
            let mut skipped = 0;
            a.output.write_with(true, |out| {
                skipped = write_rows(reader, p, &filter, format, a.output.excel, out)?;
                Ok(())
            })?;
            skipped
        }
        // For people: a table sized from every row.
        _ => write_for_people(&ctx, &a, &filter, format)?,
    };
    render::warn_skipped(skipped);
    Ok(Exit::Ok)
}

/// Every prospect the filter accepts, as a table or Markdown sized from
/// every row: the rows' cells are set aside while the register streams
/// past, then laid out. Returns how many rows could not be read.
fn write_for_people(
    ctx: &Context,
    a: &Args,
    filter: &crate::filter::Filter,
    format: Format,
) -> Result<u64> {
    let p = &ctx.pipeline;
    // Opened first: a register that cannot be read writes nothing.
    let reader = Prospect::open(p)?;
    let headers = short_headers(p);
    let mut widths = Widths::new(&headers).without_words(&[WIDE, NUMBERS[0], NUMBERS[1]]);
    let mut spool = spool::new(spool::IN_MEMORY);
    let (mut rows, mut bytes) = (0, 0);
    let mut failed = None;
    let mut row: [String; 7] = Default::default();
    let skipped = Prospect::scan_from(reader, p, |x| {
        if failed.is_some() || !filter.accepts(p, x) {
            return;
        }
        short_row(ctx, x, &mut row);
        widths.add(&row);
        match spool_row(&mut spool, &row) {
            Ok(b) => bytes += b,
            Err(e) => failed = Some(e),
        }
        rows += 1;
    })?;
    if let Some(e) = failed {
        return Err(spool::failed("the rows", &e));
    }
    let spooled = spool::rewind(spool)?;
    let note = format!("{rows} prospect{}", if rows == 1 { "" } else { "s" });
    a.output.write_with(true, |out| {
        if format == Format::Md {
            write_markdown(&headers, rows, spooled, &note, out)
        } else {
            widths.keep_whole(&NUMBERS);
            let table = BlockTable::new(&headers, &widths, (WIDE, 20), render::width())
                .align_right(&NUMBERS);
            write_spooled(&table, vec![(rows, spooled)], bytes, out)?;
            writeln!(out, "{note}")?;
            Ok(())
        }
    })?;
    Ok(skipped)
}

/// Every prospect the filter accepts, as CSV or JSON, into `out` as the
/// register streams past; returns how many rows could not be read.
fn write_rows(
    reader: Reader,
    p: &Pipeline,
    filter: &crate::filter::Filter,
    format: Format,
    excel: bool,
    out: &mut dyn Write,
) -> Result<u64> {
    // The scan goes on to the end whatever happens, so the first error is
    // kept, and nothing more is written after it.
    let mut failed: Option<anyhow::Error> = None;
    let skipped = if format == Format::Json {
        let mut json = serde_json::Serializer::pretty(&mut *out);
        let mut seq = json.serialize_seq(None)?;
        let skipped = Prospect::scan_from(reader, p, |x| {
            if failed.is_none()
                && filter.accepts(p, x)
                && let Err(e) = seq.serialize_element(&json_of(p, x))
            {
                failed = Some(e.into());
            }
        })?;
        if failed.is_none() {
            seq.end()?;
            out.write_all(b"\n")?;
        }
        skipped
    } else {
        let mut w = output::csv_writer_to(excel, &mut *out)?;
        render::write_safe_record(&mut w, CSV_HEADERS)?;
        let mut buf = String::new();
        let skipped = Prospect::scan_from(reader, p, |x| {
            if failed.is_none()
                && filter.accepts(p, x)
                && let Err(e) = write_csv_row(&mut w, p, x, &mut buf)
            {
                failed = Some(e);
            }
        })?;
        if failed.is_none() {
            w.flush()?;
        }
        skipped
    };
    match failed {
        Some(e) => Err(e),
        None => Ok(skipped),
    }
}

/// The columns people look at, under the register's own headers.
fn short_headers(p: &Pipeline) -> [&str; 7] {
    let h = |f: Field| p.register.header(f);
    let days = match p.locale {
        crate::pipeline::Locale::Fr => "Jours",
        crate::pipeline::Locale::En => "Days",
    };
    [
        h(Field::Id),
        h(Field::Stage),
        days,
        h(Field::Company),
        h(Field::Owner),
        h(Field::Amount),
        h(Field::ExpectedClose),
    ]
}

/// The company (or name) gives up width first when the table is too wide,
/// down to a fifth of it.
const WIDE: usize = 3;

/// The days in the stage and the amount, right-aligned.
const NUMBERS: [usize; 2] = [2, 5];

/// A prospect's cells under [`short_headers`], into `row`, whose strings
/// are reused from prospect to prospect.
fn short_row(ctx: &Context, x: &Prospect, row: &mut [String; 7]) {
    use std::fmt::Write as _;
    let p = &ctx.pipeline;
    for cell in row.iter_mut() {
        cell.clear();
    }
    row[0].push_str(&x.id);
    row[1].push_str(&p.stages[x.stage].label);
    if let Some(d) = x.stage_since {
        // Writing to a String cannot fail.
        let _ = write!(row[2], "{}", (ctx.today - d).num_days());
    }
    row[3].push_str(x.display_name());
    row[4].push_str(&x.owner);
    if let Some(v) = x.amount {
        render::money_into(p, v, &mut row[5]);
    }
    if let Some(d) = x.expected_close {
        let _ = write!(row[6], "{}", render::date_shown(p, d));
    }
}

/// The rows as a Markdown table, the numbers right-aligned, and the count under it.
fn write_markdown(
    headers: &[&str],
    rows: usize,
    mut spooled: spool::Spooled,
    note: &str,
    out: &mut dyn Write,
) -> Result<()> {
    out.write_all(output::markdown_row(headers.iter().copied()).as_bytes())?;
    let aligns: Vec<&str> = (0..headers.len())
        .map(|i| {
            if rows > 0 && NUMBERS.contains(&i) {
                "---:"
            } else {
                "---"
            }
        })
        .collect();
    writeln!(out, "| {} |", aligns.join(" | "))?;
    let mut row = Rows::default();
    for _ in 0..rows {
        row.clear();
        row.read_spooled(&mut spooled, headers.len(), 1)?;
        out.write_all(output::markdown_row(row.row(0)).as_bytes())?;
    }
    out.write_all(output::markdown_note(note).as_bytes())?;
    Ok(())
}

/// Every field, with plain values, for programs and spreadsheets.
const CSV_HEADERS: [&str; 13] = [
    "id",
    "stage",
    "stage_since",
    "name",
    "company",
    "owner",
    "amount",
    "probability",
    "expected_close",
    "next_action",
    "products",
    "lost_reason",
    "created",
];

fn write_csv_row<W: Write>(
    w: &mut csv::Writer<W>,
    p: &Pipeline,
    x: &Prospect,
    buf: &mut String,
) -> Result<()> {
    use std::fmt::Write as _;
    // The cells made here are written end to end into `buf`, reused from
    // row to row, and cut out of it once all are there.
    buf.clear();
    let date = |buf: &mut String, d: Option<chrono::NaiveDate>| {
        let start = buf.len();
        if let Some(d) = d {
            render::push_date(buf, crate::pipeline::Locale::En, d);
        }
        start..buf.len()
    };
    let number = |buf: &mut String, v: Option<rust_decimal::Decimal>| {
        let start = buf.len();
        if let Some(v) = v {
            // Writing to a String cannot fail.
            let _ = write!(buf, "{v}");
        }
        start..buf.len()
    };
    let stage_since = date(buf, x.stage_since);
    let amount = number(buf, x.amount);
    let probability = number(buf, x.probability);
    let expected_close = date(buf, x.expected_close);
    let next_action = date(buf, x.next_action);
    let products = {
        let start = buf.len();
        for (k, &i) in x.products.iter().enumerate() {
            if k > 0 {
                buf.push('|');
            }
            buf.push_str(&p.products[i].id);
        }
        start..buf.len()
    };
    let created = date(buf, x.created);
    let buf = buf.as_str();
    render::write_safe_record(
        w,
        [
            x.id.as_str(),
            &p.stages[x.stage].id,
            &buf[stage_since],
            &x.name,
            &x.company,
            &x.owner,
            &buf[amount],
            &buf[probability],
            &buf[expected_close],
            &buf[next_action],
            &buf[products],
            &x.lost_reason,
            &buf[created],
        ],
    )?;
    Ok(())
}

/// One prospect in JSON, borrowed from it; its keys in this order.
#[derive(serde::Serialize)]
struct Json<'a> {
    id: &'a str,
    stage: &'a str,
    stage_label: &'a str,
    phase: &'static str,
    stage_since: Option<chrono::NaiveDate>,
    name: &'a str,
    company: &'a str,
    owner: &'a str,
    amount: Option<rust_decimal::Decimal>,
    probability: rust_decimal::Decimal,
    weighted: Option<rust_decimal::Decimal>,
    expected_close: Option<chrono::NaiveDate>,
    next_action: Option<chrono::NaiveDate>,
    products: Vec<&'a str>,
    lost_reason: &'a str,
    created: Option<chrono::NaiveDate>,
}

fn json_of<'a>(p: &'a Pipeline, x: &'a Prospect) -> Json<'a> {
    let stage = &p.stages[x.stage];
    Json {
        id: &x.id,
        stage: &stage.id,
        stage_label: &stage.label,
        phase: stage.phase.key(),
        stage_since: x.stage_since,
        name: &x.name,
        company: &x.company,
        owner: &x.owner,
        amount: x.amount,
        probability: x.probability(p),
        weighted: x.weighted(p),
        expected_close: x.expected_close,
        next_action: x.next_action,
        products: x
            .products
            .iter()
            .map(|&i| p.products[i].id.as_str())
            .collect(),
        lost_reason: &x.lost_reason,
        created: x.created,
    }
}
