//! Per-prospect lists laid side by side: items tagged with their prospect's
//! number, grouped by it in one array instead of a vector per prospect. No I/O.

/// Groups `items` by their number (each below `n`), keeping their order
/// within each number (a counting sort). Returns where each number's items
/// start (`n + 1` offsets: number `i`'s items are `out[starts[i]..starts[i + 1]]`)
/// and the items; `blank` fills the array before they are placed.
pub fn by_number<T: Copy>(items: Vec<(u32, T)>, n: usize, blank: T) -> (Vec<u32>, Vec<T>) {
    let mut starts = vec![0u32; n + 1];
    for (i, _) in &items {
        starts[*i as usize + 1] += 1;
    }
    for i in 0..n {
        starts[i + 1] += starts[i];
    }
    let mut next = starts.clone();
    let mut out = vec![blank; items.len()];
    for (i, item) in items {
        let at = &mut next[i as usize];
        out[*at as usize] = item;
        *at += 1;
    }
    (starts, out)
}

/// Values laid out by number that a renumbering moves: one array, or two
/// moved in the same pass.
pub trait Laid {
    type Value: Copy;
    /// Makes the arrays `n` long, the numbers past their end blank.
    fn resize_to(&mut self, n: usize);
    fn get(&self, i: usize) -> Self::Value;
    fn put(&mut self, i: usize, v: Self::Value);
}

/// One array, and the value that fills it past its end.
pub struct One<'a, T>(pub &'a mut Vec<T>, pub T);

impl<T: Copy> Laid for One<'_, T> {
    type Value = T;

    fn resize_to(&mut self, n: usize) {
        self.0.resize(n, self.1);
    }

    fn get(&self, i: usize) -> T {
        self.0[i]
    }

    fn put(&mut self, i: usize, v: T) {
        self.0[i] = v;
    }
}

/// Two arrays moved together: a cycle is followed once for both, and the
/// two reads at each step wait on memory together.
pub struct Two<'a, A, B>(pub One<'a, A>, pub One<'a, B>);

impl<A: Copy, B: Copy> Laid for Two<'_, A, B> {
    type Value = (A, B);

    fn resize_to(&mut self, n: usize) {
        self.0.resize_to(n);
        self.1.resize_to(n);
    }

    fn get(&self, i: usize) -> (A, B) {
        (self.0.get(i), self.1.get(i))
    }

    fn put(&mut self, i: usize, (a, b): (A, B)) {
        self.0.put(i, a);
        self.1.put(i, b);
    }
}

/// Moves each value of `values`, indexed by old number, to its new number
/// `new_of[old]`, in place; the numbers past its end are blank first.
/// It follows the permutation's cycles, one bit per number marking those
/// placed: its reads and writes are random, slower than copying into a
/// second array, but only one array is ever held.
pub fn renumber_in_place(values: &mut impl Laid, new_of: &[u32]) {
    values.resize_to(new_of.len());
    each_cycle(new_of.len(), |start, placed| {
        // Each value carried to its place takes the one there along.
        let mut carried = values.get(start);
        let mut to = new_of[start] as usize;
        while to != start {
            let there = values.get(to);
            values.put(to, carried);
            carried = there;
            placed.insert(to);
            to = new_of[to] as usize;
        }
        values.put(start, carried);
        placed.insert(start);
    });
}

/// Moves each value of `values`, indexed by old number, to the new number
/// `n` whose old number is `old_of[n]`, in place; the numbers past its end
/// are blank first. [`renumber_in_place`] the other way round: each place
/// pulls in its value, one bit per number marking those filled.
pub fn pull_in_place(values: &mut impl Laid, old_of: &[u32]) {
    values.resize_to(old_of.len());
    each_cycle(old_of.len(), |start, filled| {
        // The value first here goes to the place the cycle ends on.
        let first = values.get(start);
        let mut to = start;
        loop {
            filled.insert(to);
            let from = old_of[to] as usize;
            if from == start {
                values.put(to, first);
                break;
            }
            values.put(to, values.get(from));
            to = from;
        }
    });
}

/// Calls `follow` with the first number of each cycle of a permutation of
/// `n` numbers, and the bits it marks the numbers it goes through with
/// (those are not started from again).
fn each_cycle(n: usize, mut follow: impl FnMut(usize, &mut fixedbitset::FixedBitSet)) {
    let mut done = fixedbitset::FixedBitSet::with_capacity(n);
    for start in 0..n {
        if !done.contains(start) {
            follow(start, &mut done);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_move_to_their_new_numbers_in_place() {
        let new_of = [3, 0, 4, 1, 2, 6, 5, 7];
        let mut values = vec!['a', 'b', 'c', 'd', 'e'];
        renumber_in_place(&mut One(&mut values, '-'), &new_of);
        assert_eq!(values, ['b', 'd', 'e', 'a', 'c', '-', '-', '-']);
        let mut copied = vec!['?'; 8];
        for (old, v) in ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']
            .into_iter()
            .enumerate()
        {
            copied[new_of[old] as usize] = v;
        }
        let mut values: Vec<char> = "abcdefgh".chars().collect();
        renumber_in_place(&mut One(&mut values, '-'), &new_of);
        assert_eq!(values, copied);
    }

    /// Pulled through the old numbers, a permutation gives what pushing
    /// through the new ones gives.
    #[test]
    fn values_pulled_from_their_old_numbers_land_where_pushed_ones_do() {
        use rand::{SeedableRng, seq::SliceRandom};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for n in [0usize, 1, 2, 3, 8, 100, 1000] {
            let mut new_of: Vec<u32> = (0..n as u32).collect();
            new_of.shuffle(&mut rng);
            let mut old_of = vec![0; n];
            for (old, &new) in new_of.iter().enumerate() {
                old_of[new as usize] = old as u32;
            }
            for given in [n, n / 2] {
                let mut pushed: Vec<u32> = (0..given as u32).map(|v| v * 10).collect();
                let mut pulled = pushed.clone();
                renumber_in_place(&mut One(&mut pushed, u32::MAX), &new_of);
                pull_in_place(&mut One(&mut pulled, u32::MAX), &old_of);
                assert_eq!(pulled, pushed, "{n} numbers, {given} values");
                // Two arrays moved together move as each alone.
                let mut a: Vec<u32> = (0..given as u32).collect();
                let mut b: Vec<u32> = (0..(given / 3) as u32).map(|v| v + 7).collect();
                let (mut a1, mut b1) = (a.clone(), b.clone());
                pull_in_place(&mut Two(One(&mut a, 0), One(&mut b, 1)), &old_of);
                pull_in_place(&mut One(&mut a1, 0), &old_of);
                pull_in_place(&mut One(&mut b1, 1), &old_of);
                assert_eq!((a, b), (a1, b1), "{n} numbers, two arrays");
            }
        }
    }

    #[test]
    fn items_are_grouped_by_number_in_their_order() {
        let items = vec![(2, 'a'), (0, 'b'), (2, 'c'), (3, 'd'), (0, 'e')];
        let (starts, out) = by_number(items, 5, ' ');
        assert_eq!(starts, [0, 2, 2, 4, 5, 5]);
        assert_eq!(out, ['b', 'e', 'a', 'c', 'd']);
        let group = |i: usize| &out[starts[i] as usize..starts[i + 1] as usize];
        assert_eq!(group(1), &[] as &[char]);
        assert_eq!(group(2), ['a', 'c']);
    }
}
