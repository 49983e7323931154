//! A compact set of prospect ids, each numbered in order of arrival.
//!
//! Scans of a large register or journal key their per-prospect state by id;
//! a `HashMap<String, _>` costs an allocation and some 60 bytes an id. Here
//! the ids sit end to end in one buffer, each after its length, and the table
//! holds a number and a position: about 20 bytes an id all told, and one
//! look at the buffer to confirm a match. No I/O.

use hashbrown::HashTable;
use std::hash::BuildHasher;

#[derive(Default)]
pub struct Ids {
    /// Each id as its length (one byte, or 255 and four bytes) then its bytes.
    bytes: Vec<u8>,
    /// Where each id's length starts in `bytes`.
    starts: Vec<usize>,
    /// (number, position in `bytes`).
    table: HashTable<(u32, u32)>,
    hasher: foldhash::quality::RandomState,
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
            .find(hash, |&(_, pos)| {
                at(&self.bytes, pos as usize) == id.as_bytes()
            })
            .map(|&(i, _)| i)
    }

    /// The number of `id`, given it if new; and whether it was new.
    pub fn insert(&mut self, id: &str) -> (u32, bool) {
        let hash = self.hasher.hash_one(id.as_bytes());
        let (bytes, hasher) = (&mut self.bytes, &self.hasher);
        match self.table.entry(
            hash,
            |&(_, pos)| at(bytes, pos as usize) == id.as_bytes(),
            |&(_, pos)| hasher.hash_one(at(bytes, pos as usize)),
        ) {
            hashbrown::hash_table::Entry::Occupied(e) => (e.get().0, false),
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
                e.insert((n, u32::try_from(pos).expect("ids under 4 GB")));
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
    }
}
