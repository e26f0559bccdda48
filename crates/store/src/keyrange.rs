//! Key ranges for prefix scans: a prefix becomes the half-open byte range
//! `[prefix, upper_bound(prefix))`, compared bytewise like etcd does.

/// The smallest byte string greater than every string that starts with `prefix`, or `None`
/// when no such bound exists (empty prefix, or a prefix made only of `0xFF` bytes).
pub(crate) fn prefix_upper_bound(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut bound = prefix.to_vec();
    while let Some(last) = bound.pop() {
        if last < u8::MAX {
            bound.push(last + 1);
            return Some(bound);
        }
    }
    None
}

/// The byte range a list or watch on `prefix` covers, optionally starting strictly after
/// `start_after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyRange {
    /// Inclusive lower bound.
    pub lower: Vec<u8>,
    /// Exclusive lower bound (`start_after`), if any.
    pub after: Option<Vec<u8>>,
    /// Exclusive upper bound, if any.
    pub upper: Option<Vec<u8>>,
}

impl KeyRange {
    pub(crate) fn new(prefix: &str, start_after: Option<&str>) -> Self {
        KeyRange {
            lower: prefix.as_bytes().to_vec(),
            after: start_after.map(|s| s.as_bytes().to_vec()),
            upper: prefix_upper_bound(prefix.as_bytes()),
        }
    }

    /// SQL conditions on `column` for this range, with the values to bind, in order.
    pub(crate) fn sql_conditions(&self, column: &str) -> (String, Vec<Vec<u8>>) {
        let mut sql = format!("{column} >= ?");
        let mut params = vec![self.lower.clone()];
        if let Some(after) = &self.after {
            sql.push_str(&format!(" AND {column} > ?"));
            params.push(after.clone());
        }
        if let Some(upper) = &self.upper {
            sql.push_str(&format!(" AND {column} < ?"));
            params.push(upper.clone());
        }
        (sql, params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_bound_increments_last_byte() {
        assert_eq!(
            prefix_upper_bound(b"/registry/pods/"),
            Some(b"/registry/pods0".to_vec())
        );
        assert_eq!(prefix_upper_bound(b"a\xff\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_upper_bound(b"\xff"), None);
        assert_eq!(prefix_upper_bound(b""), None);
    }

    #[test]
    fn sql_conditions_bind_in_order() {
        let range = KeyRange::new("/a/", Some("/a/b"));
        let (sql, params) = range.sql_conditions("key");
        assert_eq!(sql, "key >= ? AND key > ? AND key < ?");
        assert_eq!(
            params,
            vec![b"/a/".to_vec(), b"/a/b".to_vec(), b"/a0".to_vec()]
        );
    }
}
