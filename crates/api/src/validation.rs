//! String formats from `k8s.io/apimachinery/pkg/util/validation` (and
//! `api/validation/path`), written without regular expressions: each check returns
//! upstream's messages, empty when the value is valid.
//!
//! The `is_*` functions word their messages exactly as upstream does; [`Messages`] also
//! has the one variant of `RegexError`'s wording that kubehci-strategy has always used.

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_FMT: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const DNS1035_LABEL_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_EXAMPLES: [&str; 3] = ["MyName", "my.name", "123-abc"];

/// `DNS1123LabelMaxLength` (also the limit of label values and qualified-name parts).
pub const DNS1123_LABEL_MAX: usize = 63;
/// `DNS1123SubdomainMaxLength`.
pub const DNS1123_SUBDOMAIN_MAX: usize = 253;

/// Upstream's `MaxLenError`.
pub fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} characters")
}

fn lower_alnum(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, anchored (no length check).
pub fn matches_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    let Some((&first, &last)) = b.first().zip(b.last()) else {
        return false;
    };
    lower_alnum(first) && lower_alnum(last) && b.iter().all(|&c| lower_alnum(c) || c == b'-')
}

/// Dot-separated RFC 1123 labels, anchored (no length check).
pub fn matches_dns1123_subdomain(s: &str) -> bool {
    s.split('.').all(matches_dns1123_label)
}

/// `[a-z]([-a-z0-9]*[a-z0-9])?`, anchored (no length check).
pub fn matches_dns1035_label(s: &str) -> bool {
    matches_dns1123_label(s) && s.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, anchored.
fn matches_qualified_token(s: &str) -> bool {
    let b = s.as_bytes();
    let Some((first, last)) = b.first().zip(b.last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// The wording of `RegexError`, and the checks that use it.
///
/// Upstream appends `', '` to every example and joins them with `" or "`, so its text
/// reads `(e.g. 'my-name',  or '123-abc', regex used for validation is '...')` (two
/// spaces). kubehci-strategy's messages have one space (`'my-name', or '123-abc'`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Messages {
    or: &'static str,
}

impl Messages {
    /// Upstream's wording.
    pub const UPSTREAM: Messages = Messages { or: " or " };
    /// One space between the examples, as kubehci-strategy has always written them.
    pub const COMPACT: Messages = Messages { or: "or " };

    /// Upstream's `RegexError`: `msg (e.g. 'a', or 'b', regex used for validation is 'fmt')`.
    pub fn regex_error(self, msg: &str, fmt: &str, examples: &[&str]) -> String {
        if examples.is_empty() {
            return format!("{msg} (regex used for validation is '{fmt}')");
        }
        let mut s = format!("{msg} (e.g. ");
        for (i, e) in examples.iter().enumerate() {
            if i > 0 {
                s.push_str(self.or);
            }
            s.push('\'');
            s.push_str(e);
            s.push_str("', ");
        }
        s.push_str("regex used for validation is '");
        s.push_str(fmt);
        s.push_str("')");
        s
    }

    /// `IsDNS1123Label`.
    pub fn dns1123_label(self, v: &str) -> Vec<String> {
        let mut errs = Vec::new();
        if v.len() > DNS1123_LABEL_MAX {
            errs.push(max_len_error(DNS1123_LABEL_MAX));
        }
        if !matches_dns1123_label(v) {
            if matches_dns1123_subdomain(v) {
                errs.push("must not contain dots".to_string());
            } else {
                errs.push(self.regex_error(
                    DNS1123_LABEL_MSG,
                    DNS1123_LABEL_FMT,
                    &["my-name", "123-abc"],
                ));
            }
        }
        errs
    }

    /// `IsDNS1123Subdomain`.
    pub fn dns1123_subdomain(self, v: &str) -> Vec<String> {
        let mut errs = Vec::new();
        if v.len() > DNS1123_SUBDOMAIN_MAX {
            errs.push(max_len_error(DNS1123_SUBDOMAIN_MAX));
        }
        if !matches_dns1123_subdomain(v) {
            errs.push(self.regex_error(
                DNS1123_SUBDOMAIN_MSG,
                DNS1123_SUBDOMAIN_FMT,
                &["example.com"],
            ));
        }
        errs
    }

    /// `IsDNS1035Label`.
    pub fn dns1035_label(self, v: &str) -> Vec<String> {
        let mut errs = Vec::new();
        if v.len() > DNS1123_LABEL_MAX {
            errs.push(max_len_error(DNS1123_LABEL_MAX));
        }
        if !matches_dns1035_label(v) {
            errs.push(self.regex_error(
                DNS1035_LABEL_MSG,
                DNS1035_LABEL_FMT,
                &["my-name", "abc-123"],
            ));
        }
        errs
    }

    /// `IsQualifiedName`: an optional DNS subdomain prefix and `/`, then a name part, as
    /// label keys are written.
    pub fn qualified_name(self, v: &str) -> Vec<String> {
        let mut errs = Vec::new();
        let parts: Vec<&str> = v.split('/').collect();
        let name = match parts.as_slice() {
            [name] => *name,
            [prefix, name] => {
                if prefix.is_empty() {
                    errs.push("prefix part must be non-empty".to_string());
                } else {
                    errs.extend(
                        self.dns1123_subdomain(prefix)
                            .into_iter()
                            .map(|m| format!("prefix part {m}")),
                    );
                }
                *name
            }
            _ => {
                return vec![format!(
                    "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                    self.regex_error(
                        QUALIFIED_NAME_MSG,
                        QUALIFIED_NAME_FMT,
                        &QUALIFIED_NAME_EXAMPLES
                    )
                )];
            }
        };
        if name.is_empty() {
            errs.push("name part must be non-empty".to_string());
        } else if name.len() > DNS1123_LABEL_MAX {
            errs.push(format!("name part {}", max_len_error(DNS1123_LABEL_MAX)));
        }
        if !matches_qualified_token(name) {
            errs.push(format!(
                "name part {}",
                self.regex_error(
                    QUALIFIED_NAME_MSG,
                    QUALIFIED_NAME_FMT,
                    &QUALIFIED_NAME_EXAMPLES
                )
            ));
        }
        errs
    }

    /// `IsValidLabelValue`.
    pub fn label_value(self, v: &str) -> Vec<String> {
        let mut errs = Vec::new();
        if v.len() > DNS1123_LABEL_MAX {
            errs.push(max_len_error(DNS1123_LABEL_MAX));
        }
        if !(v.is_empty() || matches_qualified_token(v)) {
            errs.push(self.regex_error(
                LABEL_VALUE_MSG,
                LABEL_VALUE_FMT,
                &["MyValue", "my_value", "12345"],
            ));
        }
        errs
    }
}

/// Upstream's `RegexError`.
pub fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    Messages::UPSTREAM.regex_error(msg, fmt, examples)
}

/// Upstream's `IsDNS1123Label`.
pub fn is_dns1123_label(value: &str) -> Vec<String> {
    Messages::UPSTREAM.dns1123_label(value)
}

/// Upstream's `IsDNS1123Subdomain`.
pub fn is_dns1123_subdomain(value: &str) -> Vec<String> {
    Messages::UPSTREAM.dns1123_subdomain(value)
}

/// Upstream's `IsDNS1035Label`.
pub fn is_dns1035_label(value: &str) -> Vec<String> {
    Messages::UPSTREAM.dns1035_label(value)
}

/// Upstream's `IsQualifiedName`.
pub fn is_qualified_name(value: &str) -> Vec<String> {
    Messages::UPSTREAM.qualified_name(value)
}

/// Upstream's `IsValidLabelValue`.
pub fn is_valid_label_value(value: &str) -> Vec<String> {
    Messages::UPSTREAM.label_value(value)
}

/// `IsValidPathSegmentName`, or `IsValidPathSegmentPrefix` when `prefix` (generated
/// names may be `.` or `..` before the random suffix is added).
pub fn is_valid_path_segment_name(value: &str, prefix: bool) -> Vec<String> {
    if !prefix {
        for bad in [".", ".."] {
            if value == bad {
                return vec![format!("may not be '{bad}'")];
            }
        }
    }
    ["/", "%"]
        .iter()
        .filter(|bad| value.contains(*bad))
        .map(|bad| format!("may not contain '{bad}'"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names() {
        assert!(is_qualified_name("app").is_empty());
        assert!(is_qualified_name("example.com/My_name-1").is_empty());
        assert_eq!(
            is_qualified_name("/a"),
            vec!["prefix part must be non-empty".to_string()]
        );
        let e = is_qualified_name("a/b/c");
        assert!(
            e[0].starts_with("a qualified name must consist of"),
            "{e:?}"
        );
        assert!(e[0].ends_with(
            "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ));
        let e = is_qualified_name("-a");
        assert_eq!(
            e[0],
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        );
        assert_eq!(
            is_qualified_name("Ex.com/a")[0].split(" (").next(),
            Some(
                "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
            )
        );
        assert_eq!(
            is_qualified_name(&"a".repeat(64)),
            vec!["name part must be no more than 63 characters".to_string()]
        );
    }

    #[test]
    fn label_values() {
        assert!(is_valid_label_value("").is_empty());
        assert!(is_valid_label_value("v1.2_x-Y").is_empty());
        assert_eq!(is_valid_label_value("a b").len(), 1);
        assert_eq!(
            is_valid_label_value(&"a".repeat(64)),
            vec!["must be no more than 63 characters".to_string()]
        );
    }
}
