//! A prospect as the rest of `pipe` sees it: typed values read from a
//! register row, with every unreadable cell reported (not only the first).

use crate::dates::DateFormats;
use crate::field::{Field, Kind};
use crate::money::{self, AmountStyle};
use crate::pipeline::Pipeline;
use crate::register::Schema;
use crate::summary::{self, Early};
use crate::text::or_list;
use chrono::NaiveDate;
use rust_decimal::Decimal;

#[derive(Debug, Clone, Default)]
pub struct Prospect {
    pub id: String,
    pub stage: usize,
    pub stage_since: Option<NaiveDate>,
    pub name: String,
    pub company: String,
    pub owner: String,
    pub amount: Option<Decimal>,
    pub probability: Option<Decimal>,
    pub expected_close: Option<NaiveDate>,
    pub next_action: Option<NaiveDate>,
    pub products: Vec<usize>,
    pub lost_reason: String,
    pub created: Option<NaiveDate>,
    pub snooze_until: Option<NaiveDate>,
}

/// Reads the first bytes of a batch's owners and families, decoded on the
/// other core, one after the other: the misses of the processor's cache that
/// their first reads make then overlap, where a visit meeting them one row
/// at a time waits for each (a report by owner from the register's cache
/// at 1M spent 35 ms so). Not for rows parsed from the CSV: the thread that
/// adds them up also parses a share of them, as much as it has time for,
/// and warming made it take less (owners 922 → 991 ms at 1M).
fn warm(items: &[Prospect]) {
    let mut seen = 0usize;
    for x in items {
        seen ^= usize::from(x.owner.as_bytes().first().copied().unwrap_or(0));
        seen ^= x.products.first().copied().unwrap_or(0);
    }
    std::hint::black_box(seen);
}

/// How many prospects go from the parsing thread to the consuming one at a time.
const BATCH: usize = 512;

/// Rows handed from the reading thread to the consuming one: read into
/// prospects, or (every other batch) as their cells, for the consuming
/// thread to read. Building a report is lighter than reading rows, so the
/// consuming thread takes half the reading and the two threads finish
/// together; the rows arrive in file order either way.
#[derive(Default)]
struct RowBatch {
    prospects: crate::par::Reused<Prospect>,
    /// Whether this batch's rows are left as cells.
    late: bool,
    /// The register's date format as the reading thread knows it.
    hint: Option<usize>,
    /// The cells of the rows left, end to end, and where each ends.
    text: String,
    ends: Vec<usize>,
    late_rows: usize,
}

impl crate::par::Batch for RowBatch {
    fn clear(&mut self) {
        crate::par::Batch::clear(&mut self.prospects);
        self.late = false;
        self.hint = None;
        self.text.clear();
        self.ends.clear();
        self.late_rows = 0;
    }
}

impl RowBatch {
    fn rows(&self) -> usize {
        if self.late {
            self.late_rows
        } else {
            self.prospects.len()
        }
    }

    /// Keeps a row's first `width` cells, for the consuming thread.
    fn keep_cells(&mut self, cells: &crate::register::Cells<'_>, width: usize) {
        for c in 0..width {
            self.text.push_str(cells.get(c));
            self.ends.push(self.text.len());
        }
        self.late_rows += 1;
    }

    /// Column `col` of the `row`th row left (rows of `width` cells).
    fn cell(&self, row: usize, col: usize, width: usize) -> &str {
        if col >= width {
            return "";
        }
        let k = row * width + col;
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        &self.text[start..self.ends[k]]
    }
}

/// A cell that could not be read: which column, what kind of problem, the message and a hint.
#[derive(Debug, Clone)]
pub struct CellError {
    pub col: usize,
    pub code: &'static str,
    pub message: String,
    pub hint: Option<String>,
}

/// How the register writes dates and amounts, learnt from the first cells that show it.
#[derive(Debug, Clone, Default)]
pub struct Styles {
    pub date: Option<usize>,
    pub amount: Option<AmountStyle>,
}

impl Prospect {
    /// The probability that applies: the prospect's own, else its stage's.
    pub fn probability(&self, p: &Pipeline) -> Decimal {
        self.probability.unwrap_or(p.stages[self.stage].probability)
    }

    /// The amount weighted by the probability, exact.
    pub fn weighted(&self, p: &Pipeline) -> Option<Decimal> {
        self.amount
            .map(|a| a * self.probability(p) / Decimal::ONE_HUNDRED)
    }

    pub fn display_name(&self) -> &str {
        if !self.company.is_empty() {
            &self.company
        } else {
            &self.name
        }
    }

    pub fn has(&self, f: Field) -> bool {
        match f {
            Field::Id => !self.id.is_empty(),
            Field::Stage => true,
            Field::StageSince => self.stage_since.is_some(),
            Field::Name => !self.name.is_empty(),
            Field::Company => !self.company.is_empty(),
            Field::Owner => !self.owner.is_empty(),
            Field::Amount => self.amount.is_some(),
            Field::Probability => self.probability.is_some(),
            Field::ExpectedClose => self.expected_close.is_some(),
            Field::NextAction => self.next_action.is_some(),
            Field::Products => !self.products.is_empty(),
            Field::LostReason => !self.lost_reason.is_empty(),
            Field::Created => self.created.is_some(),
            Field::SnoozeUntil => self.snooze_until.is_some(),
        }
    }

    /// Streams the register, handing every readable prospect to `visit` (one
    /// reused value, no copy per row); returns how many rows cannot be read
    /// (`pipe check` says why).
    ///
    /// A large register is parsed on a second thread while `visit` runs on
    /// this one ([`crate::par`]); prospects arrive in file order either way.
    pub fn scan(p: &Pipeline, visit: impl FnMut(&Prospect)) -> anyhow::Result<u64> {
        Prospect::scan_ahead(p, |_| {}, visit)
    }

    /// [`Prospect::scan`], showing `ahead` the ids of a batch of rows before
    /// any of them is visited, when the register is read on two threads. A
    /// visitor that looks each prospect up in a table larger than the
    /// processor's caches can start those memory reads together there,
    /// instead of waiting for each in turn as it visits.
    pub fn scan_ahead(
        p: &Pipeline,
        ahead: impl FnMut(&mut dyn Iterator<Item = &str>),
        visit: impl FnMut(&Prospect),
    ) -> anyhow::Result<u64> {
        Prospect::scan_early(p, Early::none(), ahead, visit)
    }

    /// [`Prospect::scan_ahead`] with the register's cache checked by `early`,
    /// started before the caller's other work. With an early check, the
    /// cache's contents are checked as they are read: the scan fails with
    /// [`summary::Damaged`] when they do not match, after some rows were
    /// visited, and the caller starts again with [`Early::none`].
    pub fn scan_early(
        p: &Pipeline,
        early: Early,
        ahead: impl FnMut(&mut dyn Iterator<Item = &str>),
        visit: impl FnMut(&Prospect),
    ) -> anyhow::Result<u64> {
        Prospect::scan_rows(Prospect::open(p)?, early, p, ahead, visit)
    }

    /// The register opened for a scan: hashed as it is read when the scan
    /// would write the register's cache ([`crate::summary`]).
    pub fn open(p: &Pipeline) -> anyhow::Result<crate::register::Reader> {
        crate::register::Reader::open_hashing(p, summary::writes(p))
    }

    /// [`Prospect::scan`] with the register opened already (by
    /// [`Prospect::open`]): a command that writes as it reads opens it first,
    /// so that a register that cannot be read leaves its output untouched.
    pub fn scan_from(
        reader: crate::register::Reader,
        p: &Pipeline,
        visit: impl FnMut(&Prospect),
    ) -> anyhow::Result<u64> {
        Prospect::scan_rows(reader, Early::none(), p, |_| {}, visit)
    }

    /// [`Prospect::scan_from`] with [`Prospect::scan_ahead`]'s look ahead:
    /// from the register's cache when it has one for the register as it
    /// is, else from the register, writing the cache when it was opened to.
    fn scan_rows(
        mut reader: crate::register::Reader,
        early: Early,
        p: &Pipeline,
        mut ahead: impl FnMut(&mut dyn Iterator<Item = &str>),
        mut visit: impl FnMut(&Prospect),
    ) -> anyhow::Result<u64> {
        if let Some(checked) = early.finish(p) {
            return Prospect::replay(checked, p, ahead, visit);
        }
        let mut writer = if reader.hashing() {
            summary::Writer::new(p)
        } else {
            None
        };
        let mut keep = |x: &Prospect| {
            if let Some(w) = &mut writer {
                w.add(x);
            }
        };
        let len = std::fs::metadata(&p.register.path).map_or(0, |m| m.len());
        if !crate::par::worth_it(len) {
            let mut x = Prospect::empty();
            let skipped = Prospect::read_rows(&mut reader, p, |read| {
                if read(&mut x) {
                    visit(&x);
                    keep(&x);
                }
                true
            })?;
            if let (Some(w), Some((len, hash))) = (writer, reader.read_hash()) {
                w.finish(len, hash, skipped);
            }
            return Ok(skipped);
        }
        let schema = reader.schema.clone();
        let width = Field::ALL
            .into_iter()
            .filter_map(|f| schema.col(f))
            .max()
            .map_or(0, |c| c + 1);
        let mut late_skips = 0;
        let mut late = Prospect::empty();
        let (skipped, read) = crate::par::pipelined(
            |feed: &mut crate::par::Feed<RowBatch>| {
                let mut batch = RowBatch::default();
                let mut styles = Styles::default();
                let mut skipped = 0;
                while let Some(r) = reader.next_row()? {
                    let Ok(cells) = r.text_cells() else {
                        skipped += 1;
                        continue;
                    };
                    if batch.late {
                        batch.keep_cells(&cells, width);
                    } else if batch
                        .prospects
                        .slot()
                        .read(|c| cells.get(c), r.schema, p, &mut styles)
                        .is_ok()
                    {
                        batch.prospects.keep();
                    } else {
                        skipped += 1;
                    }
                    if batch.rows() == BATCH {
                        if !feed.pass(&mut batch) {
                            return Ok((skipped, None));
                        }
                        // A batch is left for the consuming thread to read when
                        // it keeps up ([`crate::par::Feed::share`]), once the register's date format is known (the only
                        // thing a row's reading takes from the rows before).
                        batch.late = feed.share() && styles.date.is_some();
                        batch.hint = styles.date;
                    }
                }
                feed.pass(&mut batch);
                Ok((skipped, reader.read_hash()))
            },
            |batch| {
                if !batch.late {
                    let items = batch.prospects.items();
                    ahead(&mut items.iter().map(|x| x.id.as_str()));
                    for x in items.iter() {
                        visit(x);
                        keep(x);
                    }
                    return;
                }
                if let Some(c) = schema.col(Field::Id) {
                    ahead(
                        &mut (0..batch.late_rows)
                            .map(|i| crate::text::trim(batch.cell(i, c, width))),
                    );
                }
                let mut styles = Styles {
                    date: batch.hint,
                    amount: None,
                };
                for i in 0..batch.late_rows {
                    let cell = |c: usize| batch.cell(i, c, width);
                    if late.read(cell, &schema, p, &mut styles).is_ok() {
                        visit(&late);
                        keep(&late);
                    } else {
                        late_skips += 1;
                    }
                }
            },
        )?;
        let skipped = skipped + late_skips;
        if let (Some(w), Some((len, hash))) = (writer, read) {
            w.finish(len, hash, skipped);
        }
        Ok(skipped)
    }

    /// The prospects of the register's cache, handed to `visit` as a scan of
    /// the register would: on two threads for a large register, one
    /// decoding, this one visiting.
    fn replay(
        checked: summary::Checked,
        p: &Pipeline,
        mut ahead: impl FnMut(&mut dyn Iterator<Item = &str>),
        mut visit: impl FnMut(&Prospect),
    ) -> anyhow::Result<u64> {
        let skipped = checked.skipped();
        let concurrent = crate::par::worth_it(checked.register_len());
        let later = checked.checked_later();
        let mut rows = checked.rows();
        let broken = |e: anyhow::Error| {
            if later {
                // Checked as it was read: damaged, it goes, and the caller
                // starts again from the register.
                let _ = std::fs::remove_file(summary::path_for(&p.register.path));
                return anyhow::Error::new(summary::Damaged);
            }
            summary::unreadable(p, &e)
        };
        if !concurrent {
            let mut x = Prospect::empty();
            while let Some(mut block) = rows.next_block().map_err(broken)? {
                while block.next_into(&mut x).map_err(broken)? {
                    visit(&x);
                }
            }
            return Ok(skipped);
        }
        crate::par::pipelined(
            |feed: &mut crate::par::Feed<crate::par::Reused<Prospect>>| {
                let mut batch = crate::par::Reused::default();
                while let Some(mut block) = rows.next_block().map_err(broken)? {
                    while block.next_into(batch.slot()).map_err(broken)? {
                        batch.keep();
                        if batch.len() == BATCH && !feed.pass(&mut batch) {
                            return Ok(());
                        }
                    }
                }
                feed.pass(&mut batch);
                Ok(())
            },
            |batch| {
                let items = batch.items();
                warm(items);
                ahead(&mut items.iter().map(|x| x.id.as_str()));
                items.iter().for_each(&mut visit);
            },
        )?;
        Ok(skipped)
    }

    /// Offers each row to `row`, which calls the reader it is given on a
    /// prospect of its choice (true when the row could be read into it) and
    /// returns false to stop; returns how many rows could not be read.
    fn read_rows(
        reader: &mut crate::register::Reader,
        p: &Pipeline,
        mut row: impl FnMut(&mut dyn FnMut(&mut Prospect) -> bool) -> bool,
    ) -> anyhow::Result<u64> {
        let mut styles = Styles::default();
        let mut skipped = 0;
        while let Some(r) = reader.next_row()? {
            let Ok(cells) = r.text_cells() else {
                skipped += 1;
                continue;
            };
            let mut read = |x: &mut Prospect| {
                let ok = x.read(|c| cells.get(c), r.schema, p, &mut styles).is_ok();
                skipped += u64::from(!ok);
                ok
            };
            if !row(&mut read) {
                break;
            }
        }
        Ok(skipped)
    }

    /// A prospect with every field empty, to [`Prospect::read`] rows into.
    pub fn empty() -> Prospect {
        Prospect::default()
    }

    /// Reads a prospect from its cells (`cell(col)` gives a column's text).
    pub fn parse<'c>(
        cell: impl Fn(usize) -> &'c str,
        schema: &Schema,
        p: &Pipeline,
        styles: &mut Styles,
    ) -> Result<Prospect, Vec<CellError>> {
        let mut x = Prospect::empty();
        x.read(cell, schema, p, styles)?;
        Ok(x)
    }

    /// As [`Prospect::parse`], into this prospect, reusing its strings: for scans,
    /// which read a million rows into one prospect. After an error its fields are unspecified.
    pub fn read<'c>(
        &mut self,
        cell: impl Fn(usize) -> &'c str,
        schema: &Schema,
        p: &Pipeline,
        styles: &mut Styles,
    ) -> Result<(), Vec<CellError>> {
        let mut errors = Vec::new();
        let get = |f: Field| schema.col(f).map(|c| (c, crate::text::trim(cell(c))));
        let text = |f: Field, into: &mut String| {
            into.clear();
            if let Some((_, s)) = get(f) {
                into.push_str(s);
            }
        };

        text(Field::Id, &mut self.id);
        let id = &self.id;
        if id.is_empty() {
            errors.push(CellError {
                col: schema.col(Field::Id).unwrap_or(0),
                code: "missing-id",
                message: "this row has no id".into(),
                hint: Some("give every prospect a unique id (`pipe add` makes one)".into()),
            });
        }
        let stage = match get(Field::Stage) {
            Some((c, "")) => {
                errors.push(CellError {
                    col: c,
                    code: "missing-stage",
                    message: format!("prospect `{id}` has no stage"),
                    hint: Some("write one of the pipeline's stages in the cell".into()),
                });
                0
            }
            Some((c, s)) => p.find_stage(s).unwrap_or_else(|| {
                errors.push(CellError {
                    col: c,
                    code: "unknown-stage",
                    message: p.unknown_stage(s),
                    hint: None,
                });
                0
            }),
            None => 0,
        };
        let formats = &p.register.date_formats;
        let mut date = |f: Field, errors: &mut Vec<CellError>| -> Option<NaiveDate> {
            let (c, s) = get(f)?;
            if s.is_empty() {
                return None;
            }
            match formats.parse_hinted(s, styles.date) {
                Some((d, i)) => {
                    styles.date.get_or_insert(i);
                    Some(d)
                }
                None => {
                    errors.push(bad_date(c, f, s, formats));
                    None
                }
            }
        };
        let stage_since = date(Field::StageSince, &mut errors);
        let expected_close = date(Field::ExpectedClose, &mut errors);
        let next_action = date(Field::NextAction, &mut errors);
        let created = date(Field::Created, &mut errors);
        let snooze_until = date(Field::SnoozeUntil, &mut errors);
        let amount = match get(Field::Amount) {
            Some((_, "")) | None => None,
            Some((c, s)) => match money::parse(s) {
                Ok((v, st)) => {
                    styles.amount.get_or_insert(st);
                    Some(v)
                }
                Err(e) => {
                    errors.push(CellError {
                        col: c,
                        code: "bad-amount",
                        message: e,
                        hint: Some(
                            "write the amount with digits, such as `12500.50` or `12 500,50 €`"
                                .into(),
                        ),
                    });
                    None
                }
            },
        };
        let probability = match get(Field::Probability) {
            Some((_, "")) | None => None,
            Some((c, s)) => match money::parse_percent(s) {
                Ok(v) => Some(v),
                Err(e) => {
                    errors.push(CellError {
                        col: c,
                        code: "bad-probability",
                        message: e,
                        hint: Some("leave it empty to use the stage's probability".into()),
                    });
                    None
                }
            },
        };
        let products = &mut self.products;
        products.clear();
        if let Some((c, s)) = get(Field::Products) {
            for item in s
                .split(p.register.list_separator.as_str())
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                match p.find_product(item) {
                    Some(i) if !products.contains(&i) => products.push(i),
                    Some(_) => {}
                    None => errors.push(CellError {
                        col: c,
                        code: "unknown-product",
                        message: p.unknown_product(item),
                        hint: Some(format!(
                            "separate families with `{}`",
                            p.register.list_separator
                        )),
                    }),
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        self.stage = stage;
        self.stage_since = stage_since;
        text(Field::Name, &mut self.name);
        text(Field::Company, &mut self.company);
        text(Field::Owner, &mut self.owner);
        self.amount = amount;
        self.probability = probability;
        self.expected_close = expected_close;
        self.next_action = next_action;
        text(Field::LostReason, &mut self.lost_reason);
        self.created = created;
        self.snooze_until = snooze_until;
        Ok(())
    }
}

fn bad_date(col: usize, f: Field, s: &str, formats: &DateFormats) -> CellError {
    let hint = if formats.len() == 1 {
        "write it as `2026-01-31`; if the register uses another format, list it in `date_formats` under [register] (such as `[\"%d/%m/%Y\"]`)".to_string()
    } else {
        format!("write it as {}", formats.describe())
    };
    CellError {
        col,
        code: "bad-date",
        message: format!("{} `{s}` is not a date", f.key()),
        hint: Some(hint),
    }
}

/// Checks a value typed on the command line or in a batch file for a field, and gives it in canonical form
/// (ISO dates, plain decimals, stage and product ids) for the journal.
pub fn canonical(f: Option<Field>, value: &str, p: &Pipeline) -> Result<String, String> {
    let v = value.trim();
    let Some(f) = f else {
        return Ok(value.to_string());
    };
    if v.is_empty() {
        return Ok(String::new());
    }
    match f.kind() {
        Kind::Text => Ok(v.to_string()),
        Kind::Stage => p
            .find_stage(v)
            .map(|i| p.stages[i].id.clone())
            .ok_or_else(|| p.unknown_stage(v)),
        Kind::Date => p
            .register
            .date_formats
            .parse_date(v)
            .map(crate::dates::iso)
            .ok_or_else(|| {
                format!(
                    "{} `{v}` is not a date; write it as {}",
                    f.key(),
                    p.register.date_formats.describe()
                )
            }),
        Kind::Amount => money::parse(v).map(|(d, _)| d.to_string()),
        Kind::Percent => money::parse_percent(v).map(|d| d.to_string()),
        Kind::List => {
            let mut ids: Vec<&str> = Vec::new();
            for item in v
                .split(p.register.list_separator.as_str())
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                let i = p
                    .find_product(item)
                    .ok_or_else(|| p.unknown_product(item))?;
                if !ids.contains(&p.products[i].id.as_str()) {
                    ids.push(&p.products[i].id);
                }
            }
            Ok(ids.join("|"))
        }
    }
}

/// Writes a canonical value as a register cell, in the register's own style.
pub fn to_cell(
    f: Option<Field>,
    canonical: &str,
    p: &Pipeline,
    styles: &Styles,
    plain_decimal: char,
) -> String {
    let Some(f) = f else {
        return canonical.to_string();
    };
    if canonical.is_empty() {
        return String::new();
    }
    match f.kind() {
        Kind::Text => canonical.to_string(),
        Kind::Stage => p
            .find_stage(canonical)
            .map_or_else(|| canonical.to_string(), |i| p.stages[i].label.clone()),
        Kind::Date => {
            let d = crate::dates::parse_iso(canonical).expect("canonical dates are ISO");
            p.register.date_formats.write(styles.date.unwrap_or(1), d)
        }
        Kind::Amount => {
            let v: Decimal = canonical
                .parse()
                .expect("canonical amounts are plain decimals");
            {
                let mut style = styles.amount.clone().unwrap_or_default();
                style.decimal.get_or_insert(plain_decimal);
                style.write(v)
            }
        }
        Kind::Percent => {
            let v: Decimal = canonical
                .parse()
                .expect("canonical percentages are plain decimals");
            AmountStyle::plain(plain_decimal).write(v)
        }
        Kind::List => canonical
            .split('|')
            .map(|id| {
                p.find_product(id)
                    .map_or(id, |i| p.products[i].label.as_str())
            })
            .collect::<Vec<_>>()
            .join(&p.register.list_separator),
    }
}

/// The canonical form of a register cell, for comparing with the journal. Unreadable cells come back as they are.
pub fn cell_canonical(f: Option<Field>, cell: &str, p: &Pipeline) -> String {
    canonical(f, cell, p).unwrap_or_else(|_| cell.trim().to_string())
}

/// Whether two canonical values of a field are the same value (`18500` and `18500.00` are).
pub fn same_value(f: Option<Field>, a: &str, b: &str, p: &Pipeline) -> bool {
    match f.map(Field::kind) {
        Some(Kind::Amount | Kind::Percent) => {
            match (a.trim().parse::<Decimal>(), b.trim().parse::<Decimal>()) {
                (Ok(x), Ok(y)) => x == y,
                _ => a.trim() == b.trim(),
            }
        }
        Some(Kind::Stage) => p.find_stage(a) == p.find_stage(b),
        _ => a.trim() == b.trim(),
    }
}

/// The fields missing for a stage's `requires`.
pub fn missing_for(stage: usize, prospect: &Prospect, p: &Pipeline) -> Vec<Field> {
    p.stages[stage]
        .requires
        .iter()
        .copied()
        .filter(|f| !prospect.has(*f))
        .collect()
}

pub fn describe_fields(fields: &[Field]) -> String {
    or_list(&fields.iter().map(|f| f.key()).collect::<Vec<_>>()).replace(" or ", " and ")
}
