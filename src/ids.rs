//! A compact set of prospect ids, each numbered in order of arrival.
//!
//! Scans of a large register or journal key their per-prospect state by id;
//! a `HashMap<String, _>` costs an allocation and some 60 bytes an id. Here
//! the ids sit end to end in one buffer, each after its length, and the table
//! holds a number and the id itself when it is short (as most are: `P-0001234`),
//! else its position in the buffer: about 30 bytes an id all told. A look-up in
//! a table of a million ids is a few cache misses; keeping the short ids in
//! the table's slots spares the one that comparing with the buffer costs. No I/O.

use hashbrown::HashTable;
use std::hash::BuildHasher;

#[derive(Default)]
pub struct Ids {
    /// Each id as its length (one byte, or 255 and four bytes) then its bytes.
    bytes: Vec<u8>,
    /// Where each id's length starts in `bytes`.
    starts: Vec<usize>,
    table: HashTable<Slot>,
    hasher: foldhash::quality::RandomState,
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
        self.starts.len()
    }

    /// The id numbered `i`.
    pub fn get(&self, i: u32) -> &str {
        std::str::from_utf8(at(&self.bytes, self.starts[i as usize])).expect("ids are text")
    }

    pub fn find(&self, id: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(id.as_bytes());
        self.table
            .find(hash, |s| s.is(id.as_bytes(), &self.bytes))
            .map(|s| s.n)
    }

    /// The number of `id`, given it if new; and whether it was new.
    pub fn insert(&mut self, id: &str) -> (u32, bool) {
        let hash = self.hasher.hash_one(id.as_bytes());
        let (bytes, hasher) = (&mut self.bytes, &self.hasher);
        match self.table.entry(
            hash,
            |s| s.is(id.as_bytes(), bytes),
            |s| hasher.hash_one(s.id(bytes)),
        ) {
            hashbrown::hash_table::Entry::Occupied(e) => (e.get().n, false),
            hashbrown::hash_table::Entry::Vacant(e) => {
                let n = u32::try_from(self.starts.len()).expect("fewer than 4 billion ids");
                let pos = bytes.len();
                let len = id.len();
                if len < 255 {
                    bytes.push(len as u8);
                } else {
                    bytes.push(255);
                    bytes.extend_from_slice(&u32::try_from(len).expect("a short id").to_le_bytes());
                }
                bytes.extend_from_slice(id.as_bytes());
                let mut slot = Slot {
                    n,
                    len: u8::MAX,
                    text: [0; INLINE],
                };
                if len <= INLINE {
                    slot.len = len as u8;
                    slot.text[..len].copy_from_slice(id.as_bytes());
                } else {
                    let pos = u32::try_from(pos).expect("ids under 4 GB");
                    slot.text[..4].copy_from_slice(&pos.to_le_bytes());
                }
                e.insert(slot);
                self.starts.push(pos);
                (n, true)
            }
        }
    }
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
