//! Element order of merged lists (upstream `normalizeElementOrder`): patch items keep the
//! patch's order, live-only items the live order, and the two are interleaved by the live
//! order. Upstream sorts with `sort.SliceStable` and a comparator that is not a strict
//! weak order when an item is missing from the reference list, so the result depends on
//! Go's exact algorithm; [`go_slice_stable`] reproduces it.

use serde_json::Value;

use super::{DIRECTIVE, GoKind, bad_arg_type, go_eq, no_merge_key};
use crate::error::PatchError;

/// Sorts `patch` by `patch_order` and `server_only` by `server_order`, then interleaves.
pub(super) fn normalize_element_order(
    patch: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    merge_key: &str,
    kind: GoKind,
) -> Result<Vec<Value>, PatchError> {
    let patch = normalize_slice_order(patch, patch_order, merge_key, kind)?;
    let server_only = normalize_slice_order(server_only, server_order, merge_key, kind)?;
    Ok(merge_sorted(
        server_only,
        patch,
        server_order,
        merge_key,
        kind,
    ))
}

/// Position of `item` in `list` by merge key (maps) or value (primitives), Go `==`.
fn index_of(list: &[Value], item: &Value, merge_key: &str, kind: GoKind) -> Option<usize> {
    let key_of = |v: &'_ Value| -> Option<Value> {
        if kind == GoKind::Map {
            v.as_object().and_then(|m| m.get(merge_key)).cloned()
        } else {
            Some(v.clone())
        }
    };
    let wanted = key_of(item);
    list.iter()
        .position(|v| go_eq(key_of(v).as_ref(), wanted.as_ref()))
}

fn normalize_slice_order(
    to_sort: Vec<Value>,
    order: &[Value],
    merge_key: &str,
    kind: GoKind,
) -> Result<Vec<Value>, PatchError> {
    let mut to_delete = Vec::new();
    let mut keep = to_sort;
    if kind == GoKind::Map {
        for v in keep.iter().chain(order.iter()) {
            let Value::Object(m) = v else {
                return Err(bad_arg_type("map[string]interface {}", Some(v)));
            };
            if !m.contains_key(merge_key) {
                return Err(no_merge_key(m, merge_key));
            }
        }
        let (deletes, rest): (Vec<Value>, Vec<Value>) = keep
            .into_iter()
            .partition(|v| v.get(DIRECTIVE).and_then(Value::as_str) == Some("delete"));
        keep = rest;
        to_delete = deletes;
    }
    let mut keyed: Vec<(Option<usize>, Value)> = keep
        .into_iter()
        .map(|v| (index_of(order, &v, merge_key, kind), v))
        .collect();
    go_slice_stable(&mut keyed, |a, b| match (a.0, b.0) {
        (Some(i), Some(j)) => i < j,
        _ => true,
    });
    let mut out: Vec<Value> = keyed.into_iter().map(|(_, v)| v).collect();
    out.extend(to_delete);
    Ok(out)
}

/// Inserts each `left` item into `right` before the first item it precedes in
/// `server_order` (upstream `mergeSortedSlice`).
fn merge_sorted(
    left: Vec<Value>,
    right: Vec<Value>,
    server_order: &[Value],
    merge_key: &str,
    kind: GoKind,
) -> Vec<Value> {
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut left = left.into_iter().peekable();
    let mut right = right.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => matches!(
                (index_of(server_order, l, merge_key, kind), index_of(server_order, r, merge_key, kind)),
                (Some(li), Some(ri)) if li < ri
            ),
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next);
    }
    out
}

/// Go's `sort.SliceStable` (insertion sort on blocks of 20, then `symMerge`), step for
/// step, so that inconsistent comparators give Go's result.
pub(crate) fn go_slice_stable<T>(v: &mut [T], mut less: impl FnMut(&T, &T) -> bool) {
    let n = v.len();
    let mut block = 20;
    let (mut a, mut b) = (0, block);
    while b <= n {
        insertion_sort(v, a, b, &mut less);
        a = b;
        b += block;
    }
    insertion_sort(v, a, n, &mut less);
    while block < n {
        a = 0;
        b = 2 * block;
        while b <= n {
            sym_merge(v, a, a + block, b, &mut less);
            a = b;
            b += 2 * block;
        }
        let m = a + block;
        if m < n {
            sym_merge(v, a, m, n, &mut less);
        }
        block *= 2;
    }
}

fn insertion_sort<T>(v: &mut [T], a: usize, b: usize, less: &mut impl FnMut(&T, &T) -> bool) {
    for i in a + 1..b {
        let mut j = i;
        while j > a && less(&v[j], &v[j - 1]) {
            v.swap(j, j - 1);
            j -= 1;
        }
    }
}

fn sym_merge<T>(v: &mut [T], a: usize, m: usize, b: usize, less: &mut impl FnMut(&T, &T) -> bool) {
    if m - a == 1 {
        let (mut i, mut j) = (m, b);
        while i < j {
            let h = (i + j) / 2;
            if less(&v[h], &v[a]) { i = h + 1 } else { j = h }
        }
        for k in a..i.saturating_sub(1) {
            v.swap(k, k + 1);
        }
        return;
    }
    if b - m == 1 {
        let (mut i, mut j) = (a, m);
        while i < j {
            let h = (i + j) / 2;
            if !less(&v[m], &v[h]) {
                i = h + 1
            } else {
                j = h
            }
        }
        let mut k = m;
        while k > i {
            v.swap(k, k - 1);
            k -= 1;
        }
        return;
    }
    let mid = (a + b) / 2;
    let n = mid + m;
    let (mut start, mut r) = if m > mid { (n - b, mid) } else { (a, m) };
    let p = n - 1;
    while start < r {
        let c = (start + r) / 2;
        if !less(&v[p - c], &v[c]) {
            start = c + 1
        } else {
            r = c
        }
    }
    let end = n - start;
    if start < m && m < end {
        rotate(v, start, m, end);
    }
    if a < start && start < mid {
        sym_merge(v, a, start, mid, less);
    }
    if mid < end && end < b {
        sym_merge(v, mid, end, b, less);
    }
}

fn rotate<T>(v: &mut [T], a: usize, m: usize, b: usize) {
    let mut i = m - a;
    let mut j = b - m;
    while i != j {
        if i > j {
            swap_range(v, m - i, m, j);
            i -= j;
        } else {
            swap_range(v, m - i, m + j - i, i);
            j -= i;
        }
    }
    swap_range(v, m - i, m, i);
}

fn swap_range<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn stable_sort_matches_ordinary_sort_for_consistent_comparators() {
        let mut seed = 7u64;
        for len in [0usize, 1, 2, 19, 20, 21, 45, 100, 257] {
            let mut v: Vec<(u64, usize)> = (0..len)
                .map(|i| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    ((seed >> 33) % 10, i)
                })
                .collect();
            let mut expected = v.clone();
            expected.sort_by_key(|x| x.0);
            go_slice_stable(&mut v, |a, b| a.0 < b.0);
            assert_eq!(v, expected);
        }
    }

    #[test]
    fn inconsistent_comparator_terminates() {
        let mut v: Vec<Option<usize>> = (0..60)
            .map(|i| if i % 3 == 0 { None } else { Some(60 - i) })
            .collect();
        go_slice_stable(&mut v, |a, b| match (a, b) {
            (Some(i), Some(j)) => i < j,
            _ => true,
        });
        assert_eq!(v.len(), 60);
    }
}
