//! String formats from `k8s.io/apimachinery/pkg/util/validation` (and `api/validation/path`):
//! each check returns upstream's messages, empty when the value is valid. The name checks
//! are `kubehci_api::validation`'s, in this crate's [`Messages::COMPACT`] wording.

use kubehci_api::validation::is_valid_path_segment_name as path_segment_name;
use kubehci_api::validation::{Messages, max_len_error};

const CONFIG_KEY_FMT: &str = "[-._a-zA-Z0-9]+";
const CONFIG_KEY_MSG: &str =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";

/// The wording of this crate's messages: one space between `RegexError`'s examples.
const MESSAGES: Messages = Messages::COMPACT;

/// Upstream's `RegexError`: `msg (e.g. 'a', or 'b', regex used for validation is 'fmt')`.
pub(crate) fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    MESSAGES.regex_error(msg, fmt, examples)
}

/// Upstream's `InclusiveRangeError`.
pub(crate) fn range_error(lo: i64, hi: i64) -> String {
    format!("must be between {lo} and {hi}, inclusive")
}

fn lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

pub(crate) fn dns1123_label(v: &str) -> Vec<String> {
    MESSAGES.dns1123_label(v)
}

pub(crate) fn dns1123_subdomain(v: &str) -> Vec<String> {
    MESSAGES.dns1123_subdomain(v)
}

pub(crate) fn dns1035_label(v: &str) -> Vec<String> {
    MESSAGES.dns1035_label(v)
}

/// `IsQualifiedName`: an optional DNS subdomain prefix and `/`, then a name part.
pub(crate) fn qualified_name(v: &str) -> Vec<String> {
    MESSAGES.qualified_name(v)
}

pub(crate) fn label_value(v: &str) -> Vec<String> {
    MESSAGES.label_value(v)
}

fn chdir_prefix(v: &str) -> Option<String> {
    match v {
        "." => Some("must not be '.'".into()),
        ".." => Some("must not be '..'".into()),
        _ if v.starts_with("..") => Some("must not start with '..'".into()),
        _ => None,
    }
}

/// `IsConfigMapKey`: keys of ConfigMap and Secret data.
pub(crate) fn config_map_key(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if v.len() > 253 {
        errs.push(max_len_error(253));
    }
    let ok = !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    if !ok {
        errs.push(regex_error(
            CONFIG_KEY_MSG,
            CONFIG_KEY_FMT,
            &["key.name", "KEY_NAME", "key-name"],
        ));
    }
    errs.extend(chdir_prefix(v));
    errs
}

/// `IsValidPortName` (IANA service names).
pub(crate) fn port_name(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if v.len() > 15 {
        errs.push(max_len_error(15));
    }
    if v.is_empty() || !v.chars().all(|c| lower_alnum(c) || c == '-') {
        errs.push(
            "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_string(),
        );
    }
    if !v.chars().any(|c| c.is_ascii_lowercase()) {
        errs.push("must contain at least one letter (a-z)".to_string());
    }
    if v.contains("--") {
        errs.push("must not contain consecutive hyphens".to_string());
    }
    if v.starts_with('-') || v.ends_with('-') {
        errs.push("must not begin or end with a hyphen".to_string());
    }
    errs
}

/// `IsValidPortNum`.
pub(crate) fn port_num(n: i64) -> Vec<String> {
    if (1..=65535).contains(&n) {
        Vec::new()
    } else {
        vec![range_error(1, 65535)]
    }
}

/// `IsRelaxedEnvVarName` (RelaxedEnvironmentVariableValidation is on in v1.33).
pub(crate) fn env_var_name(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if v.is_empty() {
        errs.push("environment variable name must be non-empty".to_string());
    }
    if v.chars().any(|c| !(' '..='~').contains(&c) || c == '=') {
        errs.push("a valid environment variable name must consist only of printable ASCII characters other than '='".to_string());
    }
    errs
}

/// `IsValidPercent`.
pub(crate) fn percent(v: &str) -> Vec<String> {
    let ok =
        v.len() > 1 && v.ends_with('%') && v[..v.len() - 1].chars().all(|c| c.is_ascii_digit());
    if ok {
        Vec::new()
    } else {
        vec![regex_error(
            "a valid percent string must be a numeric string followed by an ending '%'",
            "[0-9]+%",
            &["1%", "93%"],
        )]
    }
}

/// `IsHTTPHeaderName`.
pub(crate) fn http_header_name(v: &str) -> Vec<String> {
    if !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        Vec::new()
    } else {
        vec![regex_error(
            "a valid HTTP header must consist of alphanumeric characters or '-'",
            "[-A-Za-z0-9]+",
            &["X-Header-Name"],
        )]
    }
}

/// Parses an IP the way `netutils.ParseIPSloppy` does (leading zeros allowed in IPv4).
pub(crate) fn parse_ip(v: &str) -> Option<std::net::IpAddr> {
    if let Ok(ip) = v.parse() {
        return Some(ip);
    }
    let parts: Vec<&str> = v.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut octets = [0u8; 4];
    for (o, p) in octets.iter_mut().zip(&parts) {
        if p.is_empty() || p.len() > 3 || !p.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        *o = p.parse().ok()?;
    }
    Some(std::net::IpAddr::from(octets))
}

pub(crate) fn is_valid_ip(v: &str) -> bool {
    parse_ip(v).is_some()
}

pub(crate) const IP_MSG: &str = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";
pub(crate) const CIDR_MSG: &str = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

pub(crate) fn is_valid_cidr(v: &str) -> bool {
    v.parse::<ipnet::IpNet>().is_ok()
}

/// How an object's `metadata.name` is checked (upstream's `ValidateNameFunc`s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// `NameIsDNSSubdomain` (253).
    Subdomain,
    /// `NameIsDNSLabel` (63), e.g. namespaces.
    Label,
    /// `NameIsDNS1035Label`: services.
    Dns1035,
    /// `ValidatePathSegmentName`: RBAC kinds, events.
    PathSegment,
    /// Anything goes (CertificateSigningRequests).
    Any,
}

impl NameRule {
    /// The messages for `name`; `prefix` is true for `generateName`, whose trailing dash
    /// is masked as upstream's `maskTrailingDash` does.
    pub fn check(self, name: &str, prefix: bool) -> Vec<String> {
        let masked;
        let n = if prefix && name.len() > 1 && name.ends_with('-') {
            masked = format!("{}a", &name[..name.len() - 1]);
            masked.as_str()
        } else {
            name
        };
        match self {
            NameRule::Subdomain => dns1123_subdomain(n),
            NameRule::Label => dns1123_label(n),
            NameRule::Dns1035 => dns1035_label(n),
            NameRule::PathSegment => path_segment_name(name, prefix),
            NameRule::Any => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomain_message_matches_upstream() {
        assert_eq!(
            dns1123_subdomain("Foo"),
            vec![
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
            ]
        );
        assert!(dns1123_subdomain("a.b-c").is_empty());
        assert_eq!(
            dns1123_subdomain(&"a".repeat(254))[0],
            "must be no more than 253 characters"
        );
    }

    #[test]
    fn labels_and_1035() {
        assert_eq!(dns1123_label("a.b"), vec!["must not contain dots"]);
        assert!(dns1123_label("1abc").is_empty());
        assert_eq!(
            dns1035_label("1abc"),
            vec![
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name', or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
            ]
        );
    }

    #[test]
    fn qualified_names() {
        assert!(qualified_name("example.com/My_name").is_empty());
        assert_eq!(qualified_name("/a"), vec!["prefix part must be non-empty"]);
        assert_eq!(qualified_name("a/b/c").len(), 1);
        assert!(qualified_name("-a")[0].starts_with("name part must consist of alphanumeric"));
        assert!(label_value("").is_empty());
        assert_eq!(
            label_value(&"a".repeat(64))[0],
            "must be no more than 63 characters"
        );
    }

    #[test]
    fn other_formats() {
        assert_eq!(config_map_key("a b").len(), 1);
        assert_eq!(
            config_map_key("..").last().map(String::as_str),
            Some("must not be '..'")
        );
        assert_eq!(
            path_segment_name("a/b%", false),
            vec!["may not contain '/'", "may not contain '%'"]
        );
        assert_eq!(path_segment_name("..", false), vec!["may not be '..'"]);
        assert!(port_name("http").is_empty());
        assert_eq!(
            port_name("123"),
            vec!["must contain at least one letter (a-z)"]
        );
        assert!(percent("25%").is_empty());
        assert!(!percent("x%").is_empty());
        assert!(is_valid_ip("010.0.0.1"));
        assert!(!is_valid_ip("300.0.0.1"));
        assert_eq!(
            NameRule::Subdomain.check("abc-", true),
            Vec::<String>::new()
        );
        assert_eq!(NameRule::Subdomain.check("abc-", false).len(), 1);
    }
}
