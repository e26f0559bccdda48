//! Bounds on untrusted input. Every recursive walk in this crate carries a depth and fails
//! with [`PatchError::TooDeep`] instead of exhausting the stack; `serde_json` already refuses
//! documents nested deeper than 128, so real requests never come near the limit.

use serde_json::Value;

use crate::error::PatchError;

/// Deepest nesting any walk in this crate descends into.
pub const MAX_DEPTH: usize = 150;

/// Fails when `depth` is past [`MAX_DEPTH`]; call at the top of each recursive step.
pub(crate) fn guard(depth: usize) -> Result<(), PatchError> {
    if depth > MAX_DEPTH {
        Err(PatchError::TooDeep(MAX_DEPTH))
    } else {
        Ok(())
    }
}

/// Checks, without recursion, that `v` nests no deeper than `max`.
pub(crate) fn check_depth(v: &Value, max: usize) -> Result<(), PatchError> {
    let mut stack: Vec<(&Value, usize)> = vec![(v, 0)];
    while let Some((v, d)) = stack.pop() {
        if d > max {
            return Err(PatchError::TooDeep(max));
        }
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            Value::Object(map) => stack.extend(map.values().map(|i| (i, d + 1))),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn depth_check() {
        let mut v = json!(1);
        for _ in 0..(MAX_DEPTH + 5) {
            v = json!([v]);
        }
        assert!(check_depth(&v, MAX_DEPTH).is_err());
        assert!(check_depth(&json!({"a": [{"b": 1}]}), 3).is_ok());
        assert!(guard(MAX_DEPTH + 1).is_err());
        // Values this deep cannot come from serde_json; drop them iteratively so the test
        // itself does not depend on stack size.
        let mut cur = v;
        while let Value::Array(mut items) = cur {
            cur = items.pop().unwrap_or(Value::Null);
        }
    }
}
