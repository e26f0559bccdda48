//! String formats the apiextensions server keeps (`StripUnsupportedFormats...`) and a
//! light check for each, in the spirit of go-openapi's `strfmt` registry. Numeric
//! formats (`int32`, `double`, ...) are stripped upstream, so they never validate.

/// Formats upstream supports at compatibility version 1.0 (names without dashes).
const SUPPORTED: &[&str] = &[
    "bsonobjectid",
    "uri",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "cidr",
    "mac",
    "uuid",
    "uuid3",
    "uuid4",
    "uuid5",
    "isbn",
    "isbn10",
    "isbn13",
    "creditcard",
    "ssn",
    "hexcolor",
    "rgbcolor",
    "byte",
    "password",
    "date",
    "duration",
    "datetime",
];

/// The format kept for validation, or `None` when upstream strips it.
pub fn supported(format: &str) -> bool {
    let normalized = format.replace('-', "");
    SUPPORTED.contains(&normalized.as_str())
}

/// Whether `s` is a valid value of the (supported) `format`.
pub fn check(format: &str, s: &str) -> bool {
    match format.replace('-', "").as_str() {
        "bsonobjectid" => s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit()),
        "uri" => is_uri(s),
        "email" => is_email(s),
        "hostname" => is_hostname(s),
        "ipv4" => s.contains('.') && parse_ip(s),
        "ipv6" => s.contains(':') && parse_ip(s),
        "cidr" => is_cidr(s),
        "mac" => is_mac(s),
        "uuid" => is_uuid(s, None),
        "uuid3" => is_uuid(s, Some(b'3')),
        "uuid4" => is_uuid(s, Some(b'4')),
        "uuid5" => is_uuid(s, Some(b'5')),
        "isbn" => is_isbn10(s) || is_isbn13(s),
        "isbn10" => is_isbn10(s),
        "isbn13" => is_isbn13(s),
        "creditcard" => {
            let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_digit).collect();
            (13..=19).contains(&digits.len())
        }
        "ssn" => is_ssn(s),
        "hexcolor" => {
            let h = s.strip_prefix('#').unwrap_or(s);
            (h.len() == 3 || h.len() == 6) && h.bytes().all(|b| b.is_ascii_hexdigit())
        }
        "rgbcolor" => is_rgb(s),
        "byte" => is_base64(s),
        "date" => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() && s.len() == 10,
        "duration" => is_duration(s),
        "datetime" => is_date_time(s),
        _ => true,
    }
}

fn parse_ip(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
}

fn is_cidr(s: &str) -> bool {
    let Some((ip, bits)) = s.split_once('/') else {
        return false;
    };
    let Ok(bits) = bits.parse::<u8>() else {
        return false;
    };
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => bits <= 32,
        Ok(std::net::IpAddr::V6(_)) => bits <= 128,
        Err(_) => false,
    }
}

fn is_uri(s: &str) -> bool {
    if s.starts_with('/') {
        return !s.contains(' ');
    }
    match s.split_once(':') {
        Some((scheme, _)) => {
            let mut chars = scheme.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && !s.contains(' ')
        }
        None => false,
    }
}

fn is_email(s: &str) -> bool {
    let addr = match (s.find('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => &s[a + 1..b],
        _ => s,
    };
    match addr.rsplit_once('@') {
        Some((local, domain)) => !local.is_empty() && !domain.is_empty() && !addr.contains(' '),
        None => false,
    }
}

fn is_hostname(s: &str) -> bool {
    if s.is_empty() || s.len() > 255 {
        return false;
    }
    s.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    })
}

fn is_mac(s: &str) -> bool {
    let parts: Vec<&str> = if s.contains(':') {
        s.split(':').collect()
    } else if s.contains('-') {
        s.split('-').collect()
    } else {
        let dotted: Vec<&str> = s.split('.').collect();
        return [3, 4, 10].contains(&dotted.len())
            && dotted
                .iter()
                .all(|p| p.len() == 4 && p.bytes().all(|b| b.is_ascii_hexdigit()));
    };
    [6, 8, 20].contains(&parts.len())
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn is_uuid(s: &str, version: Option<u8>) -> bool {
    let hex: Vec<u8> = s.bytes().filter(|&b| b != b'-').collect();
    if hex.len() != 32 || !hex.iter().all(u8::is_ascii_hexdigit) {
        return false;
    }
    let groups: Vec<usize> = s.split('-').map(str::len).collect();
    if groups.len() != 1 && groups != [8, 4, 4, 4, 12] {
        return false;
    }
    match version {
        None => true,
        Some(v) => {
            let variant_ok = v == b'3'
                || matches!(
                    hex.get(16).map(u8::to_ascii_lowercase),
                    Some(b'8' | b'9' | b'a' | b'b')
                );
            hex.get(12) == Some(&v) && variant_ok
        }
    }
}

fn is_isbn10(s: &str) -> bool {
    let c: Vec<u8> = s.bytes().filter(|&b| b != b'-' && b != b' ').collect();
    c.len() == 10
        && c[..9].iter().all(u8::is_ascii_digit)
        && (c[9].is_ascii_digit() || c[9] == b'X')
}

fn is_isbn13(s: &str) -> bool {
    let c: Vec<u8> = s.bytes().filter(|&b| b != b'-' && b != b' ').collect();
    c.len() == 13 && c.iter().all(u8::is_ascii_digit)
}

fn is_ssn(s: &str) -> bool {
    let digits: Vec<u8> = s.bytes().filter(|&b| b != b'-' && b != b' ').collect();
    digits.len() == 9 && digits.iter().all(u8::is_ascii_digit) && s.len() <= 11
}

fn is_rgb(s: &str) -> bool {
    let Some(inner) = s.strip_prefix("rgb(").and_then(|r| r.strip_suffix(')')) else {
        return false;
    };
    let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
    parts.len() == 3 && parts.iter().all(|p| p.parse::<u8>().is_ok())
}

fn is_base64(s: &str) -> bool {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(4) {
        return false;
    }
    let pad = b.iter().rev().take_while(|&&c| c == b'=').count();
    pad <= 2
        && b[..b.len() - pad]
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
}

fn is_duration(s: &str) -> bool {
    let t = s.trim();
    if t.is_empty() {
        return false;
    }
    let units = [
        "ns", "us", "µs", "ms", "s", "sec", "secs", "second", "seconds", "m", "min", "mins",
        "minute", "minutes", "h", "hr", "hrs", "hour", "hours", "d", "day", "days", "w", "wk",
        "wks", "week", "weeks",
    ];
    let mut rest = t.strip_prefix(['-', '+']).unwrap_or(t);
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return false;
        }
        rest = rest[num_len..].trim_start();
        let Some(unit) = units
            .iter()
            .filter(|u| rest.starts_with(*u))
            .max_by_key(|u| u.len())
        else {
            return false;
        };
        rest = rest[unit.len()..].trim_start();
    }
    true
}

/// strfmt's `IsDateTime`: a full date, `t`, then `hh:mm:ss[.frac](z|±hh:mm)`.
fn is_date_time(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let Some((date, time)) = lower.split_once('t') else {
        return false;
    };
    if !check("date", date) {
        return false;
    }
    let b = time.as_bytes();
    let two = |i: usize| {
        b.get(i..i + 2)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    if !(two(0) && b.get(2) == Some(&b':') && two(3) && b.get(5) == Some(&b':') && two(6)) {
        return false;
    }
    if &time[..2] > "23" || &time[3..5] > "59" || &time[6..8] > "59" {
        return false;
    }
    let mut rest = &time[8..];
    let rb = rest.as_bytes();
    if rb.len() > 1 && rb[0].is_ascii() && !matches!(rb[0], b'z' | b'+' | b'-') {
        // `(.[0-9]+)?`: any one (ASCII) separator, then digits.
        let digits = rb[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        rest = &rest[1 + digits..];
    }
    match rest.as_bytes() {
        [b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()),
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert!(supported("date-time") && supported("uuid") && !supported("int32"));
        assert!(check("date-time", "2024-01-02T03:04:05Z"));
        assert!(check("date-time", "2024-01-02T03:04:05.123+02:00"));
        assert!(!check("date-time", "yesterday"));
        assert!(!check("date-time", "2024-01-02T25:04:05Z"));
        assert!(check("date", "2024-02-29") && !check("date", "2023-02-29"));
        assert!(check("uuid", "123e4567-e89b-12d3-a456-426614174000"));
        assert!(check("ipv4", "10.0.0.1") && !check("ipv4", "::1") && check("ipv6", "::1"));
        assert!(check("cidr", "10.0.0.0/8") && !check("cidr", "10.0.0.0/33"));
        assert!(check("byte", "aGVsbG8=") && !check("byte", "a"));
        assert!(
            check("duration", "1h30m") && check("duration", "3 days") && !check("duration", "soon")
        );
        assert!(check("mac", "00:1a:2b:3c:4d:5e"));
    }
}
