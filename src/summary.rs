//! The register's rows kept beside it as read, so that a large register is
//! parsed once until it changes.
//!
//! The cache is a hidden file next to the register (`.prospects.csv.pipe-cache`
//! for `prospects.csv`). It holds, in file order, every prospect a scan read
//! from the register ([`crate::prospect::Prospect`]) and how many rows could
//! not be read; or, made by `pipe check`'s scan ([`Kind::Rows`]), every row
//! as its own checks left it ([`RowCheck`]: its place, its diagnostics, its
//! prospect if it has one), which serves both. With what they were made from:
//!
//! - the register's length and the xxh3-128 hash of all its bytes: a cache is
//!   used only for a register that is, byte for byte, the one it was made
//!   from. The register is hashed on every use (about 40 ms for 200 MB on one
//!   core, against 0.4 s to parse it on two); nothing is trusted from its
//!   size or dates, so an edit, however small and whenever made, is seen;
//! - a fingerprint of `pipe`'s version, of the cache's format and of the
//!   pipeline file's text, since the rows' reading depends on its stages,
//!   families, columns and formats;
//! - the hash of its own contents, so a cache cut short or damaged is never
//!   used: checked before any row is used, or, for a caller that can start
//!   again (the reports, [`Early::start`]), as the rows are read, the last
//!   block coming only once they matched ([`Damaged`] otherwise).
//!
//! It is written by a scan that read the whole register as CSV without a
//! cache to use, from the bytes that scan parsed (hashed as they were read,
//! so a register replaced meanwhile cannot be paired with another's rows).
//! Writing is best effort, to a temporary file renamed into place: a folder
//! that cannot be written to, or a full disk, only means the next scan reads
//! the CSV again. Deleting it is always safe. `PIPE_CACHE` decides when it is
//! used, as for the journal's cache ([`Policy`]): by default for registers
//! of 1 MiB or more.
//!
//! The commands that read prospects use it (the reports, `list`, `effort`,
//! `calibration`), and those that check rows (`check`, `alerts`, `triage`,
//! through [`crate::validation::scan_register`]) use a cache of rows; the
//! writing commands copy the register's bytes, so they read the CSV.
//!
//! ## Format
//! A header of [`HEADER_LEN`] bytes (little-endian numbers), then blocks: a
//! block is the lengths of its two parts and its prospect count (`u32`
//! each), then its text (the prospects' strings end to end, checked as
//! UTF-8 once a block) and its values. A prospect's values are a byte
//! telling which optional values it has, its stage, the lengths of its id,
//! name, company, owner and lost reason, its dates present (year zigzagged,
//! then day of the year), its amount and probability present (a byte of
//! scale and sign, then the magnitude as two numbers, low 64 bits first), and
//! its families (count, then each); every number LEB128. In a cache of rows
//! each prospect is preceded by its row's part: a byte of flags (a prospect
//! follows, diagnostics follow, which of the id, owner, name and stage cells
//! are written out because they differ from what the prospect gives), the
//! line counted from the block's previous row, the id's line below it and
//! column, those cells, and the diagnostics (count; each a byte of severity
//! and parts, its code's place in [`CODES`], its line below the row's, its
//! column, message and hint).

use crate::cachefile::{Put, Take, TempFile};
use crate::diag::{Diagnostic, Severity};
use crate::digest::cache::{
    Bytes, Hasher, Hashing, Policy, put_varint, read_exact_or_eof, unzigzag, zigzag,
};
use crate::pipeline::Pipeline;
use crate::prospect::Prospect;
use crate::validation::RowCheck;
use anyhow::{Result, bail};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

const MAGIC: &[u8; 8] = b"pipe-rc1";
/// Bumped whenever the layout or the meaning of a prospect's bytes changes.
const FORMAT_VERSION: u32 = 3;
const HEADER_LEN: usize = 8 + 16 + 8 + 16 + 8 + 8 + 8 + 8 + 16;
/// A block is written once it holds this many bytes.
const BLOCK: usize = 64 * 1024;
/// Registers smaller than this are read as CSV every time unless `PIPE_CACHE=1`.
const MIN_REGISTER: u64 = 1 << 20;
/// The reads of the register and of the cache while they are checked.
const READ_BUF: usize = 256 * 1024;

/// Where the cache of the register at `register` goes.
pub fn path_for(register: &Path) -> PathBuf {
    crate::cachefile::path_beside(register)
}

/// What the rows read from a register depend on besides its bytes.
pub fn fingerprint(p: &Pipeline) -> [u8; 16] {
    let mut h = Hasher::new();
    h.update(MAGIC);
    h.update(&FORMAT_VERSION.to_le_bytes());
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(&p.text_hash.to_le_bytes());
    h.digest().to_le_bytes()
}

/// Whether a scan of the register should write a cache when it finds none to use.
pub fn writes(p: &Pipeline) -> bool {
    match Policy::from_env() {
        Policy::Off => false,
        Policy::Always => true,
        Policy::Auto => std::fs::metadata(&p.register.path).is_ok_and(|m| m.len() >= MIN_REGISTER),
    }
}

/// What a cache's entries are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The prospects read, written by a scan that read prospects only.
    Prospects = 0,
    /// Every row as `pipe check` reads it ([`RowCheck`]: its place, its
    /// diagnostics, its prospect if it has one), written by a scan that
    /// checked every row; it serves the scans of prospects too.
    Rows = 1,
}

impl Kind {
    /// The kind a header's number names, if any.
    fn parse(v: u64) -> Option<Kind> {
        match v {
            0 => Some(Kind::Prospects),
            1 => Some(Kind::Rows),
            _ => None,
        }
    }
}

/// The header's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    fingerprint: [u8; 16],
    register_len: u64,
    register_hash: u128,
    /// How many entries the body holds (prospects, or rows for
    /// [`Kind::Rows`]), and how many rows could not be read.
    rows: u64,
    skipped: u64,
    kind: Kind,
    body_len: u64,
    body_hash: u128,
}

impl Header {
    fn bytes(&self) -> [u8; HEADER_LEN] {
        Put::new(MAGIC)
            .bytes(&self.fingerprint)
            .u64(self.register_len)
            .u128(self.register_hash)
            .u64(self.rows)
            .u64(self.skipped)
            .u64(self.kind as u64)
            .u64(self.body_len)
            .u128(self.body_hash)
            .done()
    }

    fn parse(b: &[u8; HEADER_LEN]) -> Option<Header> {
        let mut t = Take::after(b, MAGIC)?;
        Some(Header {
            fingerprint: t.bytes16(),
            register_len: t.u64(),
            register_hash: t.u128(),
            rows: t.u64(),
            skipped: t.u64(),
            kind: Kind::parse(t.u64())?,
            body_len: t.u64(),
            body_hash: t.u128(),
        })
    }
}

/// A cache made under this pipeline for the register as it is now, whose
/// contents match their hash (or are checked as they are read, for a
/// caller that can start again: [`Early::start`]): its rows stand for the
/// register's.
pub struct Checked {
    header: Header,
    /// Positioned at the first block.
    body: BufReader<File>,
    /// Whether the contents are yet to be checked against their hash.
    later: bool,
}

/// A cache that checked out against its hash and still cannot be read: a
/// fault of `pipe`'s, told with what to do.
pub fn unreadable(p: &Pipeline, e: &anyhow::Error) -> anyhow::Error {
    anyhow::anyhow!(
        "cannot read the register's cache {}: {e:#}\n  hint: delete it (the next scan of the register makes it again), or set PIPE_CACHE=0",
        path_for(&p.register.path).display()
    )
}

/// The register's cache turned out damaged as its rows were read (its
/// contents do not match their hash): it has been removed, and what was
/// built on its rows must be built again from the register.
#[derive(Debug)]
pub struct Damaged;

impl std::fmt::Display for Damaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the register's cache does not match its hash")
    }
}

impl std::error::Error for Damaged {}

/// What a check needs, owned, so that it can run on a thread of its own.
struct Wanted {
    cache: PathBuf,
    register: PathBuf,
    fingerprint: [u8; 16],
    /// Check the contents as they are read rather than before.
    later: bool,
    /// Only a cache of checked rows will do ([`Kind::Rows`]).
    rows: bool,
}

impl Wanted {
    fn of(p: &Pipeline, later: bool) -> Option<Wanted> {
        (Policy::from_env() != Policy::Off).then(|| Wanted {
            cache: path_for(&p.register.path),
            register: p.register.path.clone(),
            fingerprint: fingerprint(p),
            later,
            rows: false,
        })
    }

    /// The cache, if it is made under this pipeline, of the register as it
    /// is now, and whole (or to be checked as it is read). Any failure to
    /// read means no cache.
    fn check(self) -> Option<Checked> {
        let mut file = File::open(&self.cache).ok()?;
        let mut head = [0u8; HEADER_LEN];
        file.read_exact(&mut head).ok()?;
        let header = Header::parse(&head).filter(|h| {
            h.fingerprint == self.fingerprint && (h.kind == Kind::Rows || !self.rows)
        })?;
        let register = File::open(&self.register).ok()?;
        if register.metadata().ok()?.len() != header.register_len
            || hash_all(register).ok()? != (header.register_len, header.register_hash)
        {
            return None;
        }
        if !self.later {
            if hash_all(&mut file).ok()? != (header.body_len, header.body_hash) {
                return None;
            }
            file.seek(SeekFrom::Start(HEADER_LEN as u64)).ok()?;
        }
        Some(Checked {
            header,
            body: BufReader::with_capacity(READ_BUF, file),
            later: self.later,
        })
    }
}

/// How many bytes `src` holds from where it stands and their hash; a cache's
/// body is hashed from its header's end, where it stands once the header is read.
fn hash_all(src: impl Read) -> io::Result<(u64, u128)> {
    let mut src = Hashing::new(src, Hasher::new(), 0, true);
    let mut buf = vec![0u8; READ_BUF];
    while read_exact_or_eof(&mut src, &mut buf)? > 0 {}
    let len = src.read_to();
    Ok((len, src.finish()))
}

/// The check of the register's cache, maybe running on another thread.
pub struct Early {
    thread: Option<JoinHandle<Option<Checked>>>,
    /// Dropped, it lets the thread start hashing ([`Early::hold`]).
    go: Option<std::sync::mpsc::Sender<()>>,
    /// Only a cache of checked rows will do ([`Early::start_rows`]).
    rows: bool,
}

impl Early {
    /// Starts a thread of its own to check the register's cache, for a
    /// command that has other work before it reads the register (the
    /// reports' journal): hashing the register then costs no time of its
    /// own. It starts hashing once [`Early::hold`] is let go. The cache's
    /// contents are checked as they are read, sparing a read of them: the
    /// command must start again from the register when the scan fails with
    /// [`Damaged`].
    pub fn start(p: &Pipeline) -> Early {
        match Wanted::of(p, true) {
            Some(wanted) => Early::spawn(wanted),
            None => Early::none(),
        }
    }

    /// [`Early::start`] for a scan that checks every row
    /// ([`crate::validation::scan_register`]): only a cache of checked rows
    /// will do, and its contents are checked before any row is used, on
    /// the thread, so the caller never starts again.
    pub fn start_rows(p: &Pipeline) -> Early {
        let Some(mut wanted) = Wanted::of(p, false) else {
            return Early {
                rows: true,
                ..Early::none()
            };
        };
        wanted.rows = true;
        Early::spawn(wanted)
    }

    fn spawn(wanted: Wanted) -> Early {
        // No second thread where `PIPE_THREADS=1` or the register is small:
        // the check is then made, whole, when the register is read.
        let rows = wanted.rows;
        let len = std::fs::metadata(&wanted.register).map_or(0, |m| m.len());
        if !wanted.cache.exists() || !crate::par::worth_it(len) {
            return Early {
                rows,
                ..Early::none()
            };
        }
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("pipe-rows".into())
            .spawn(move || {
                // Told to go, or let go: either way.
                let _ = wait.recv();
                wanted.check()
            })
            .ok();
        Early {
            thread,
            go: Some(go),
            rows,
        }
    }

    /// No check started: [`Early::finish`] checks the cache then.
    pub fn none() -> Early {
        Early {
            thread: None,
            go: None,
            rows: false,
        }
    }

    /// What holds the check back until it is dropped: a command with other
    /// work on the second core (hashing the journal) drops it when that is
    /// done, so that the two hashes do not share a core with its main work.
    /// Never taken, it is dropped by [`Early::finish`].
    pub fn hold(&mut self) -> Option<crate::digest::Hold> {
        let go = self.go.take()?;
        Some(Box::new(go))
    }

    /// The cache, checked: by the thread started, else now.
    pub fn finish(mut self, p: &Pipeline) -> Option<Checked> {
        drop(self.go.take());
        match self.thread.take() {
            Some(thread) => match thread.join() {
                Ok(checked) => checked,
                Err(panic) => std::panic::resume_unwind(panic),
            },
            None => {
                let mut wanted = Wanted::of(p, false)?;
                wanted.rows = self.rows;
                wanted.check()
            }
        }
    }
}

impl Checked {
    /// How many rows of the register could not be read.
    pub fn skipped(&self) -> u64 {
        self.header.skipped
    }

    /// The length of the register the cache was made from.
    pub fn register_len(&self) -> u64 {
        self.header.register_len
    }

    /// Whether the contents are checked as they are read: a failure then
    /// means [`Damaged`].
    pub fn checked_later(&self) -> bool {
        self.later
    }

    /// How many rows the cache holds (for [`Kind::Rows`]; its prospects otherwise).
    pub fn entries(&self) -> u64 {
        self.header.rows
    }

    /// The prospects (or rows), in the register's order, a block at a time.
    pub fn rows(self) -> Rows {
        Rows {
            body: self.body,
            kind: self.header.kind,
            left: self.header.rows,
            values: Vec::with_capacity(BLOCK),
            text: Vec::with_capacity(BLOCK),
            hash: self.later.then(|| {
                (
                    Hasher::new(),
                    0,
                    self.header.body_len,
                    self.header.body_hash,
                )
            }),
        }
    }
}

/// The prospects of a checked cache, read in order a block at a time.
pub struct Rows {
    body: BufReader<File>,
    kind: Kind,
    /// Entries not yet read.
    left: u64,
    /// The block's values and strings.
    values: Vec<u8>,
    text: Vec<u8>,
    /// For contents checked as they are read: their hash and length so far,
    /// and what they should be.
    hash: Option<(Hasher, u64, u64, u128)>,
}

impl Rows {
    /// The next block; `None` after the last. When the cache matched its
    /// hash before, an error here is a fault of `pipe`'s; when it is checked
    /// as it is read, its last block comes only once it has matched.
    pub fn next_block(&mut self) -> Result<Option<Block<'_>>> {
        if self.left == 0 {
            return Ok(None);
        }
        let mut head = [0u8; 12];
        self.body.read_exact(&mut head)?;
        let u32_at = |i: usize| u32::from_le_bytes(head[i..i + 4].try_into().expect("4 bytes"));
        let (text_len, values_len, count) = (u32_at(0), u32_at(4), u32_at(8));
        if count == 0 || u64::from(count) > self.left {
            bail!("a block of {count} prospects with {} left", self.left);
        }
        self.left -= u64::from(count);
        self.text.resize(text_len as usize, 0);
        self.body.read_exact(&mut self.text)?;
        self.values.resize(values_len as usize, 0);
        self.body.read_exact(&mut self.values)?;
        if let Some((hasher, len, want_len, want)) = &mut self.hash {
            for part in [&head[..], &self.text, &self.values] {
                hasher.update(part);
                *len += part.len() as u64;
            }
            if self.left == 0 {
                let mut more = [0u8; 1];
                let end = self.body.read(&mut more)? == 0;
                if !end || (*len, hasher.digest()) != (*want_len, *want) {
                    bail!(Damaged);
                }
            }
        }
        // The strings are checked together: one by one costs more than the
        // rest of the decoding.
        let Ok(text) = simdutf8::basic::from_utf8(&self.text) else {
            bail!("a block's text is not UTF-8");
        };
        Ok(Some(Block {
            values: Bytes::at(&self.values, 0),
            text,
            text_at: 0,
            left: count,
            kind: self.kind,
            line: 0,
        }))
    }
}

/// One block of prospects (or rows), decoded one at a time.
pub struct Block<'a> {
    values: Bytes<'a>,
    text: &'a str,
    text_at: usize,
    /// Entries not yet read.
    left: u32,
    kind: Kind,
    /// The line of the block's last row read ([`Kind::Rows`]), from which
    /// the next is counted.
    line: u64,
}

impl Block<'_> {
    /// Reads the block's next prospect into `x`; false after its last. In
    /// a cache of rows, the rows without a prospect are passed over.
    pub fn next_into(&mut self, x: &mut Prospect) -> Result<bool> {
        while self.left > 0 {
            let has = match self.kind {
                Kind::Prospects => true,
                Kind::Rows => self.row_part(None)? & R_PROSPECT != 0,
            };
            if has {
                decode(&mut self.values, self.text, &mut self.text_at, x)?;
            }
            self.entry_read()?;
            if has {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Reads the block's next row into `r` ([`Kind::Rows`] only), its
    /// diagnostics naming `file`; false after its last.
    pub fn next_row(&mut self, r: &mut RowCheck, p: &Pipeline, file: &str) -> Result<bool> {
        if self.left == 0 {
            return Ok(false);
        }
        if self.kind != Kind::Rows {
            bail!("a cache of prospects read as rows");
        }
        let flags = self.row_part(Some((r, file)))?;
        if flags & R_PROSPECT != 0 {
            // Into the last row's prospect, if it had one: its strings are reused.
            let mut x = r.prospect.take().unwrap_or_else(Prospect::empty);
            decode(&mut self.values, self.text, &mut self.text_at, &mut x)?;
            derive(r, &x, p, flags);
            r.prospect = Some(x);
        } else {
            r.stage = p.find_stage(&r.stage_text);
            r.prospect = None;
        }
        self.entry_read()?;
        Ok(true)
    }

    /// Counts an entry read; the last must end the block.
    fn entry_read(&mut self) -> Result<()> {
        self.left -= 1;
        if self.left == 0
            && (self.values.position(), self.text_at) != (self.values.len(), self.text.len())
        {
            bail!("a block holds more than its entries");
        }
        Ok(())
    }

    /// A string of the block's text, its length read from its values.
    fn string(&mut self) -> Result<&str> {
        let len = usize::try_from(self.values.varint()?)?;
        let end = self.text_at.saturating_add(len);
        let Some(t) = self.text.get(self.text_at..end) else {
            bail!("a string runs past its block's text");
        };
        self.text_at += len;
        Ok(t)
    }

    /// Reads what a row of a cache of rows says besides its prospect:
    /// into `into`, or passed over. Gives its flags: whether a prospect
    /// follows, which cells were written out.
    fn row_part(&mut self, mut into: Option<(&mut RowCheck, &str)>) -> Result<u8> {
        let flags = self.values.byte()?;
        self.line = below(self.line, self.values.varint()?)?;
        let id_line = below(self.line, self.values.varint()?)?;
        let id_column = self.values.varint()?;
        if let Some((r, _)) = &mut into {
            r.line = self.line;
            r.id_at = (id_line, id_column);
            r.number = None;
            r.diags.clear();
        }
        for (pick, bit) in CELLS.into_iter().enumerate() {
            if flags & bit == 0 {
                continue;
            }
            let t = self.string()?;
            if let Some((r, _)) = &mut into {
                let s = cells_mut(r).into_iter().nth(pick).expect("four cells");
                s.clear();
                s.push_str(t);
            }
        }
        if flags & R_DIAGS != 0 {
            for _ in 0..self.values.varint()? {
                let d = self.diagnostic(self.line)?;
                if let Some((r, file)) = &mut into {
                    r.diags.push(Diagnostic {
                        file: (*file).to_string(),
                        ..d
                    });
                }
            }
        }
        Ok(flags)
    }

    fn diagnostic(&mut self, row_line: u64) -> Result<Diagnostic> {
        let flags = self.values.byte()?;
        let Some(&code) = CODES.get(usize::try_from(self.values.varint()?)?) else {
            bail!("an unknown diagnostic");
        };
        let line = (flags & D_LINE != 0)
            .then(|| below(row_line, self.values.varint()?))
            .transpose()?;
        let column = (flags & D_COLUMN != 0)
            .then(|| self.values.varint())
            .transpose()?;
        let message = self.string()?.to_string();
        let hint = if flags & D_HINT != 0 {
            Some(self.string()?.to_string())
        } else {
            None
        };
        Ok(Diagnostic {
            file: String::new(),
            line,
            column,
            severity: if flags & D_WARNING != 0 {
                Severity::Warning
            } else {
                Severity::Error
            },
            code,
            message,
            hint,
        })
    }
}

/// The line `lines` below `line`; an error past the largest number (a
/// damaged cache read before its hash is known).
fn below(line: u64, lines: u64) -> Result<u64> {
    match line.checked_add(lines) {
        Some(l) => Ok(l),
        None => bail!("a line number out of range"),
    }
}

// What a row of a cache of rows holds besides its prospect: whether it has
// a prospect and diagnostics, and which of its cells are written out
// because they differ from what its prospect gives ([`derive`]).
const R_PROSPECT: u8 = 1;
const R_DIAGS: u8 = 1 << 1;
const R_ID: u8 = 1 << 2;
const R_OWNER: u8 = 1 << 3;
const R_NAME: u8 = 1 << 4;
const R_STAGE_TEXT: u8 = 1 << 5;
/// The bits of the id, owner, name and stage cells, in [`derived`]'s order.
const CELLS: [u8; 4] = [R_ID, R_OWNER, R_NAME, R_STAGE_TEXT];

// A diagnostic's severity and the parts it has.
const D_WARNING: u8 = 1;
const D_LINE: u8 = 1 << 1;
const D_COLUMN: u8 = 1 << 2;
const D_HINT: u8 = 1 << 3;

/// The codes of the diagnostics a row's own checks give, but `row-width`:
/// a register with a row of the wrong width gets no cache of rows, since a
/// scan of prospects reads such a row and `pipe check` does not. A row
/// with any other diagnostic makes no cache either (the writer gives up),
/// so a code missing here costs speed, never a wrong answer.
const CODES: [&str; 9] = [
    "bad-encoding",
    "missing-field",
    "missing-id",
    "missing-stage",
    "unknown-stage",
    "bad-amount",
    "bad-probability",
    "unknown-product",
    "bad-date",
];

/// A row's cells as its prospect gives them: what the writer leaves out when they agree.
fn derived<'a>(x: &'a Prospect, p: &'a Pipeline) -> [&'a str; 4] {
    let name = if x.company.is_empty() {
        &x.name
    } else {
        &x.company
    };
    [&x.id, &x.owner, name, &p.stages[x.stage].label]
}

/// A row's id, owner, name and stage cells, in [`derived`]'s order.
fn cells_mut(r: &mut RowCheck) -> [&mut String; 4] {
    [&mut r.id, &mut r.owner, &mut r.name, &mut r.stage_text]
}

/// Fills the cells of a row that its `flags` say were left out, from its prospect.
fn derive(r: &mut RowCheck, x: &Prospect, p: &Pipeline, flags: u8) {
    let given = derived(x, p);
    // A cell written out was read into place already.
    for (k, s) in cells_mut(r).into_iter().enumerate() {
        if flags & CELLS[k] == 0 {
            s.clear();
            s.push_str(given[k]);
        }
    }
    r.stage = Some(x.stage);
}

const STAGE_SINCE: u8 = 1;
const EXPECTED_CLOSE: u8 = 1 << 1;
const NEXT_ACTION: u8 = 1 << 2;
const CREATED: u8 = 1 << 3;
const SNOOZE_UNTIL: u8 = 1 << 4;
const AMOUNT: u8 = 1 << 5;
const PROBABILITY: u8 = 1 << 6;

/// The dates of a prospect, with the bit telling that each is there.
fn dates(x: &Prospect) -> [(u8, Option<NaiveDate>); 5] {
    [
        (STAGE_SINCE, x.stage_since),
        (EXPECTED_CLOSE, x.expected_close),
        (NEXT_ACTION, x.next_action),
        (CREATED, x.created),
        (SNOOZE_UNTIL, x.snooze_until),
    ]
}

/// Puts a prospect's strings into `text` and the rest into `values`.
fn encode(values: &mut Vec<u8>, text: &mut Vec<u8>, x: &Prospect) {
    let b = values;
    let flags = dates(x)
        .into_iter()
        .map(|(bit, d)| (bit, d.is_some()))
        .chain([
            (AMOUNT, x.amount.is_some()),
            (PROBABILITY, x.probability.is_some()),
        ]);
    b.push(bits(flags));
    put_varint(b, x.stage as u64);
    for s in [&x.id, &x.name, &x.company, &x.owner, &x.lost_reason] {
        put_varint(b, s.len() as u64);
        text.extend_from_slice(s.as_bytes());
    }
    for (_, d) in dates(x) {
        if let Some(d) = d {
            put_varint(b, zigzag(i64::from(d.year())));
            put_varint(b, u64::from(d.ordinal()));
        }
    }
    for v in [x.amount, x.probability].into_iter().flatten() {
        put_decimal(b, v);
    }
    put_varint(b, x.products.len() as u64);
    for &f in &x.products {
        put_varint(b, f as u64);
    }
}

/// Puts a row of a cache of rows into `values` and `text`, its line
/// counted from `line_before`; false, with nothing put, when it cannot be
/// kept ([`Writer::add_row`]).
fn encode_row(
    values: &mut Vec<u8>,
    text: &mut Vec<u8>,
    line_before: u64,
    r: &RowCheck,
    p: &Pipeline,
    file: &str,
) -> bool {
    let start = (values.len(), text.len());
    let undo = |values: &mut Vec<u8>, text: &mut Vec<u8>| {
        values.truncate(start.0);
        text.truncate(start.1);
        false
    };
    let Some(line_step) = r.line.checked_sub(line_before) else {
        return undo(values, text);
    };
    let Some(id_line) = r.id_at.0.checked_sub(r.line) else {
        return undo(values, text);
    };
    let cells = [&r.id, &r.owner, &r.name, &r.stage_text];
    let mut flags = 0;
    match &r.prospect {
        Some(x) => {
            flags |= R_PROSPECT;
            for (k, given) in derived(x, p).into_iter().enumerate() {
                if cells[k] != given {
                    flags |= CELLS[k];
                }
            }
        }
        None => CELLS.iter().for_each(|bit| flags |= bit),
    }
    if !r.diags.is_empty() {
        flags |= R_DIAGS;
    }
    values.push(flags);
    put_varint(values, line_step);
    put_varint(values, id_line);
    put_varint(values, r.id_at.1);
    for (k, bit) in CELLS.into_iter().enumerate() {
        if flags & bit != 0 {
            put_string(values, text, cells[k]);
        }
    }
    if !r.diags.is_empty() {
        put_varint(values, r.diags.len() as u64);
        for d in &r.diags {
            let code = CODES.iter().position(|&c| c == d.code);
            // How far below the row's first line the diagnostic points, if it does.
            let below = match d.line {
                None => Some(None),
                Some(l) => l.checked_sub(r.line).map(Some),
            };
            let (Some(code), true, Some(below)) = (code, d.file == file, below) else {
                return undo(values, text);
            };
            values.push(bits([
                (D_WARNING, d.severity == Severity::Warning),
                (D_LINE, d.line.is_some()),
                (D_COLUMN, d.column.is_some()),
                (D_HINT, d.hint.is_some()),
            ]));
            put_varint(values, code as u64);
            if let Some(below) = below {
                put_varint(values, below);
            }
            if let Some(c) = d.column {
                put_varint(values, c);
            }
            put_string(values, text, &d.message);
            if let Some(h) = &d.hint {
                put_string(values, text, h);
            }
        }
    }
    if let Some(x) = &r.prospect {
        encode(values, text, x);
    }
    true
}

/// A byte of flags: the bits whose condition holds.
fn bits(flags: impl IntoIterator<Item = (u8, bool)>) -> u8 {
    flags
        .into_iter()
        .filter(|&(_, on)| on)
        .fold(0, |all, (bit, _)| all | bit)
}

fn put_string(values: &mut Vec<u8>, text: &mut Vec<u8>, s: &str) {
    put_varint(values, s.len() as u64);
    text.extend_from_slice(s.as_bytes());
}

fn put_decimal(b: &mut Vec<u8>, v: Decimal) {
    // The scale (at most 28) and the sign keep `772.50` and `-0` as read.
    let scale = u8::try_from(v.scale()).expect("a scale of at most 28");
    b.push(scale | if v.is_sign_negative() { 0x80 } else { 0 });
    let m = v.mantissa().unsigned_abs();
    put_varint(b, m as u64);
    put_varint(b, (m >> 64) as u64);
}

/// Reads a prospect from its values in `b` and its strings in `text` from `text_at` on.
fn decode(b: &mut Bytes<'_>, text: &str, text_at: &mut usize, x: &mut Prospect) -> Result<()> {
    let flags = b.byte()?;
    x.stage = usize::try_from(b.varint()?)?;
    for s in [
        &mut x.id,
        &mut x.name,
        &mut x.company,
        &mut x.owner,
        &mut x.lost_reason,
    ] {
        let len = usize::try_from(b.varint()?)?;
        let Some(t) = text.get(*text_at..text_at.saturating_add(len)) else {
            bail!("a string runs past its block's text");
        };
        *text_at += len;
        s.clear();
        s.push_str(t);
    }
    let mut date = |bit: u8| -> Result<Option<NaiveDate>> {
        if flags & bit == 0 {
            return Ok(None);
        }
        let year = i32::try_from(unzigzag(b.varint()?))?;
        let day = u32::try_from(b.varint()?)?;
        match NaiveDate::from_yo_opt(year, day) {
            Some(d) => Ok(Some(d)),
            None => bail!("a date out of range"),
        }
    };
    x.stage_since = date(STAGE_SINCE)?;
    x.expected_close = date(EXPECTED_CLOSE)?;
    x.next_action = date(NEXT_ACTION)?;
    x.created = date(CREATED)?;
    x.snooze_until = date(SNOOZE_UNTIL)?;
    x.amount = (flags & AMOUNT != 0).then(|| decimal(b)).transpose()?;
    x.probability = (flags & PROBABILITY != 0).then(|| decimal(b)).transpose()?;
    x.products.clear();
    for _ in 0..b.varint()? {
        x.products.push(usize::try_from(b.varint()?)?);
    }
    Ok(())
}

fn decimal(b: &mut Bytes<'_>) -> Result<Decimal> {
    let head = b.byte()?;
    let low = b.varint()?;
    let high = b.varint()?;
    let m = i128::try_from((u128::from(high) << 64) | u128::from(low))?;
    let mut v = Decimal::try_from_i128_with_scale(m, u32::from(head & 0x7f))?;
    v.set_sign_negative(head & 0x80 != 0);
    Ok(v)
}

/// A new cache being written, to a temporary file beside the register.
pub struct Writer {
    file: TempFile,
    fingerprint: [u8; 16],
    kind: Kind,
    /// The line of the block's last row added ([`Kind::Rows`]).
    line: u64,
    /// The block being filled: its values, its strings and its prospect count.
    values: Vec<u8>,
    text: Vec<u8>,
    count: u32,
    rows: u64,
}

impl Writer {
    /// A writer for the cache of the pipeline's register; `None` when its
    /// folder cannot take a temporary file. The cache can be read by whoever
    /// can read the register.
    pub fn new(p: &Pipeline) -> Option<Writer> {
        Writer::of(p, Kind::Prospects)
    }

    /// [`Writer::new`] for a cache of checked rows, added by [`Writer::add_row`].
    pub fn for_rows(p: &Pipeline) -> Option<Writer> {
        Writer::of(p, Kind::Rows)
    }

    fn of(p: &Pipeline, kind: Kind) -> Option<Writer> {
        let register = &p.register.path;
        Some(Writer {
            file: TempFile::new(&path_for(register), register, HEADER_LEN)?,
            fingerprint: fingerprint(p),
            kind,
            line: 0,
            values: Vec::with_capacity(BLOCK + 1024),
            text: Vec::with_capacity(BLOCK + 1024),
            count: 0,
            rows: 0,
        })
    }

    /// Adds the next prospect read from the register.
    pub fn add(&mut self, x: &Prospect) {
        debug_assert_eq!(self.kind, Kind::Prospects);
        encode(&mut self.values, &mut self.text, x);
        self.entry_added();
    }

    /// Adds the next row of the register as its own checks left it (before
    /// the checks against the other rows and the journal), its diagnostics
    /// naming `file`. False when the row cannot be kept, for a diagnostic
    /// of a kind not kept ([`CODES`]) or naming another file: the cache is
    /// then not to be finished.
    #[must_use]
    pub fn add_row(&mut self, r: &RowCheck, p: &Pipeline, file: &str) -> bool {
        debug_assert_eq!(self.kind, Kind::Rows);
        if !encode_row(&mut self.values, &mut self.text, self.line, r, p, file) {
            return false;
        }
        self.line = r.line;
        self.entry_added();
        true
    }

    fn entry_added(&mut self) {
        self.count += 1;
        if self.values.len() + self.text.len() >= BLOCK {
            self.flush_block();
        }
    }

    fn flush_block(&mut self) {
        if self.count == 0 {
            return;
        }
        let len = |v: &Vec<u8>| u32::try_from(v.len()).expect("blocks under 4 GiB");
        let mut head = [0u8; 12];
        head[..4].copy_from_slice(&len(&self.text).to_le_bytes());
        head[4..8].copy_from_slice(&len(&self.values).to_le_bytes());
        head[8..].copy_from_slice(&self.count.to_le_bytes());
        self.file.write(&head);
        self.file.write(&self.text);
        self.file.write(&self.values);
        self.rows += u64::from(self.count);
        self.text.clear();
        self.values.clear();
        self.count = 0;
        // A block's lines count from zero: it reads on its own.
        self.line = 0;
    }

    /// Puts the cache in place: its prospects are those of the register of
    /// `register_len` bytes hashing to `register_hash`, of which `skipped`
    /// rows could not be read. Any failure leaves no file behind.
    pub fn finish(mut self, register_len: u64, register_hash: u128, skipped: u64) {
        self.flush_block();
        let (body_len, body_hash) = self.file.body();
        let header = Header {
            fingerprint: self.fingerprint,
            register_len,
            register_hash,
            rows: self.rows,
            skipped,
            kind: self.kind,
            body_len,
            body_hash,
        };
        self.file.place(&header.bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn date(s: &str) -> Option<NaiveDate> {
        Some(NaiveDate::from_str(s).unwrap())
    }

    fn decimal_of(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn round_trip(x: &Prospect) -> Prospect {
        let (mut values, mut text) = (Vec::new(), Vec::new());
        encode(&mut values, &mut text, x);
        let mut back = Prospect::empty();
        // Strings and families left from another prospect must not show.
        back.name = "left over".into();
        back.products = vec![9, 9];
        let mut cursor = Bytes::at(&values, 0);
        let text = String::from_utf8(text).unwrap();
        let mut text_at = 0;
        decode(&mut cursor, &text, &mut text_at, &mut back).unwrap();
        assert_eq!((cursor.position(), text_at), (values.len(), text.len()));
        back
    }

    #[test]
    fn prospects_round_trip_value_for_value() {
        let mut negative_zero = decimal_of("0.00");
        negative_zero.set_sign_negative(true);
        let full = Prospect {
            id: "P-000042".into(),
            stage: 7,
            stage_since: date("2026-01-31"),
            name: "Zoé Lefèvre".into(),
            company: "Société \"Générale\", Lyon".into(),
            owner: "Chloé".into(),
            amount: Some(decimal_of("772.50")),
            probability: Some(negative_zero),
            expected_close: date("0001-01-01"),
            next_action: date("-0044-03-15"),
            products: vec![0, 3, 12],
            lost_reason: "prix\nsur deux lignes".into(),
            created: date("2262-04-11"),
            snooze_until: date("2026-12-31"),
        };
        let back = round_trip(&full);
        assert_eq!(format!("{back:?}"), format!("{full:?}"));
        // The scale and the sign as read, not only the value.
        assert_eq!(back.amount.unwrap().to_string(), "772.50");
        assert!(back.probability.unwrap().is_sign_negative());
        let large = Decimal::MAX;
        let x = Prospect {
            amount: Some(large),
            probability: Some(decimal_of("-0.0000000000000000000000000001")),
            ..Prospect::empty()
        };
        assert_eq!(format!("{:?}", round_trip(&x)), format!("{x:?}"));
        let empty = Prospect::empty();
        assert_eq!(format!("{:?}", round_trip(&empty)), format!("{empty:?}"));
    }

    #[test]
    fn checked_rows_round_trip_with_their_diagnostics() {
        let p = Pipeline::from_str(
            "[pipeline]\nname = \"t\"\n[register]\npath = \"r.csv\"\n[[stage]]\nid = \"new\"\nphase = \"prospect\"\n[[stage]]\nid = \"won\"\nphase = \"prospect\"\noutcome = \"won\"\n",
            Path::new("p.toml"),
        )
        .unwrap_or_else(|d| panic!("{d:?}"));
        let file = "r.csv";
        let warning = Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(file, "missing-field", "no owner")
                .at(9, 17)
                .hint("fill it")
        };
        let prospect = Prospect {
            id: "A1".into(),
            stage: 1,
            name: "Zoé".into(),
            company: "Société".into(),
            owner: "ann".into(),
            amount: Some(Decimal::from_str("772.50").unwrap()),
            ..Prospect::empty()
        };
        let rows = [
            RowCheck {
                line: 7,
                id: "A1".into(),
                owner: "ann".into(),
                name: "Société".into(),
                // Not the stage's label, so written out.
                stage_text: "WON".into(),
                stage: Some(1),
                id_at: (9, 12),
                number: None,
                prospect: Some(prospect.clone()),
                diags: vec![warning],
            },
            RowCheck {
                line: 11,
                id: "A2".into(),
                owner: String::new(),
                name: "Bad".into(),
                stage_text: "newish".into(),
                stage: None,
                id_at: (11, 1),
                number: None,
                prospect: None,
                diags: vec![
                    Diagnostic::error(file, "unknown-stage", "unknown stage")
                        .at(11, 4)
                        .hint("write one"),
                    Diagnostic::error(file, "bad-date", "not a date").at_line(11),
                ],
            },
            RowCheck {
                line: 12,
                id: "A3".into(),
                owner: "ann".into(),
                name: "Zoé".into(),
                stage_text: "won".into(),
                stage: Some(1),
                id_at: (12, 1),
                number: None,
                prospect: Some(Prospect {
                    id: "A3".into(),
                    company: String::new(),
                    ..prospect.clone()
                }),
                diags: Vec::new(),
            },
        ];
        let (mut values, mut text) = (Vec::new(), Vec::new());
        let mut line = 0;
        for r in &rows {
            assert!(encode_row(&mut values, &mut text, line, r, &p, file));
            line = r.line;
        }
        let text = String::from_utf8(text).unwrap();
        let block = |values| Block {
            values,
            text: &text,
            text_at: 0,
            left: 3,
            kind: Kind::Rows,
            line: 0,
        };
        let mut b = block(Bytes::at(&values, 0));
        // Left from another row: nothing of it must show.
        let mut r = RowCheck {
            diags: vec![Diagnostic::error(file, "bad-date", "left over")],
            number: Some(4),
            ..rows[1].clone()
        };
        for want in &rows {
            assert!(b.next_row(&mut r, &p, file).unwrap());
            assert_eq!(format!("{r:?}"), format!("{want:?}"));
        }
        assert!(!b.next_row(&mut r, &p, file).unwrap());
        // Read as prospects: the rows that have one.
        let mut b = block(Bytes::at(&values, 0));
        let mut x = Prospect::empty();
        for want in [&rows[0], &rows[2]] {
            assert!(b.next_into(&mut x).unwrap());
            assert_eq!(
                format!("{x:?}"),
                format!("{:?}", want.prospect.as_ref().unwrap())
            );
        }
        assert!(!b.next_into(&mut x).unwrap());

        // A diagnostic of a kind not kept, or naming another file: not kept, nothing put.
        for d in [
            Diagnostic::error(file, "row-width", "short"),
            Diagnostic::error("other.csv", "bad-date", "not a date"),
        ] {
            let r = RowCheck {
                diags: vec![d],
                ..rows[1].clone()
            };
            let (mut v, mut t) = (vec![1], vec![2]);
            assert!(!encode_row(&mut v, &mut t, 0, &r, &p, file));
            assert_eq!((v, t), (vec![1], vec![2]));
        }
    }

    #[test]
    fn the_header_round_trips() {
        let h = Header {
            fingerprint: [3; 16],
            register_len: 214_542_886,
            register_hash: u128::MAX - 1,
            rows: 999_990,
            skipped: 10,
            kind: Kind::Rows,
            body_len: 77,
            body_hash: 5,
        };
        assert_eq!(Header::parse(&h.bytes()), Some(h));
        let mut bad = h.bytes();
        bad[3] ^= 1;
        assert_eq!(Header::parse(&bad), None);
    }
}
