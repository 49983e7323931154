//! A compact set of prospect ids, each numbered in order of arrival.
//!
//! Scans of a large register or journal key their per-prospect state by id;
//! a `HashMap<String, _>` costs an allocation and some 60 bytes an id. Here
//! the ids sit end to end in one buffer, each after its length, and the table
//! holds a number and the id itself when it is short (as most are: `P-0001234`),
//! else its position in the buffer: about 30 bytes an id all told. A look-up
//! in a table of a million ids is a few cache misses; keeping the short ids
//! in the table's slots spares the one that comparing with the buffer costs.
//!
//! Most registers number their prospects: a prefix and a fixed number of
//! digits (`P-0001234`, what `pipe add` writes). Ids of the first id's shape
//! skip the table: the number indexes a plain array (4 bytes a number), which
//! is one cache miss instead of three and a tenth of the memory. The shape
//! fixes the text, so the number is the id exactly, and the text is not kept:
//! such an id costs 8 bytes in all. Renumbered in the order of their values,
//! or loaded with values far apart, such ids keep one bit per value instead
//! of the array ([`Ranked`]). No I/O.

use hashbrown::HashTable;
use std::borrow::Cow;
use std::hash::BuildHasher;
use std::io::{self, Read, Write};
use std::sync::OnceLock;

#[derive(Default, Clone)]
pub struct Ids {
    /// Each id not of the dense shape as its length (one byte, or 255 and
    /// four bytes) then its bytes.
    bytes: Vec<u8>,
    /// Per number: where the id's length starts in `bytes`, or [`DENSE`]
    /// plus its value when it has the dense shape. Kept once an id not of
    /// the dense shape is numbered (`bytes` is then not empty): while every
    /// id has the shape, the places are the array's inverse, made only when
    /// a number is named ([`Ids::places`]), which most scans never do.
    starts: Vec<u32>,
    /// How many ids are numbered.
    count: u32,
    /// The places made from the array, while every id has the dense shape.
    named: OnceLock<Vec<u32>>,
    table: HashTable<Slot>,
    hasher: foldhash::quality::RandomState,
    /// The shape of the first id, when it has one.
    dense: Option<Dense>,
}

/// [`Ids`] that only find numbers ([`Ids::into_lookup`]).
pub struct Lookup {
    bytes: Vec<u8>,
    table: HashTable<Slot>,
    hasher: foldhash::quality::RandomState,
    dense: Option<Dense>,
}

impl Lookup {
    /// The number of `id`, as [`Ids::find`] gives it.
    pub fn find(&self, id: &str) -> Option<u32> {
        find(&self.dense, &self.table, &self.hasher, &self.bytes, id)
    }
}

/// The ids of a register, to tell whether one repeats without keeping them:
/// each id of the first id's shape is one bit at its value (a million
/// numbered ids in 125 KB, set in order when the register is in id order),
/// any other its 64-bit hash, the hashes sorted once at the end. Equal
/// hashes may come from two different ids: [`Repeats::any`] then answers
/// yes, and the caller makes sure by reading the ids themselves.
#[derive(Default)]
pub struct Repeats {
    shape: Option<Dense>,
    values: fixedbitset::FixedBitSet,
    hashes: Vec<u64>,
    repeated: bool,
}

impl Repeats {
    /// Takes `id` in, whose hash is `hash`.
    pub fn insert(&mut self, id: &str, hash: u64) {
        if self.shape.is_none() && self.values.is_empty() && self.hashes.is_empty() {
            self.shape = Dense::of(id.as_bytes());
        }
        match self.shape.as_ref().and_then(|d| d.value(id.as_bytes())) {
            Some(v) => {
                if v >= self.values.len() {
                    // Doubled, so that ids out of order grow it a few times only.
                    self.values.grow((v + 1).max(2 * self.values.len()));
                }
                self.repeated |= self.values.put(v);
            }
            None => self.hashes.push(hash),
        }
    }

    /// Takes in the ids of `later`, whose hashes `hash` gives.
    pub fn append(&mut self, mut later: Repeats, hash: impl Fn(&str) -> u64) {
        self.repeated |= later.repeated;
        // The ids one side hashed may be of the shape the other keeps as bits.
        let same = match (&self.shape, &later.shape) {
            (Some(a), Some(b)) => a.prefix == b.prefix && a.width == b.width,
            _ => self.values.is_empty() && later.values.is_empty(),
        };
        if same {
            if self.shape.is_none() {
                self.shape = later.shape.take();
            }
            let len = self.values.len().max(later.values.len());
            self.values.grow(len);
            later.values.grow(len);
            self.repeated |= !self.values.is_disjoint(&later.values);
            self.values.union_with(&later.values);
        } else {
            // Two shapes: every id as its hash, so that each is kept one way.
            self.hash_all(&hash);
            later.hash_all(&hash);
        }
        self.hashes.append(&mut later.hashes);
    }

    /// Moves the ids kept as bits to the hashes.
    fn hash_all(&mut self, hash: &impl Fn(&str) -> u64) {
        if let Some(d) = self.shape.take() {
            for v in self.values.ones() {
                self.hashes.push(hash(&d.text(v as u32)));
            }
        }
        self.values = fixedbitset::FixedBitSet::new();
    }

    /// Whether an id may have been taken in twice.
    pub fn any(mut self) -> bool {
        if self.repeated {
            return true;
        }
        self.hashes.sort_unstable();
        self.hashes.windows(2).any(|w| w[0] == w[1])
    }
}

/// How [`Ids::renumber_by_value`] moved the numbers, for what else was
/// laid out by them: either the new number of each old one, or the old
/// number of each new one (what the ids give without making anything).
#[derive(Debug)]
pub enum Renumbering {
    NewOf(Vec<u32>),
    OldOf(Vec<u32>),
}

impl Renumbering {
    /// Moves each of `values`, laid out by old number, to its new number,
    /// in place; the numbers past its end take `blank` first.
    #[cfg(test)]
    pub fn apply<T: Copy>(&self, values: &mut Vec<T>, blank: T) {
        self.apply_laid(&mut crate::grouped::One(values, blank));
    }

    /// [`Renumbering::apply`] to arrays laid out alike, in one pass.
    pub fn apply_laid(&self, values: &mut impl crate::grouped::Laid) {
        match self {
            Renumbering::NewOf(new_of) => crate::grouped::renumber_in_place(values, new_of),
            Renumbering::OldOf(old_of) => crate::grouped::pull_in_place(values, old_of),
        }
    }

    /// The new numbers of `olds`, a few among many numbers, for what is
    /// kept by number in a map: the renumbering is let go first, and what
    /// is made is a pair of numbers for each of `olds` and, for a while,
    /// one bit a number.
    pub fn into_new_numbers(self, olds: impl Iterator<Item = u32>) -> NewNumbers {
        let mut pairs: Vec<(u32, u32)> = match &self {
            Renumbering::NewOf(new_of) => olds.map(|old| (old, new_of[old as usize])).collect(),
            Renumbering::OldOf(old_of) => {
                let mut wanted = fixedbitset::FixedBitSet::with_capacity(old_of.len());
                wanted.extend(olds.map(|old| old as usize));
                let mut pairs = Vec::with_capacity(wanted.count_ones(..));
                pairs.extend(
                    (0u32..)
                        .zip(old_of)
                        .filter(|(_, old)| wanted.contains(**old as usize))
                        .map(|(new, &old)| (old, new)),
                );
                pairs
            }
        };
        drop(self);
        pairs.sort_unstable();
        pairs.dedup();
        NewNumbers(pairs)
    }

    /// The new number of each old one. Made beside the old number of each
    /// new one rather than in its place: for what holds the full history,
    /// where 4 bytes a prospect more for a while matter less than following
    /// the permutation's cycles (a cache miss a step, about 25 ms at 1M).
    pub fn into_new_of(self) -> Vec<u32> {
        match self {
            Renumbering::NewOf(new_of) => new_of,
            Renumbering::OldOf(old_of) => {
                let mut new_of = vec![0; old_of.len()];
                for (new, &old) in (0u32..).zip(&old_of) {
                    new_of[old as usize] = new;
                }
                new_of
            }
        }
    }
}

/// The new numbers of a few old ones ([`Renumbering::into_new_numbers`]).
pub struct NewNumbers(Vec<(u32, u32)>);

impl NewNumbers {
    /// The new number of `old`, one of those asked for.
    pub fn of(&self, old: u32) -> u32 {
        let at = self.0.partition_point(|p| p.0 < old);
        match self.0.get(at) {
            Some(&(o, new)) if o == old => new,
            _ => panic!("the new number of {old} was asked for"),
        }
    }
}

/// Reads from memory the record of each of `ids` in `records` (by the
/// number `find` gives it), so that the look-ups that follow find them in the
/// processor's cache. Per-prospect records are laid out in the order the
/// journal first named the prospects, and a register's rows visit them in
/// another: each look-up is a cache miss at a million prospects. Made one at
/// a time between a row's other work, each miss is waited for in turn; here
/// the numbers are found first, then the records read in a loop of a few
/// instructions each, so that the processor waits for many at once.
pub fn touch<T>(
    ids: &mut dyn Iterator<Item = &str>,
    find: impl Fn(&str) -> Option<u32>,
    records: &[T],
    byte: impl Fn(&T) -> u8,
) {
    const AT_ONCE: usize = 64;
    let mut numbers = [u32::MAX; AT_ONCE];
    loop {
        let mut len = 0;
        for (slot, id) in numbers.iter_mut().zip(&mut *ids) {
            *slot = find(id).unwrap_or(u32::MAX);
            len += 1;
        }
        let mut sum = 0u8;
        for &n in &numbers[..len] {
            sum ^= records.get(n as usize).map_or(0, &byte);
        }
        // Keeps the reads from being left out as unused.
        std::hint::black_box(sum);
        if len < AT_ONCE {
            return;
        }
    }
}

/// The number of `id` among ids numbered through `dense`, else `table`.
fn find(
    dense: &Option<Dense>,
    table: &HashTable<Slot>,
    hasher: &foldhash::quality::RandomState,
    bytes: &[u8],
    id: &str,
) -> Option<u32> {
    if let Some(d) = dense
        && let Some(v) = d.value(id.as_bytes())
    {
        return d.number(v);
    }
    let hash = hasher.hash_one(id.as_bytes());
    table
        .find(hash, |s| s.is(id.as_bytes(), bytes))
        .map(|s| s.n)
}

/// Ids made of `prefix` then `width` digits, numbered through their value.
#[derive(Clone)]
struct Dense {
    prefix: Box<[u8]>,
    width: usize,
    /// Per value: the id's number plus one (0: not seen). Empty while `ranked` holds.
    slots: Vec<u32>,
    /// Instead of the array, once the ids are renumbered by value: which
    /// values are numbered, the number being how many are below
    /// ([`Ids::renumber_by_value`]).
    ranked: Option<Ranked>,
}

/// The values of numbered ids, one bit each, with how many are set before
/// each word of bits: the rank of a value, the count of values below it, is
/// its id's number once the ids are numbered in the order of their values
/// (a million values then take 190 KB instead of the array's 4 MB, whatever
/// their gaps), else the place of its number in `numbers` (4 bytes an id
/// instead of 4 bytes a value, for values far apart).
#[derive(Clone, Debug)]
struct Ranked {
    words: Vec<u64>,
    /// Per word, how many bits are set in the words before it.
    before: Vec<u32>,
    /// Each value's number, in the order of the values; none once that is
    /// the numbers' order.
    numbers: Option<Vec<u32>>,
}

impl Ranked {
    /// The values of the array `slots` (a number plus one per value, 0 for
    /// none), its numbers moved to the front in place: no second array.
    fn from_slots(mut slots: Vec<u32>) -> Ranked {
        let mut words = vec![0u64; slots.len().div_ceil(64)];
        // Each number moves to its value's rank, at or before the value:
        // read before it is written over.
        let mut rank = 0;
        for v in 0..slots.len() {
            if slots[v] > 0 {
                words[v / 64] |= 1 << (v % 64);
                slots[rank] = slots[v] - 1;
                rank += 1;
            }
        }
        slots.truncate(rank);
        slots.shrink_to_fit();
        Ranked::of_words(words, Some(slots))
    }

    /// The bits `words`, their counts made.
    fn of_words(words: Vec<u64>, numbers: Option<Vec<u32>>) -> Ranked {
        let mut before = Vec::with_capacity(words.len());
        let mut set = 0u32;
        for w in &words {
            before.push(set);
            set += w.count_ones();
        }
        Ranked {
            words,
            before,
            numbers,
        }
    }

    /// The number of the value `v`, if it is numbered.
    fn number(&self, v: usize) -> Option<u32> {
        let (w, bit) = (v / 64, v % 64);
        let word = *self.words.get(w)?;
        if word >> bit & 1 == 0 {
            return None;
        }
        let rank = self.before[w] + (word & ((1u64 << bit) - 1)).count_ones();
        Some(match &self.numbers {
            Some(numbers) => numbers[rank as usize],
            None => rank,
        })
    }

    /// Each value numbered and its number, in the order of the values.
    fn numbered(&self) -> impl Iterator<Item = (usize, u32)> + '_ {
        self.values().enumerate().map(|(rank, v)| {
            let n = match &self.numbers {
                Some(numbers) => numbers[rank],
                None => rank as u32,
            };
            (v, n)
        })
    }

    /// Each value numbered, in order (its number is its place in the order).
    fn values(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(w, &word)| {
            let mut left = word;
            std::iter::from_fn(move || {
                (left != 0).then(|| {
                    let bit = left.trailing_zeros() as usize;
                    left &= left - 1;
                    w * 64 + bit
                })
            })
        })
    }

    /// The array that numbers the same values the same way.
    fn array(&self) -> Vec<u32> {
        let last = self.values().last().map_or(0, |v| v + 1);
        let mut slots = vec![0; last];
        for (v, n) in self.numbered() {
            slots[v] = n + 1;
        }
        slots
    }
}

/// Values from this one up go to the table: the array stays under 16 MiB.
const DENSE_LIMIT: usize = 1 << 22;

/// The mark of a number whose id is of the dense shape, in `starts`.
const DENSE: u32 = 1 << 31;

impl Dense {
    /// The shape of `id`, if it ends in digits (at most nine).
    fn of(id: &[u8]) -> Option<Dense> {
        let digits = id.iter().rev().take_while(|b| b.is_ascii_digit()).count();
        (1..=9).contains(&digits).then(|| Dense {
            prefix: id[..id.len() - digits].into(),
            width: digits,
            slots: Vec::new(),
            ranked: None,
        })
    }

    /// The number of the id whose value is `v`.
    fn number(&self, v: usize) -> Option<u32> {
        match &self.ranked {
            Some(r) => r.number(v),
            None => self.slots.get(v).copied().filter(|&n| n > 0).map(|n| n - 1),
        }
    }

    /// Each value numbered and its number, in the order of the values.
    fn numbered(&self) -> impl Iterator<Item = (usize, u32)> + '_ {
        let ranked = self.ranked.iter().flat_map(Ranked::numbered);
        let array = self.slots.iter().enumerate();
        ranked.chain(array.filter(|(_, n)| **n > 0).map(|(v, &n)| (v, n - 1)))
    }

    /// The array, made again from the bits if they hold (an id is to be numbered).
    fn slots_mut(&mut self) -> &mut Vec<u32> {
        if let Some(r) = self.ranked.take() {
            self.slots = r.array();
        }
        &mut self.slots
    }

    /// The array as [`Ids::store`] writes it.
    fn array(&self) -> Cow<'_, [u32]> {
        match &self.ranked {
            Some(r) => Cow::Owned(r.array()),
            None => Cow::Borrowed(&self.slots),
        }
    }

    /// The value of an id of this shape (below [`DENSE_LIMIT`]).
    fn value(&self, id: &[u8]) -> Option<usize> {
        // Byte by byte: the prefix is a few bytes, shorter than a call to `memcmp`.
        let prefix = &*self.prefix;
        if id.len() != prefix.len() + self.width || id.iter().zip(prefix).any(|(a, b)| a != b) {
            return None;
        }
        let digits = &id[prefix.len()..];
        let mut v = 0usize;
        for &b in digits {
            if !b.is_ascii_digit() {
                return None;
            }
            v = v * 10 + usize::from(b - b'0');
        }
        (v < DENSE_LIMIT).then_some(v)
    }

    /// The id of this shape whose value is `v`.
    fn text(&self, v: u32) -> String {
        let prefix = std::str::from_utf8(&self.prefix).expect("ids are text");
        format!("{prefix}{v:0width$}", width = self.width)
    }
}

/// The longest id kept in its slot.
const INLINE: usize = 11;

/// A table slot: the id's number, and the id (when at most [`INLINE`] bytes) or where it is in `bytes`.
#[derive(Clone, Copy)]
struct Slot {
    n: u32,
    /// The id's length, or `u8::MAX` when it is in `bytes` at the position `text` starts with.
    len: u8,
    text: [u8; INLINE],
}

impl Slot {
    /// The slot of id number `n`, whose length is at `pos` in the buffer.
    fn new(n: u32, id: &[u8], pos: usize) -> Slot {
        let mut slot = Slot {
            n,
            len: u8::MAX,
            text: [0; INLINE],
        };
        if id.len() <= INLINE {
            slot.len = id.len() as u8;
            slot.text[..id.len()].copy_from_slice(id);
        } else {
            let pos = u32::try_from(pos).expect("ids under 4 GB");
            slot.text[..4].copy_from_slice(&pos.to_le_bytes());
        }
        slot
    }

    fn is(&self, id: &[u8], bytes: &[u8]) -> bool {
        match self.len {
            u8::MAX => at(bytes, self.pos()) == id,
            len => &self.text[..len as usize] == id,
        }
    }

    fn pos(&self) -> usize {
        u32::from_le_bytes(self.text[..4].try_into().expect("four bytes")) as usize
    }

    fn id<'a>(&'a self, bytes: &'a [u8]) -> &'a [u8] {
        match self.len {
            u8::MAX => at(bytes, self.pos()),
            len => &self.text[..len as usize],
        }
    }
}

impl Ids {
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether every id numbered has the dense shape, `starts` then not kept.
    fn all_dense(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Each number's place, as `starts` holds them.
    fn places(&self) -> &[u32] {
        if self.all_dense() {
            self.named.get_or_init(|| self.dense_places())
        } else {
            &self.starts
        }
    }

    /// Each number's place when every id has the dense shape: the array's inverse.
    fn dense_places(&self) -> Vec<u32> {
        let mut starts = vec![0; self.len()];
        if let Some(d) = &self.dense {
            for (v, n) in d.numbered() {
                starts[n as usize] = DENSE | v as u32;
            }
        }
        starts
    }

    /// The number the next new id gets.
    fn next_number(&mut self) -> u32 {
        let n = self.count;
        self.count = n.checked_add(1).expect("fewer than 4 billion ids");
        // The places made before no longer name every number.
        self.named.take();
        n
    }

    /// The id numbered `i`.
    pub fn get(&self, i: u32) -> Cow<'_, str> {
        let start = self.places()[i as usize];
        match &self.dense {
            Some(d) if start & DENSE != 0 => Cow::Owned(d.text(start & !DENSE)),
            _ => Cow::Borrowed(
                std::str::from_utf8(at(&self.bytes, start as usize)).expect("ids are text"),
            ),
        }
    }

    pub fn find(&self, id: &str) -> Option<u32> {
        find(&self.dense, &self.table, &self.hasher, &self.bytes, id)
    }

    /// The ids for finding their numbers only: without each number's place
    /// (4 bytes an id), which naming a number and numbering new ids need.
    pub fn into_lookup(self) -> Lookup {
        Lookup {
            bytes: self.bytes,
            table: self.table,
            hasher: self.hasher,
            dense: self.dense,
        }
    }

    /// The number of `id`, given it if new; and whether it was new.
    pub fn insert(&mut self, id: &str) -> (u32, bool) {
        if self.count == 0 {
            self.dense = Dense::of(id.as_bytes());
        }
        if let Some(v) = self.dense.as_ref().and_then(|d| d.value(id.as_bytes())) {
            let d = self.dense.as_mut().expect("a shape");
            if let Some(n) = d.number(v) {
                return (n, false);
            }
            let slots = d.slots_mut();
            if v >= slots.len() {
                // Just long enough: the vector's own growth leaves its spare
                // room unwritten, so it costs no memory until used.
                slots.resize(v + 1, 0);
            }
            let n = self.next_number();
            if !self.all_dense() {
                self.starts.push(DENSE | v as u32);
            }
            self.dense.as_mut().expect("a shape").slots[v] = n + 1;
            return (n, true);
        }
        if self.all_dense() {
            // The first id not of the shape: from now on each number's place is kept.
            self.starts = self.dense_places();
        }
        let hash = self.hasher.hash_one(id.as_bytes());
        let (bytes, hasher) = (&mut self.bytes, &self.hasher);
        let n = self.count;
        match self.table.entry(
            hash,
            |s| s.is(id.as_bytes(), bytes),
            |s| hasher.hash_one(s.id(bytes)),
        ) {
            hashbrown::hash_table::Entry::Occupied(e) => return (e.get().n, false),
            hashbrown::hash_table::Entry::Vacant(e) => {
                let pos = push(bytes, &mut self.starts, id);
                e.insert(Slot::new(n, id.as_bytes(), pos));
            }
        }
        self.next_number();
        (n, true)
    }

    /// Numbers the ids again in the order of their values: the ids of the
    /// first id's shape by their digits, then the others in their order of
    /// arrival. Returns how the numbers moved. A register kept in id order
    /// then visits per-prospect state laid out by these numbers in memory
    /// order, instead of in the order the journal first named them. The ids'
    /// text stays where it is; only the numbers move.
    ///
    /// When every id has the dense shape (as `pipe add` numbers them), the
    /// ids keep one bit per value instead of their array ([`Ranked`]), and
    /// the array becomes, in place, the old number of each new one: nothing
    /// else is made.
    pub fn renumber_by_value(&mut self) -> Renumbering {
        let count = self.len();
        if self.all_dense()
            && let Some(d) = &mut self.dense
        {
            let mut ranked = match d.ranked.take() {
                Some(r) => r,
                None => Ranked::from_slots(std::mem::take(&mut d.slots)),
            };
            // The numbers in the order of the values are the old number of
            // each new one (none kept: they are in that order already).
            let old_of = ranked.numbers.take().unwrap_or_else(|| {
                (0..u32::try_from(count).expect("fewer than 4 billion ids")).collect()
            });
            debug_assert_eq!(old_of.len(), count, "every id has a value");
            d.ranked = Some(ranked);
            self.named.take();
            return Renumbering::OldOf(old_of);
        }
        if let Some(d) = &mut self.dense {
            d.slots_mut();
        }
        const NONE: u32 = u32::MAX;
        let mut new_of = vec![NONE; count];
        let mut next = 0u32;
        if let Some(d) = &mut self.dense {
            for slot in d.slots.iter_mut().filter(|s| **s > 0) {
                new_of[(*slot - 1) as usize] = next;
                next += 1;
                *slot = next;
            }
        }
        for n in new_of.iter_mut().filter(|n| **n == NONE) {
            *n = next;
            next += 1;
        }
        for slot in self.table.iter_mut() {
            slot.n = new_of[slot.n as usize];
        }
        if !self.all_dense() {
            let mut starts = vec![0; self.starts.len()];
            for (old, &start) in self.starts.iter().enumerate() {
                starts[new_of[old] as usize] = start;
            }
            self.starts = starts;
        }
        self.named.take();
        Renumbering::NewOf(new_of)
    }

    /// Writes the ids for [`Ids::load`] as they are held (numbers
    /// little-endian): the text of those not of the dense shape, each
    /// number's place (`starts`), then the shape and its array.
    pub fn store(&self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(&(self.bytes.len() as u64).to_le_bytes())?;
        out.write_all(&self.bytes)?;
        if self.all_dense() && self.named.get().is_none() {
            // Made for the while it takes to write them.
            put_u32s(out, &self.dense_places())?;
        } else {
            put_u32s(out, self.places())?;
        }
        match &self.dense {
            None => out.write_all(&[0]),
            Some(d) => {
                out.write_all(&[1])?;
                out.write_all(&(d.prefix.len() as u64).to_le_bytes())?;
                out.write_all(&d.prefix)?;
                out.write_all(&(d.width as u64).to_le_bytes())?;
                // Up to the last value seen (ids taken back leave zeros).
                let slots = d.array();
                let used = slots
                    .iter()
                    .rposition(|&s| s != 0)
                    .map_or(0, |last| last + 1);
                put_u32s(out, &slots[..used])
            }
        }
    }

    /// Reads ids written by [`Ids::store`], numbered as they were. The
    /// arrays are read whole: only the ids not of the dense shape are hashed.
    pub fn load(src: &mut impl Read) -> io::Result<Ids> {
        let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, format!("ids: {what}"));
        let len = usize::try_from(get_u64(src)?).map_err(|_| bad("too long"))?;
        // Sized once: growing by doubling could leave as much again unused.
        let mut bytes = Vec::with_capacity(len.min(1 << 30));
        src.take(len as u64).read_to_end(&mut bytes)?;
        if bytes.len() != len {
            return Err(bad("cut short"));
        }
        // Without an id of another shape, the places are the array's
        // inverse: they are checked against it as they stream past, not kept.
        let (starts, places) = if bytes.is_empty() {
            (Vec::new(), Some(DensePlaces::read(src)?))
        } else {
            (get_u32s(src)?, None)
        };
        let mut flag = [0u8];
        src.read_exact(&mut flag)?;
        let dense = match flag[0] {
            0 => None,
            1 => {
                let n = usize::try_from(get_u64(src)?).map_err(|_| bad("too long"))?;
                let mut prefix = Vec::new();
                src.take(n as u64).read_to_end(&mut prefix)?;
                let width = usize::try_from(get_u64(src)?).map_err(|_| bad("too wide"))?;
                let (slots, ranked, values) = read_slots(src, places.as_ref().map(|p| p.count))?;
                if prefix.len() != n
                    || std::str::from_utf8(&prefix).is_err()
                    || !(1..=9).contains(&width)
                    || values > DENSE_LIMIT
                {
                    return Err(bad("a bad shape"));
                }
                Some(Dense {
                    prefix: prefix.into(),
                    width,
                    slots,
                    ranked,
                })
            }
            _ => return Err(bad("a bad shape")),
        };
        // The text of the ids not of the dense shape lies end to end, in
        // their numbers' order; the others are in the shape's array.
        let (mut next, mut dense_ids) = (0usize, 0usize);
        for &s in &starts {
            if s & DENSE != 0 {
                match &dense {
                    Some(d) if ((s & !DENSE) as usize) < d.slots.len() => dense_ids += 1,
                    _ => return Err(bad("a number out of its array")),
                }
                continue;
            }
            let s = s as usize;
            if s != next || s >= bytes.len() {
                return Err(bad("out of place"));
            }
            let size = match bytes.get(s..(s + 5).min(bytes.len())) {
                Some([255, a, b, c, d, ..]) => u32::from_le_bytes([*a, *b, *c, *d]) as usize + 5,
                Some([255, ..]) => return Err(bad("cut short")),
                Some([l, ..]) => usize::from(*l) + 1,
                _ => return Err(bad("cut short")),
            };
            next = s + size;
            if next > bytes.len() {
                return Err(bad("cut short"));
            }
            if std::str::from_utf8(at(&bytes, s)).is_err() {
                return Err(bad("an id that is not text"));
            }
        }
        if next != bytes.len() {
            return Err(bad("bytes past the last id"));
        }
        // The array holds a number for each id of its shape, none past the
        // last id. With the places kept, which number goes with which id is
        // the stored data's own, which the cache checks by its hash (a
        // look-up per id to check it again would cost as much as hashing the
        // ids anew); with the places streamed past, their sum checks it.
        let count = match &places {
            Some(places) => places.count,
            None => starts.len() as u64,
        };
        let count = u32::try_from(count)
            .ok()
            .filter(|&n| n < u32::MAX)
            .ok_or_else(|| bad("too many"))?;
        let matches = match (&dense, &places) {
            (Some(d), None) => {
                let numbered = d.slots.iter().filter(|&&s| s != 0).count();
                numbered == dense_ids && d.slots.iter().all(|&s| s <= count)
            }
            (Some(d), Some(places)) => places.match_numbered(d.numbered()),
            (None, Some(places)) => places.count == 0,
            (None, None) => true,
        };
        if !matches {
            return Err(bad("an array that does not match the ids"));
        }
        let mut ids = Ids {
            bytes,
            starts,
            count,
            named: OnceLock::new(),
            table: HashTable::new(),
            hasher: foldhash::quality::RandomState::default(),
            dense,
        };
        for n in 0..ids.starts.len() {
            let pos = ids.starts[n];
            if pos & DENSE != 0 {
                continue;
            }
            let pos = pos as usize;
            let id = at(&ids.bytes, pos);
            let hash = ids.hasher.hash_one(id);
            let (bytes, hasher) = (&ids.bytes, &ids.hasher);
            match ids
                .table
                .entry(hash, |s| s.is(id, bytes), |s| hasher.hash_one(s.id(bytes)))
            {
                hashbrown::hash_table::Entry::Occupied(_) => return Err(bad("an id given twice")),
                hashbrown::hash_table::Entry::Vacant(e) => {
                    e.insert(Slot::new(n as u32, id, pos));
                }
            }
        }
        Ok(ids)
    }
}

/// The places of ids all of the dense shape, as [`Ids::load`] reads them
/// past: how many, and a sum of a hash of each (number, value) pair.
struct DensePlaces {
    count: u64,
    sum: u64,
}

impl DensePlaces {
    fn pair(n: u64, v: u64) -> u64 {
        xxhash_rust::xxh3::xxh3_64(&(n << 32 | v).to_le_bytes())
    }

    fn read(src: &mut impl Read) -> io::Result<DensePlaces> {
        let bad = || io::Error::new(io::ErrorKind::InvalidData, "ids: out of place");
        let count = get_u64(src)?;
        let (mut sum, mut n) = (0u64, 0u64);
        let mut buf = vec![0u8; 64 * 1024];
        while n < count {
            let k = (count - n).min(buf.len() as u64 / 4) as usize;
            src.read_exact(&mut buf[..k * 4])?;
            for c in buf[..k * 4].chunks_exact(4) {
                let start = u32::from_le_bytes(c.try_into().expect("four bytes"));
                // Every place is in the array: no id has its text in the buffer.
                if start & DENSE == 0 {
                    return Err(bad());
                }
                sum = sum.wrapping_add(DensePlaces::pair(n, u64::from(start & !DENSE)));
                n += 1;
            }
        }
        Ok(DensePlaces { count, sum })
    }

    /// Whether the shape's values (each with its number, in the order of
    /// the values) are numbered the same way: each number once (the
    /// count), each pair as read (the sum).
    fn match_numbered(&self, numbered: impl Iterator<Item = (usize, u32)>) -> bool {
        let (mut count, mut sum) = (0u64, 0u64);
        for (v, n) in numbered {
            if u64::from(n) >= self.count {
                return false;
            }
            count += 1;
            sum = sum.wrapping_add(DensePlaces::pair(u64::from(n), v as u64));
        }
        count == self.count && sum == self.sum
    }
}

/// Reads a little-endian `u64` (the lengths and counts of the cache's sections).
pub fn get_u64(src: &mut impl Read) -> io::Result<u64> {
    let mut b = [0u8; 8];
    src.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

fn put_u32s(out: &mut impl Write, values: &[u32]) -> io::Result<()> {
    out.write_all(&(values.len() as u64).to_le_bytes())?;
    let mut buf = Vec::with_capacity(values.len().min(16 * 1024) * 4);
    for chunk in values.chunks(16 * 1024) {
        buf.clear();
        for v in chunk {
            buf.extend_from_slice(&v.to_le_bytes());
        }
        out.write_all(&buf)?;
    }
    Ok(())
}

fn get_u32s(src: &mut impl Read) -> io::Result<Vec<u32>> {
    let n = get_len(src)?;
    get_n_u32s(src, n)
}

/// A count of `u32`s to read, as [`put_u32s`] writes it.
fn get_len(src: &mut impl Read) -> io::Result<usize> {
    usize::try_from(get_u64(src)?)
        .ok()
        .filter(|&n| n <= u32::MAX as usize)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "ids: too many"))
}

/// The shape's array as [`Ids::store`] writes it, and how many values it
/// covers. Kept as it is, or, for ids all of the shape (`count` of them)
/// whose values are far apart, read into one bit per value and the numbers
/// ([`Ranked`]: 4 bytes an id instead of 4 bytes a value), the array never
/// held whole.
fn read_slots(
    src: &mut impl Read,
    count: Option<u64>,
) -> io::Result<(Vec<u32>, Option<Ranked>, usize)> {
    let n = get_len(src)?;
    let Some(count) = count.filter(|&c| n as u64 > c + c / 8 && n <= DENSE_LIMIT) else {
        return Ok((get_n_u32s(src, n)?, None, n));
    };
    let mut words = vec![0u64; n.div_ceil(64)];
    let mut numbers = Vec::with_capacity(count.min(n as u64) as usize);
    let mut buf = vec![0u8; 64 * 1024];
    let mut v = 0;
    while v < n {
        let k = (n - v).min(buf.len() / 4);
        src.read_exact(&mut buf[..k * 4])?;
        for c in buf[..k * 4].chunks_exact(4) {
            let s = u32::from_le_bytes(c.try_into().expect("four bytes"));
            if s != 0 {
                words[v / 64] |= 1 << (v % 64);
                numbers.push(s - 1);
            }
            v += 1;
        }
    }
    Ok((Vec::new(), Some(Ranked::of_words(words, Some(numbers))), n))
}

/// `n` little-endian `u32`s.
fn get_n_u32s(src: &mut impl Read, n: usize) -> io::Result<Vec<u32>> {
    let mut out = Vec::with_capacity(n.min(1 << 24));
    let mut buf = vec![0u8; 64 * 1024];
    while out.len() < n {
        let k = (n - out.len()).min(buf.len() / 4);
        src.read_exact(&mut buf[..k * 4])?;
        out.extend(
            buf[..k * 4]
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().expect("four bytes"))),
        );
    }
    Ok(out)
}

/// Appends a new id not of the dense shape to the buffer and its place to
/// `starts`; where it starts.
fn push(bytes: &mut Vec<u8>, starts: &mut Vec<u32>, id: &str) -> usize {
    let pos = bytes.len();
    let len = id.len();
    if len < 255 {
        bytes.push(len as u8);
    } else {
        bytes.push(255);
        bytes.extend_from_slice(&u32::try_from(len).expect("a short id").to_le_bytes());
    }
    bytes.extend_from_slice(id.as_bytes());
    starts.push(
        u32::try_from(pos)
            .ok()
            .filter(|&p| p < DENSE)
            .expect("ids under 2 GB"),
    );
    pos
}

/// The id whose length is at `pos`.
fn at(bytes: &[u8], pos: usize) -> &[u8] {
    match bytes[pos] {
        255 => {
            let len = u32::from_le_bytes(bytes[pos + 1..pos + 5].try_into().expect("four bytes"));
            &bytes[pos + 5..pos + 5 + len as usize]
        }
        len => &bytes[pos + 1..pos + 1 + len as usize],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(id: &str) -> u64 {
        foldhash::quality::FixedState::with_seed(1).hash_one(id.as_bytes())
    }

    /// Whether `parts`, each read into a `Repeats` of its own and appended
    /// to the first in order, repeat an id.
    fn repeats(parts: &[&[&str]]) -> bool {
        let mut parts = parts.iter().map(|part| {
            let mut r = Repeats::default();
            for id in *part {
                r.insert(id, hash(id));
            }
            r
        });
        let mut all = parts.next().unwrap_or_default();
        for r in parts {
            all.append(r, hash);
        }
        all.any()
    }

    #[test]
    fn a_repeated_id_is_found_whatever_its_shape_and_wherever_it_is() {
        // Numbered ids (as bits), others (as hashes), out of order, beyond the array's limit.
        let ids = [
            "P-0042",
            "P-0007",
            "client-b",
            "P-07",
            "P-9999999",
            "P-0001",
            "client-a",
        ];
        assert!(!repeats(&[&ids]));
        for (i, id) in ids.iter().enumerate() {
            let mut with = ids.to_vec();
            with.insert(i / 2, id);
            assert!(repeats(&[&with]), "{id} twice");
            // In two parts read apart, as the two halves of a register are.
            let (a, b) = ids.split_at(i + 1);
            let mut b = b.to_vec();
            b.push(id);
            assert!(repeats(&[a, &b]), "{id} in both parts");
        }
        // Parts whose first ids have other shapes: each id is kept one way.
        assert!(repeats(&[&["P-0042", "P-0007"], &["X-12", "P-0007"]]));
        assert!(repeats(&[&["X-12", "P-0007"], &["P-0042", "X-12"]]));
        assert!(repeats(&[
            &["client-a"],
            &["P-0001", "client-a"],
            &["P-0001"]
        ]));
        assert!(repeats(&[&["client-a", "P-0001"], &["P-0001"]]));
        assert!(repeats(&[&["P-0042", "X-12"], &["X-12"]]));
        assert!(repeats(&[&["P-1"], &["P-2", "P-2"]]));
        assert!(repeats(&[&["P-1"], &["P-2"], &["P-1"]]));
        assert!(!repeats(&[
            &["P-0042", "P-0007"],
            &["X-12", "P-0008"],
            &["X-13"]
        ]));
        // The same number of another width is another id.
        assert!(!repeats(&[&["P-0007", "P-007", "P-00007"]]));
        assert!(!repeats(&[&[], &["P-1"], &[]]));
    }

    #[test]
    fn renumbered_ids_follow_their_values_and_keep_their_text() {
        let mut ids = Ids::default();
        let given = [
            "P-0042", "P-0007", "client-b", "P-0100", "P-07", "P-0001", "client-a", "P-9999",
        ];
        for id in given {
            ids.insert(id);
        }
        let new_of = ids.renumber_by_value().into_new_of();
        // The shaped ids by value, then the others in their order of arrival.
        let order: Vec<String> = (0..ids.len() as u32)
            .map(|n| ids.get(n).into_owned())
            .collect();
        assert_eq!(
            order,
            [
                "P-0001", "P-0007", "P-0042", "P-0100", "P-9999", "client-b", "P-07", "client-a"
            ]
        );
        for (old, id) in given.iter().enumerate() {
            assert_eq!(ids.find(id), Some(new_of[old]), "{id}");
            assert_eq!(ids.get(new_of[old]), *id);
        }
        assert_eq!(ids.find("P-0002"), None);
        // New ids go on after them.
        assert_eq!(ids.insert("P-0003"), (8, true));
        assert_eq!(ids.insert("P-0007"), (1, false));
    }

    /// Numbered ids keep one bit per value once renumbered, not their
    /// array, with gaps between the values or without; everything else goes
    /// on as before.
    #[test]
    fn numbered_ids_are_renumbered_into_one_bit_a_value() {
        for step in [1, 3] {
            renumbered_into_bits(step);
        }
    }

    /// [`numbered_ids_are_renumbered_into_one_bit_a_value`] with values `step` apart.
    fn renumbered_into_bits(step: usize) {
        let given: Vec<String> = (0..200)
            .map(|n| format!("P-{:04}", 5 + step * ((n * 7) % 200)))
            .collect();
        let renumbered = || {
            let mut ids = Ids::default();
            for id in &given {
                ids.insert(id);
            }
            let order = ids.renumber_by_value();
            (ids, order)
        };
        let (mut ids, order) = renumbered();
        assert!(matches!(order, Renumbering::OldOf(_)), "{order:?}");
        let d = ids.dense.as_ref().unwrap();
        assert!(d.slots.is_empty() && d.ranked.is_some(), "{step}");
        // What else was laid out by the old numbers moves as the ids did.
        let new_of = renumbered().1.into_new_of();
        let mut values: Vec<u32> = (0..200).collect();
        order.apply(&mut values, u32::MAX);
        for (old, id) in given.iter().enumerate() {
            let new = new_of[old];
            let value = id[2..].parse::<usize>().unwrap();
            assert_eq!(new as usize, (value - 5) / step, "{id}");
            assert_eq!(ids.find(id), Some(new), "{id}");
            assert_eq!(ids.get(new), *id);
            assert_eq!(values[new as usize], old as u32);
        }
        let olds = [199, 0, 42, 42, 7];
        let news = order.into_new_numbers(olds.into_iter());
        for old in olds {
            assert_eq!(news.of(old), new_of[old as usize], "{old}");
        }
        let gap = if step > 1 { "P-0006" } else { "P-0004" };
        for id in [gap, "P-0004", "P-0700", "P-0000", "P-9999", "acme"] {
            assert_eq!(ids.find(id), None, "{id}");
        }
        // Stored and loaded, they keep their numbers.
        let mut stored = Vec::new();
        ids.store(&mut stored).unwrap();
        let loaded = Ids::load(&mut stored.as_slice()).unwrap();
        for id in &given {
            assert_eq!(loaded.find(id), ids.find(id), "{id}");
        }
        // Renumbered again, nothing moves.
        let mut again = Ids::load(&mut stored.as_slice()).unwrap();
        let same = again.renumber_by_value().into_new_of();
        assert_eq!(same, (0..200).collect::<Vec<u32>>());
        // A new id gets the next number, and the array comes back.
        assert_eq!(ids.insert("P-0700"), (200, true));
        assert_eq!(ids.insert("P-0001"), (201, true));
        assert_eq!(ids.insert("P-0005"), (0, false));
        assert_eq!(ids.insert("acme"), (202, true));
        for (old, id) in given.iter().enumerate() {
            assert_eq!(ids.find(id), Some(new_of[old]), "{id}");
            assert_eq!(ids.get(new_of[old]), *id);
        }
        assert_eq!(
            (ids.get(200), ids.get(201)),
            ("P-0700".into(), "P-0001".into())
        );
        assert_eq!(ids.get(202), "acme");
        // With an id of another shape, the numbers are mapped instead.
        let mut ids = Ids::default();
        for id in given.iter().map(String::as_str).chain(["client"]) {
            ids.insert(id);
        }
        let order = ids.renumber_by_value();
        assert!(matches!(order, Renumbering::NewOf(_)));
        let news = order.into_new_numbers([3, 0].into_iter());
        assert_eq!(
            (news.of(3), news.of(0)),
            (ids.find(&given[3]).unwrap(), ids.find(&given[0]).unwrap())
        );
    }

    /// Ids of the first id's shape go through the array, others through the
    /// table; either way each id has one number, found again by its text only.
    #[test]
    fn numbered_ids_and_others_side_by_side() {
        let mut ids = Ids::default();
        let all = [
            "P-0042", "P-0007", "P-42", "P-00042", "Q-0042", "P-004a", " P-0042", "P-0042 ",
            "P-9999", "p-0042", "P-", "P-0000", "P-0042",
        ];
        let mut want: Vec<(&str, u32)> = Vec::new();
        for id in all {
            let (n, new) = ids.insert(id);
            match want.iter().find(|(w, _)| *w == id) {
                Some(&(_, m)) => assert_eq!((n, new), (m, false), "{id}"),
                None => {
                    assert!(new, "{id}");
                    want.push((id, n));
                }
            }
        }
        assert_eq!(ids.len(), want.len());
        for (id, n) in &want {
            assert_eq!(ids.find(id), Some(*n), "{id}");
            assert_eq!(ids.get(*n), *id);
        }
        for id in ["P-0001", "P-0043", "P-1", "P-00420", "X"] {
            assert_eq!(ids.find(id), None, "{id}");
        }
        // Values past the array's limit go to the table.
        let mut big = Ids::default();
        assert_eq!(big.insert("1"), (0, true));
        assert_eq!(big.insert("9"), (1, true));
        let mut wide = Ids::default();
        wide.insert("N-000000001");
        assert_eq!(wide.insert("N-999999999"), (1, true));
        assert_eq!(wide.find("N-999999999"), Some(1));
        assert_eq!(wide.insert("N-999999999"), (1, false));
        // A first id without digits: everything through the table.
        let mut plain = Ids::default();
        plain.insert("acme");
        assert_eq!(plain.insert("P-0001"), (1, true));
        assert_eq!(plain.find("P-0001"), Some(1));
    }

    /// Stored and loaded, ids keep their numbers and are found as before.
    #[test]
    fn stored_ids_load_with_their_numbers() {
        for first in ["P-0001", "acme", "N-000000001"] {
            let mut ids = Ids::default();
            let mut all = vec![first.to_string()];
            for n in 0..3000 {
                all.push(format!("P-{:04}", (n * 7919) % 5000));
                if n % 7 == 0 {
                    all.push(format!("client {n}"));
                }
                if n % 101 == 0 {
                    all.push("L".repeat(n % 300));
                }
            }
            for id in &all {
                ids.insert(id);
            }
            let mut stored = Vec::new();
            ids.store(&mut stored).unwrap();
            let mut loaded = Ids::load(&mut stored.as_slice()).unwrap();
            assert_eq!(loaded.len(), ids.len());
            for n in 0..ids.len() as u32 {
                assert_eq!(loaded.get(n), ids.get(n));
                assert_eq!(loaded.find(&ids.get(n)), Some(n));
            }
            assert_eq!(loaded.find("P-9999"), None);
            assert_eq!(loaded.insert("P-9999"), (ids.len() as u32, true));
            assert_eq!(loaded.insert(first), (0, false));
            // Cut anywhere, it does not load.
            for cut in [0, 7, stored.len() / 2, stored.len() - 1] {
                assert!(Ids::load(&mut &stored[..cut]).is_err(), "{cut}");
            }
            // Renumbered by value, they are stored in their new order.
            ids.renumber_by_value();
            let mut stored = Vec::new();
            ids.store(&mut stored).unwrap();
            let loaded = Ids::load(&mut stored.as_slice()).unwrap();
            for n in 0..ids.len() as u32 {
                assert_eq!(loaded.get(n), ids.get(n));
                assert_eq!(loaded.find(&ids.get(n)), Some(n));
            }
        }
        // An id given twice does not load.
        let mut twice = Ids::default();
        for id in ["P-0001", "acme", "bolt"] {
            twice.insert(id);
        }
        let mut stored = Vec::new();
        twice.store(&mut stored).unwrap();
        let at = stored.windows(4).position(|w| w == b"bolt").unwrap();
        stored[at..at + 4].copy_from_slice(b"acme");
        assert!(Ids::load(&mut stored.as_slice()).is_err());
    }

    /// Ids all of one shape keep no places; they are made when a number is
    /// named, and kept once an id of another shape comes.
    #[test]
    fn ids_of_one_shape_name_their_numbers_without_places() {
        let mut ids = Ids::default();
        let all: Vec<String> = (0..3000)
            .map(|n| format!("P-{:05}", (n * 7919) % 50000))
            .collect();
        for id in &all {
            ids.insert(id);
        }
        assert!(ids.starts.is_empty() && ids.named.get().is_none());
        let mut stored = Vec::new();
        ids.store(&mut stored).unwrap();
        assert!(
            ids.named.get().is_none(),
            "storing makes the places only for a while"
        );
        let mut loaded = Ids::load(&mut stored.as_slice()).unwrap();
        assert!(loaded.starts.is_empty() && loaded.named.get().is_none());
        assert_eq!(loaded.len(), all.len());
        for (n, id) in all.iter().enumerate() {
            assert_eq!(loaded.find(id), Some(n as u32));
            assert_eq!(loaded.get(n as u32), id.as_str());
        }
        // Values far apart load as one bit each with the numbers, not the
        // array; close together, as the array. Renumbered, they follow
        // their values all the same.
        let d = loaded.dense.as_ref().unwrap();
        assert!(d.slots.is_empty() && d.ranked.as_ref().is_some_and(|r| r.numbers.is_some()));
        let close: Vec<String> = (0..3000)
            .map(|n| format!("P-{:05}", (n * 7) % 3100))
            .collect();
        let mut near = Ids::default();
        for id in &close {
            near.insert(id);
        }
        let mut stored_near = Vec::new();
        near.store(&mut stored_near).unwrap();
        let near_loaded = Ids::load(&mut stored_near.as_slice()).unwrap();
        let d = near_loaded.dense.as_ref().unwrap();
        assert!(d.ranked.is_none() && !d.slots.is_empty());
        for (stored, given) in [(&stored, &all), (&stored_near, &close)] {
            let mut a = Ids::load(&mut stored.as_slice()).unwrap();
            let mut b = Ids::default();
            for id in given {
                b.insert(id);
            }
            let (a_of, b_of) = (a.renumber_by_value(), b.renumber_by_value());
            assert_eq!(a_of.into_new_of(), b_of.into_new_of());
            for id in given {
                assert_eq!(a.find(id), b.find(id), "{id}");
            }
        }
        // A new id is named at once; one of another shape keeps the places from then on.
        assert_eq!(loaded.insert("P-49999"), (3000, true));
        assert_eq!(loaded.get(3000), "P-49999");
        assert_eq!(loaded.insert("acme"), (3001, true));
        assert_eq!(loaded.insert("P-49998"), (3002, true));
        assert_eq!(loaded.starts.len(), 3003);
        for (n, id) in all.iter().enumerate() {
            assert_eq!(loaded.get(n as u32), id.as_str());
        }
        assert_eq!(
            (loaded.get(3001), loaded.get(3002)),
            ("acme".into(), "P-49998".into())
        );
        // Renumbered, they still name their ids.
        let new_of = ids.renumber_by_value().into_new_of();
        for (old, id) in all.iter().enumerate() {
            assert_eq!(ids.get(new_of[old]), id.as_str());
            assert_eq!(ids.find(id), Some(new_of[old]));
        }
        // An array that numbers two ids the other way round does not load:
        // the array ends the stored ids, one 4-byte slot per value up to the last.
        let value = |id: &str| id[2..].parse::<usize>().unwrap();
        let last = all.iter().map(|id| value(id)).max().unwrap();
        let slot = |v: usize| stored.len() - (last + 1 - v) * 4;
        let (first, second) = (slot(value(&all[0])), slot(value(&all[1])));
        assert_eq!((stored[first], stored[second]), (1, 2));
        let mut swapped = stored.clone();
        swapped.swap(first, second);
        assert!(Ids::load(&mut swapped.as_slice()).is_err());
    }

    #[test]
    fn numbers_ids_in_order_of_arrival() {
        let mut ids = Ids::default();
        assert_eq!(ids.insert("P-1"), (0, true));
        assert_eq!(ids.insert("P-2"), (1, true));
        assert_eq!(ids.insert("P-1"), (0, false));
        assert_eq!(ids.insert(""), (2, true));
        assert_eq!(ids.find("P-2"), Some(1));
        assert_eq!(ids.find("P-3"), None);
        assert_eq!(ids.get(1), "P-2");
        assert_eq!(ids.get(2), "");
        let long = "L".repeat(300);
        assert_eq!(ids.insert(&long), (3, true));
        assert_eq!(ids.find(&long), Some(3));
        assert_eq!(ids.get(3), long);
        for n in 0..10_000 {
            ids.insert(&format!("X{n}"));
        }
        assert_eq!(ids.len(), 10_004);
        assert_eq!(ids.find("X9999"), Some(10_003));
        // Ids around the inline limit, and ids that share a prefix.
        for len in 9..14 {
            let id = "Z".repeat(len);
            let (n, new) = ids.insert(&id);
            assert!(new);
            assert_eq!(ids.find(&id), Some(n));
            assert_eq!(ids.get(n), id);
            assert_eq!(ids.find(&id[..len - 1]), (len > 9).then(|| n - 1));
        }
    }
}
