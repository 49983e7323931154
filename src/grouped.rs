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

#[cfg(test)]
mod tests {
    use super::*;

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
