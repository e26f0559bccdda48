//! `NameIsDNSSubdomain` for CRD names (the name validators themselves, with upstream's
//! exact messages, are `kubehci_api::validation`'s).

use kubehci_api::validation::is_dns1123_subdomain;

/// `NameIsDNSSubdomain(name, prefix)`: a generateName prefix may end in `-`.
pub fn name_is_dns_subdomain(name: &str, prefix: bool) -> Vec<String> {
    if prefix && name.len() > 1 && name.ends_with('-') {
        // Upstream masks the last two bytes with "a" (its slice drops one char too many).
        let cut = name.len().saturating_sub(2);
        let masked = format!("{}a", name.get(..cut).unwrap_or(""));
        return is_dns1123_subdomain(&masked);
    }
    is_dns1123_subdomain(name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use kubehci_api::validation::{
        is_dns1035_label as dns1035_label, is_dns1123_label as dns1123_label,
        is_dns1123_subdomain as dns1123_subdomain,
    };

    #[test]
    fn labels_and_subdomains() {
        assert!(dns1123_subdomain("example.com").is_empty());
        assert_eq!(dns1123_subdomain("Example.com").len(), 1);
        assert!(dns1123_subdomain("a..b").len() == 1);
        assert!(dns1035_label("widgets").is_empty());
        assert_eq!(
            dns1035_label("1abc")[0],
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
        );
        assert!(name_is_dns_subdomain("web-", true).is_empty());
        assert_eq!(dns1123_label(&"a".repeat(64)).len(), 1);
    }
}
