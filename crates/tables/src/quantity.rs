//! `resource.Quantity` in canonical form, as upstream prints quantities in tables
//! (`1024Mi` → `1Gi`, `0.5Gi` → `512Mi`, `1.5` → `1500m`, `1000M` → `1G`); the parsing
//! and formatting are `kubehci_api::quantity`'s.

use kubehci_api::quantity::Quantity;
use serde_json::Value;

/// The canonical text of a quantity written as a string (or a bare JSON number);
/// `None` when it does not parse.
pub fn canonical(v: &Value) -> Option<String> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Quantity::parse_unbounded(text.trim())
        .ok()
        .map(|q| q.canonical())
}

/// A quantity cell: canonical text, the raw text if it does not parse, `0` if absent.
pub(crate) fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "0".to_string(),
        Some(x) => canonical(x).unwrap_or_else(|| {
            x.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| x.to_string())
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn c(s: &str) -> String {
        canonical(&json!(s)).unwrap_or_else(|| "ERR".into())
    }

    #[test]
    fn canonical_forms_match_upstream() {
        let cases = [
            ("1Gi", "1Gi"),
            ("1024Mi", "1Gi"),
            ("1536Mi", "1536Mi"),
            ("0.5Gi", "512Mi"),
            ("1.5Ki", "1536"),
            ("512", "512"),
            ("1.5", "1500m"),
            ("2000m", "2"),
            ("100m", "100m"),
            ("1000M", "1G"),
            ("1500", "1500"),
            ("1000", "1k"),
            ("10G", "10G"),
            ("0", "0"),
            ("0Gi", "0"),
            ("-1Gi", "-1Gi"),
            ("1e3", "1e3"),
            ("1.5e3", "1500"),
            ("0.1n", "1n"),
            ("5Ti", "5Ti"),
            ("12e6", "12e6"),
            ("0e2147483647", "0"),
            ("1e-2147483648", "1e-9"),
            ("1e2147483647", "10e2147483646"),
            ("10e2147483647", "100e2147483646"),
        ];
        for (input, want) in cases {
            assert_eq!(c(input), want, "{input}");
        }
        assert_eq!(canonical(&json!(3)), Some("3".into()));
        assert_eq!(canonical(&json!("abc")), None);
        assert_eq!(cell(None), "0");
    }
}
