//! The journal's steps kept beside it, so that a large journal is parsed once.
//!
//! The cache is a hidden file next to the journal (`.journal.csv.pipe-cache`
//! for `journal.csv`). It holds the steps of the journal's first `covers`
//! bytes, with what they were made from:
//!
//! - the xxh3-128 hash of those bytes: the journal is append-only, so a
//!   journal that still starts with them only has entries added after them,
//!   and those are read as CSV. A journal edited anywhere in those bytes, cut
//!   or replaced, fails the comparison and is read again in full;
//! - a fingerprint of `pipe`'s version and of the stage names the pipeline
//!   knows, since steps number the stages;
//! - the hash of its own contents, checked as the steps are replayed (what
//!   was replayed is dropped when it fails), so a cache cut short or damaged
//!   is ignored; and the hash of its ids and marks alone, checked before a
//!   batch of moves reads them without the steps.
//!
//! Only a journal read without a problem is cached, so `pipe check` still
//! finds every problem. Writing the cache is best effort: a folder that
//! cannot be written to, or a full disk, only means the next scan reads the
//! CSV again. It is written to a temporary file and renamed into place, so a
//! concurrent scan sees the old cache or the new one. Deleting it is always
//! safe. `PIPE_CACHE` decides when it is used ([`Policy`]).
//!
//! ## Format
//! A header of [`HEADER_LEN`] bytes (little-endian numbers), then blocks of
//! steps, then the ids. The header ends with the instant of the last entry,
//! so that an entry appended after it is known to open a command or not. A
//! block is its length and step count (`u32` each), then its steps; each
//! step is a tag byte (kind, field change or stage, whether it opens a
//! command), its
//! line and date as differences from the step before in the block (LEB128,
//! the date zigzagged), its prospect's number, and its stages or its field's
//! name and two values. Blocks start afresh, so a rewrite copies the blocks
//! of the old cache as they are. The ids follow ([`Ids::store`]): loading
//! them spares hashing every id of the journal again. Last come the
//! prospects with a stage step, one bit each by number (their count of
//! 64-bit words, then the words): a batch of moves asks which of its
//! prospects have one ([`Cached::staged_among`]) without reading a step.

use super::{Change, Named, Step};
use crate::cachefile::{Put, Take, TempFile};
use crate::ids::{Ids, get_u64};
use crate::journal::Kind;
use crate::pipeline::Pipeline;
use anyhow::{Result, bail};
use chrono::{Datelike, NaiveDate};
use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::Xxh3;

const MAGIC: &[u8; 8] = b"pipe-jc1";
/// Bumped whenever the layout or the meaning of a step changes.
const FORMAT_VERSION: u32 = 6;
pub const HEADER_LEN: usize = 8 + 16 + 8 + 16 + 8 + 8 + 8 + 8 + 8 + 8 + 16 + 16 + 8 + 8;
/// A block is written once it holds this many bytes.
const BLOCK: usize = 64 * 1024;
/// Journals smaller than this are read as CSV every time unless `PIPE_CACHE=1`.
const MIN_JOURNAL: u64 = 1 << 20;
/// The reads of the cache and of the journal it is checked against: large
/// enough that system calls cost nothing, small beside the scans' state.
const READ_BUF: usize = 256 * 1024;

/// When the cache is read and written, from `PIPE_CACHE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// `PIPE_CACHE=0`: never read nor written.
    Off,
    /// Unset: used for journals of 1 MiB or more, rewritten once a good share
    /// of the journal has been appended since it was made.
    Auto,
    /// `PIPE_CACHE=1`: used whatever the size, rewritten whenever the journal
    /// has grown (what the tests use on small journals).
    Always,
}

impl Policy {
    pub fn from_env() -> Policy {
        match std::env::var("PIPE_CACHE").as_deref() {
            Ok("0") => Policy::Off,
            Ok("1") => Policy::Always,
            _ => Policy::Auto,
        }
    }

    /// Whether to write a new cache for a journal of `len` bytes whose first `covered` are cached.
    pub fn writes(self, len: u64, covered: u64) -> bool {
        match self {
            Policy::Off => false,
            Policy::Always => len > covered,
            Policy::Auto => {
                let appended = len.saturating_sub(covered);
                len >= MIN_JOURNAL && (covered == 0 || appended >= MIN_JOURNAL.max(covered / 8))
            }
        }
    }
}

/// Where the cache of the journal at `journal` goes.
pub fn path_for(journal: &Path) -> PathBuf {
    crate::cachefile::path_beside(journal)
}

/// What the steps of a journal depend on besides its bytes.
pub fn fingerprint(p: &Pipeline) -> [u8; 16] {
    let mut h = Xxh3::new();
    h.update(&FORMAT_VERSION.to_le_bytes());
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    for (name, stage) in p.stage_lookup() {
        h.update(&(name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update(&(stage as u64).to_le_bytes());
    }
    h.digest128().to_le_bytes()
}

/// The hash of a journal's bytes, fed as they are read.
pub struct Hasher(Xxh3);

impl Hasher {
    pub fn new() -> Hasher {
        Hasher(Xxh3::new())
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub fn digest(&self) -> u128 {
        self.0.digest128()
    }
}

/// A reader that hashes what passes through it (when asked to) and counts it.
pub struct Hashing<R> {
    inner: R,
    hasher: Hasher,
    hash: bool,
    read_to: u64,
}

impl<R: Read> Hashing<R> {
    /// `inner` is read from byte `at` of its file; `hasher` holds the bytes before.
    pub fn new(inner: R, hasher: Hasher, at: u64, hash: bool) -> Hashing<R> {
        Hashing {
            inner,
            hasher,
            hash,
            read_to: at,
        }
    }

    /// How far into the file the reading went.
    pub fn read_to(&self) -> u64 {
        self.read_to
    }

    /// Whether the bytes read are hashed.
    pub fn hashes(&self) -> bool {
        self.hash
    }

    /// The hash of every byte up to [`Hashing::read_to`], so far.
    pub fn digest(&self) -> u128 {
        self.hasher.digest()
    }

    /// The hash of every byte up to [`Hashing::read_to`].
    pub fn finish(self) -> u128 {
        self.hasher.0.digest128()
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.hash {
            self.hasher.0.update(&buf[..n]);
        }
        self.read_to += n as u64;
        Ok(n)
    }
}

/// The header's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    fingerprint: [u8; 16],
    /// How many bytes of the journal the steps are of.
    covers: u64,
    journal_hash: u128,
    /// The line the journal's next entry starts on.
    next_line: u64,
    /// How many entries those bytes hold.
    entries: u64,
    steps: u64,
    /// How many prospects the steps number, and where their ids start in the body.
    ids: u64,
    ids_at: u64,
    body_len: u64,
    body_hash: u128,
    /// The hash of the body from `ids_at` on: the ids and the marks.
    ids_hash: u128,
    /// The instant of the last entry (seconds since 1970 and nanoseconds;
    /// `NO_NANOS` for none), to tell whether the entry after it opens a
    /// command.
    last_secs: u64,
    last_nanos: u64,
}

/// `last_nanos` of a cache whose last entry has no instant (none at all).
const NO_NANOS: u64 = u64::MAX;

impl Header {
    /// Whether `body`, read to its end, is the contents this header describes.
    fn matches(&self, body: Hashing<impl Read>) -> bool {
        body.read_to() == self.body_len && body.finish() == self.body_hash
    }

    fn bytes(&self) -> [u8; HEADER_LEN] {
        Put::new(MAGIC)
            .bytes(&self.fingerprint)
            .u64(self.covers)
            .u128(self.journal_hash)
            .u64(self.next_line)
            .u64(self.entries)
            .u64(self.steps)
            .u64(self.ids)
            .u64(self.ids_at)
            .u64(self.body_len)
            .u128(self.body_hash)
            .u128(self.ids_hash)
            .u64(self.last_secs)
            .u64(self.last_nanos)
            .done()
    }

    fn parse(b: &[u8; HEADER_LEN]) -> Option<Header> {
        let mut t = Take::after(b, MAGIC)?;
        Some(Header {
            fingerprint: t.bytes16(),
            covers: t.u64(),
            journal_hash: t.u128(),
            next_line: t.u64(),
            entries: t.u64(),
            steps: t.u64(),
            ids: t.u64(),
            ids_at: t.u64(),
            body_len: t.u64(),
            body_hash: t.u128(),
            ids_hash: t.u128(),
            last_secs: t.u64(),
            last_nanos: t.u64(),
        })
    }
}

/// A cache whose header checks out; its contents are checked as they are
/// replayed ([`Cached::replay`]), its ids and marks alone before they are
/// read without the steps ([`Cached::open_checked`]).
pub struct Cached {
    file: BufReader<File>,
    header: Header,
    /// Whether the ids and marks were checked when opened.
    ids_checked: bool,
}

impl Cached {
    /// The cache at `path`, if there is one made for this `fingerprint`, of
    /// the length its header gives. Its contents are not read: a replay
    /// checks them as it goes, so that they are read once, not twice.
    pub fn open(path: &Path, fingerprint: &[u8; 16]) -> Option<Cached> {
        let mut file = BufReader::with_capacity(READ_BUF, File::open(path).ok()?);
        let mut head = [0u8; HEADER_LEN];
        file.read_exact(&mut head).ok()?;
        let header = Header::parse(&head)?;
        if &header.fingerprint != fingerprint {
            return None;
        }
        // Every count the header gives is bounded by the bytes that follow,
        // which bounds what a replay of damaged contents can allocate.
        let len = file.get_ref().metadata().ok()?.len();
        let body = header.body_len;
        if len.checked_sub(HEADER_LEN as u64) != Some(body)
            || header.ids > body
            || header.steps > body
            || header.ids_at > body
        {
            return None;
        }
        Some(Cached {
            file,
            header,
            ids_checked: false,
        })
    }

    /// [`Cached::open`], with the ids and marks checked against their own
    /// hash, for [`Cached::staged_among`], which reads only them: the steps
    /// before them (most of the file) are not read.
    pub fn open_checked(path: &Path, fingerprint: &[u8; 16]) -> Option<Cached> {
        let mut cached = Cached::open(path, fingerprint)?;
        let h = cached.header;
        cached
            .file
            .seek(SeekFrom::Start(HEADER_LEN as u64 + h.ids_at))
            .ok()?;
        let mut ids = Hashing::new(&mut cached.file, Hasher::new(), h.ids_at, true);
        io::copy(&mut ids, &mut io::sink()).ok()?;
        if ids.read_to() != h.body_len || ids.finish() != h.ids_hash {
            return None;
        }
        cached.file.seek(SeekFrom::Start(HEADER_LEN as u64)).ok()?;
        cached.ids_checked = true;
        Some(cached)
    }

    pub fn covers(&self) -> u64 {
        self.header.covers
    }

    /// The instant of the last entry the steps are of, if there is one.
    pub fn last_at(&self) -> Option<(i64, u32)> {
        let h = &self.header;
        (h.last_nanos != NO_NANOS).then_some((h.last_secs as i64, h.last_nanos as u32))
    }

    /// What the journal must start with for the steps to be its own.
    pub fn prefix(&self) -> Prefix {
        Prefix {
            covers: self.header.covers,
            hash: self.header.journal_hash,
        }
    }

    /// Hands every cached step to `sink`; copies the blocks to `writer` when
    /// a new cache is being made. Returns the ids the steps number, the
    /// entries the cached bytes hold and the line after them; `None` when
    /// the contents turn out not to be those the header describes (a
    /// damaged file): what `sink` and `writer` were given is then to be
    /// dropped. The contents are hashed as they are read, and read to their
    /// end whatever happens, to tell damage from a fault in the reading.
    pub fn replay(
        mut self,
        writer: Option<&mut Writer>,
        sink: &mut dyn FnMut(&Step<'_>),
    ) -> Result<Option<(Ids, u64, u64)>> {
        let h = self.header;
        // Opened, the file stands at the contents' start.
        let mut body = Hashing::new(&mut self.file, Hasher::new(), 0, true);
        let read = replay_body(&mut body, h, writer, sink);
        io::copy(&mut body, &mut io::sink())?;
        if !h.matches(body) {
            return Ok(None);
        }
        read.map(Some)
    }

    /// The ids among `wanted` that have a stage step in the cache, read
    /// from its ids and their marks, without its steps.
    pub fn staged_among(mut self, wanted: &[String]) -> Result<HashSet<String>> {
        if !self.ids_checked {
            bail!("its ids were read without being checked (open it with `open_checked`)");
        }
        let h = self.header;
        self.file
            .seek(SeekFrom::Start(HEADER_LEN as u64 + h.ids_at))?;
        let ids = Ids::load(&mut self.file)?;
        let words = get_u64(&mut self.file)?;
        if ids.len() as u64 != h.ids || words != (h.ids).div_ceil(64) {
            bail!("its marks do not match its {} ids", h.ids);
        }
        let mut staged = Vec::with_capacity(words as usize);
        for _ in 0..words {
            staged.push(get_u64(&mut self.file)?);
        }
        Ok(wanted
            .iter()
            .filter(|w| {
                ids.find(w)
                    .is_some_and(|n| staged[n as usize / 64] & (1 << (n % 64)) != 0)
            })
            .cloned()
            .collect())
    }
}

/// The bytes a cache was made from, by their length and hash: the journal's
/// first bytes must still be these for its steps to be used.
#[derive(Debug, Clone, Copy)]
pub struct Prefix {
    covers: u64,
    hash: u128,
}

impl Prefix {
    /// Whether `journal`, read from where it stands (its start), starts with
    /// these bytes; reads them into `hasher`, leaving `journal` just after them.
    pub fn matches(&self, journal: &mut impl Read, hasher: &mut Hasher) -> io::Result<bool> {
        let mut buf = vec![0u8; READ_BUF];
        let mut left = self.covers;
        while left > 0 {
            let want = left.min(buf.len() as u64) as usize;
            let n = read_exact_or_eof(journal, &mut buf[..want])?;
            if n == 0 {
                return Ok(false);
            }
            hasher.0.update(&buf[..n]);
            left -= n as u64;
        }
        Ok(hasher.0.digest128() == self.hash)
    }
}

/// The steps of a cache's contents, read from `body` (see [`Cached::replay`]).
fn replay_body(
    body: &mut impl Read,
    h: Header,
    mut writer: Option<&mut Writer>,
    sink: &mut dyn FnMut(&Step<'_>),
) -> Result<(Ids, u64, u64)> {
    let mut block = Vec::new();
    let (mut steps, mut at) = (0u64, 0u64);
    while at < h.ids_at {
        let mut head = [0u8; 8];
        body.read_exact(&mut head)?;
        let len = u32::from_le_bytes(head[..4].try_into().expect("4 bytes")) as usize;
        let count = u32::from_le_bytes(head[4..].try_into().expect("4 bytes"));
        if len as u64 > h.ids_at - at {
            bail!("a block runs past the steps");
        }
        block.resize(len, 0);
        body.read_exact(&mut block)?;
        decode_block(&block, count, h.ids, &mut |s| {
            if let Some(w) = writer.as_deref_mut() {
                w.note(s);
            }
            sink(s);
        })?;
        steps += u64::from(count);
        at += 8 + len as u64;
        if let Some(w) = writer.as_deref_mut() {
            w.copy_block(&head, &block, count);
        }
    }
    if steps != h.steps || at != h.ids_at {
        bail!("it holds {steps} steps, not {}", h.steps);
    }
    let ids = Ids::load(body)?;
    if ids.len() as u64 != h.ids {
        bail!("it numbers {} ids, not {}", ids.len(), h.ids);
    }
    Ok((ids, h.entries, h.next_line))
}

/// Reads one block's steps.
fn decode_block(b: &[u8], count: u32, ids: u64, sink: &mut dyn FnMut(&Step<'_>)) -> Result<()> {
    let mut r = Bytes { b, at: 0 };
    let (mut line, mut day) = (0u64, 0i64);
    let mut date = NaiveDate::MIN;
    for _ in 0..count {
        let tag = r.byte()?;
        let kind = match tag & 7 {
            0 => Kind::Add,
            1 => Kind::Move,
            2 => Kind::Set,
            3 => Kind::Undo,
            4 => Kind::Sync,
            _ => bail!("an unknown kind of change"),
        };
        line += r.varint()?;
        let delta = unzigzag(r.varint()?);
        // Entries come mostly in date order: most share the previous one's date.
        if delta != 0 || date == NaiveDate::MIN {
            day += delta;
            date = i32::try_from(day)
                .ok()
                .and_then(NaiveDate::from_num_days_from_ce_opt)
                .ok_or_else(|| anyhow::anyhow!("a date out of range"))?;
        }
        let id = r.varint()?;
        if id >= ids {
            bail!("an id never given");
        }
        let id = id as u32;
        let change = if tag & FIELD != 0 {
            Change::Field {
                name: r.text()?,
                from: r.text()?,
                to: r.text()?,
            }
        } else {
            let named =
                |c: u64| Named::from_code(c).ok_or_else(|| anyhow::anyhow!("a stage out of range"));
            Change::Stage {
                from: named(r.varint()?)?,
                to: named(r.varint()?)?,
            }
        };
        sink(&Step {
            line,
            date,
            id,
            kind,
            change,
            opens: tag & OPENS != 0,
        });
    }
    if r.at != b.len() {
        bail!("a block has bytes past its steps");
    }
    Ok(())
}

const FIELD: u8 = 8;
/// The tag's bit for a step that opens a command.
const OPENS: u8 = 16;

pub(crate) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub(crate) fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// A cursor over a block.
pub(crate) struct Bytes<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Bytes<'a> {
    /// A cursor over `b`, at its byte `at`.
    pub(crate) fn at(b: &'a [u8], at: usize) -> Bytes<'a> {
        Bytes { b, at }
    }

    /// Where the cursor stands.
    pub(crate) fn position(&self) -> usize {
        self.at
    }

    /// How many bytes the cursor goes over.
    pub(crate) fn len(&self) -> usize {
        self.b.len()
    }

    pub(crate) fn byte(&mut self) -> Result<u8> {
        let Some(&v) = self.b.get(self.at) else {
            bail!("a block is cut short");
        };
        self.at += 1;
        Ok(v)
    }

    pub(crate) fn varint(&mut self) -> Result<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        bail!("a number too long")
    }

    fn text(&mut self) -> Result<&'a str> {
        let len = usize::try_from(self.varint()?)?;
        let end = self
            .at
            .checked_add(len)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| anyhow::anyhow!("a text runs past its block"))?;
        let s = simdutf8::basic::from_utf8(&self.b[self.at..end])
            .map_err(|_| anyhow::anyhow!("a text is not UTF-8"))?;
        self.at = end;
        Ok(s)
    }
}

/// Fills `buf` from `src` as far as `src` goes: how many bytes were read
/// (fewer than `buf` holds only at the end of `src`).
pub(crate) fn read_exact_or_eof(src: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match src.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_text(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// A new cache being written, to a temporary file beside the journal.
pub struct Writer {
    file: TempFile,
    fingerprint: [u8; 16],
    /// The block being filled, and its step count.
    block: Vec<u8>,
    count: u32,
    line: u64,
    day: i64,
    steps: u64,
    /// The hash of the ids and marks, once they are being written.
    ids_hash: Option<Xxh3>,
    /// One bit a prospect, by number: whether it has a stage step.
    staged: Vec<u64>,
}

impl Writer {
    /// A writer for the cache at `path` of the journal at `journal`; `None`
    /// when its folder cannot take a temporary file. The cache can be read by
    /// whoever can read the journal.
    pub fn new(path: &Path, journal: &Path, fingerprint: &[u8; 16]) -> Option<Writer> {
        Some(Writer {
            file: TempFile::new(path, journal, HEADER_LEN)?,
            fingerprint: *fingerprint,
            block: Vec::with_capacity(BLOCK + 1024),
            count: 0,
            line: 0,
            day: 0,
            steps: 0,
            ids_hash: None,
            staged: Vec::new(),
        })
    }

    /// Marks the prospect of a stage step (for the steps of the blocks copied as they are).
    fn note(&mut self, s: &Step<'_>) {
        if let Change::Stage { .. } = s.change {
            let word = s.id as usize / 64;
            if word >= self.staged.len() {
                self.staged.resize(word + 1, 0);
            }
            self.staged[word] |= 1 << (s.id % 64);
        }
    }

    /// Adds a step read from the CSV.
    pub fn add(&mut self, s: &Step<'_>) {
        self.note(s);
        let kind = match s.kind {
            Kind::Add => 0,
            Kind::Move => 1,
            Kind::Set => 2,
            Kind::Undo => 3,
            Kind::Sync => 4,
        };
        let field = matches!(s.change, Change::Field { .. });
        let b = &mut self.block;
        b.push(kind | if field { FIELD } else { 0 } | if s.opens { OPENS } else { 0 });
        put_varint(b, s.line - self.line);
        let day = i64::from(s.date.num_days_from_ce());
        put_varint(b, zigzag(day - self.day));
        (self.line, self.day) = (s.line, day);
        put_varint(b, u64::from(s.id));
        match s.change {
            Change::Stage { from, to } => {
                put_varint(b, from.code());
                put_varint(b, to.code());
            }
            Change::Field { name, from, to } => {
                put_text(b, name);
                put_text(b, from);
                put_text(b, to);
            }
        }
        self.count += 1;
        if self.block.len() >= BLOCK {
            self.flush_block();
        }
    }

    /// Adds a block of an older cache as it is.
    fn copy_block(&mut self, head: &[u8; 8], block: &[u8], count: u32) {
        self.write(head);
        self.write(block);
        self.steps += u64::from(count);
    }

    fn flush_block(&mut self) {
        if self.count == 0 {
            return;
        }
        let len = u32::try_from(self.block.len()).expect("blocks under 4 GiB");
        let mut head = [0u8; 8];
        head[..4].copy_from_slice(&len.to_le_bytes());
        head[4..].copy_from_slice(&self.count.to_le_bytes());
        let block = std::mem::take(&mut self.block);
        self.write(&head);
        self.write(&block);
        self.steps += u64::from(self.count);
        self.block = block;
        self.block.clear();
        (self.count, self.line, self.day) = (0, 0, 0);
    }

    fn write(&mut self, bytes: &[u8]) {
        if let Some(h) = &mut self.ids_hash {
            h.update(bytes);
        }
        self.file.write(bytes);
    }

    /// Puts the cache in place: it holds the steps of the journal's first
    /// `covers` bytes, which hash to `journal_hash`, hold `entries` entries
    /// and end before line `next_line`; `ids` numbers their prospects; the
    /// last entry is at `last_at`. Any failure leaves no file behind.
    pub fn finish(
        mut self,
        covers: u64,
        journal_hash: u128,
        next_line: u64,
        entries: u64,
        ids: &Ids,
        last_at: Option<(i64, u32)>,
    ) {
        self.flush_block();
        let (ids_at, _) = self.file.body();
        self.ids_hash = Some(Xxh3::new());
        // Straight into the body, without a copy of the ids in memory.
        if ids.store(&mut Body(&mut self)).is_err() || self.file.failed() {
            return;
        }
        let mut staged = std::mem::take(&mut self.staged);
        staged.resize(ids.len().div_ceil(64), 0);
        let mut marks = Vec::with_capacity(8 + staged.len() * 8);
        marks.extend_from_slice(&(staged.len() as u64).to_le_bytes());
        for w in &staged {
            marks.extend_from_slice(&w.to_le_bytes());
        }
        self.write(&marks);
        let (body_len, body_hash) = self.file.body();
        let header = Header {
            fingerprint: self.fingerprint,
            covers,
            journal_hash,
            next_line,
            entries,
            steps: self.steps,
            ids: ids.len() as u64,
            ids_at,
            body_len,
            body_hash,
            ids_hash: self.ids_hash.as_ref().map_or(0, Xxh3::digest128),
            last_secs: last_at.map_or(0, |(secs, _)| secs as u64),
            last_nanos: last_at.map_or(NO_NANOS, |(_, nanos)| u64::from(nanos)),
        };
        self.file.place(&header.bytes());
    }
}

/// The cache's body, as a place to write to (its hash and length follow).
struct Body<'w>(&'w mut Writer);

impl Write for Body<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_zigzag_round_trip() {
        for v in [0u64, 1, 127, 128, 300, 1 << 35, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(Bytes { b: &out, at: 0 }.varint().unwrap(), v);
        }
        for v in [
            0i64,
            1,
            -1,
            63,
            -64,
            i64::from(i32::MAX),
            i64::from(i32::MIN),
        ] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
    }

    #[test]
    fn the_header_round_trips() {
        let h = Header {
            fingerprint: [7; 16],
            covers: 123_456,
            journal_hash: u128::MAX - 5,
            next_line: 42,
            entries: 41,
            steps: 40,
            ids: 30,
            ids_at: 88,
            body_len: 99,
            body_hash: 17,
            ids_hash: 19,
            last_secs: (-86_400i64) as u64,
            last_nanos: 999_999_999,
        };
        assert_eq!(Header::parse(&h.bytes()), Some(h));
        let mut bad = h.bytes();
        bad[0] = b'q';
        assert_eq!(Header::parse(&bad), None);
    }

    #[test]
    fn the_policy_follows_the_journal_size() {
        assert!(!Policy::Off.writes(10 << 20, 0));
        assert!(Policy::Always.writes(10, 0));
        assert!(!Policy::Always.writes(10, 10));
        assert!(!Policy::Auto.writes(1000, 0));
        assert!(Policy::Auto.writes(2 << 20, 0));
        // A few moves appended to a cached journal do not rewrite its cache.
        assert!(!Policy::Auto.writes((100 << 20) + 500, 100 << 20));
        assert!(Policy::Auto.writes(120 << 20, 100 << 20));
    }
}
