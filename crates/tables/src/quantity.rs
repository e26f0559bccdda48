//! `resource.Quantity` in canonical form, as upstream prints quantities in tables
//! (`1024Mi` → `1Gi`, `0.5Gi` → `512Mi`, `1.5` → `1500m`, `1000M` → `1G`).

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    BinarySi,
    DecimalSi,
    DecimalExponent,
}

/// A parsed quantity: `mantissa × 10^exp10`, plus the suffix family it was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Quantity {
    mantissa: i128,
    exp10: i32,
    format: Format,
}

const DECIMAL_SUFFIXES: &[(&str, i32)] = &[
    ("n", -9),
    ("u", -6),
    ("m", -3),
    ("", 0),
    ("k", 3),
    ("M", 6),
    ("G", 9),
    ("T", 12),
    ("P", 15),
    ("E", 18),
];
const BINARY_SUFFIXES: &[&str] = &["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

fn parse(s: &str) -> Option<Quantity> {
    let s = s.trim();
    let (negative, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let num_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(num_end);
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let digits = format!("{int_part}{frac_part}");
    // Keep the mantissa within i128; more digits than that are not realistic quantities.
    if digits.len() > 30 {
        return None;
    }
    let mut mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    let mut exp10 = -(frac_part.len() as i32);
    let format = if let Some(i) = BINARY_SUFFIXES
        .iter()
        .position(|b| !b.is_empty() && *b == suffix)
    {
        mantissa = mantissa.checked_mul(1i128.checked_shl(10 * i as u32)?)?;
        Format::BinarySi
    } else if let Some((_, e)) = DECIMAL_SUFFIXES.iter().find(|(d, _)| *d == suffix) {
        exp10 = exp10.checked_add(*e)?;
        Format::DecimalSi
    } else if let Some(e) = suffix.strip_prefix(['e', 'E']) {
        exp10 = exp10.checked_add(e.parse::<i32>().ok()?)?;
        Format::DecimalExponent
    } else {
        return None;
    };
    if negative {
        mantissa = -mantissa;
    }
    let mut q = Quantity {
        mantissa,
        exp10,
        format,
    };
    q.round_up_to_nano();
    Some(q)
}

impl Quantity {
    /// Upstream rounds anything finer than 10^-9 up (away from zero). Positive
    /// exponents move into the mantissa while it stays small, so whole numbers are exact.
    fn round_up_to_nano(&mut self) {
        if self.mantissa == 0 {
            self.exp10 = 0;
            return;
        }
        if self.exp10 < -9 {
            let shift = (-9i64 - i64::from(self.exp10)) as u32;
            self.mantissa = match 10i128.checked_pow(shift) {
                Some(div) => {
                    let (q, r) = (self.mantissa / div, self.mantissa % div);
                    q + r.signum()
                }
                // |mantissa| < 10^31 <= div: the value is below one nano, which rounds up to it.
                None => self.mantissa.signum(),
            };
            self.exp10 = -9;
        }
        // Each step multiplies a non-zero mantissa by 10: at most ~31 steps.
        while self.exp10 > 0 && self.mantissa.unsigned_abs() < (1u128 << 100) {
            self.mantissa *= 10;
            self.exp10 -= 1;
        }
    }

    /// The value as a whole number, if it is one.
    fn as_integer(&self) -> Option<i128> {
        if self.exp10 >= 0 {
            return self
                .mantissa
                .checked_mul(10i128.checked_pow(self.exp10 as u32)?);
        }
        let div = 10i128.checked_pow(self.exp10.unsigned_abs())?;
        (self.mantissa % div == 0).then(|| self.mantissa / div)
    }

    fn canonical(&self) -> String {
        if self.mantissa == 0 {
            return "0".to_string();
        }
        let mut format = self.format;
        if format == Format::BinarySi {
            match self.as_integer() {
                Some(v) if v > -1024 && v < 1024 => format = Format::DecimalSi,
                Some(v) => return base1024(v),
                None => format = Format::DecimalSi,
            }
        }
        let (mut m, mut e) = (self.mantissa, self.exp10);
        while m % 10 == 0 && e < i32::MAX {
            m /= 10;
            e += 1;
        }
        match e.rem_euclid(3) {
            1 => {
                m *= 10;
                e -= 1;
            }
            2 => {
                m *= 100;
                e -= 2;
            }
            _ => {}
        }
        let suffix = match format {
            Format::DecimalSi => DECIMAL_SUFFIXES
                .iter()
                .find(|(_, x)| *x == e)
                .map(|(s, _)| s.to_string())
                .unwrap_or_else(|| format!("e{e}")),
            _ if e == 0 => String::new(),
            _ => format!("e{e}"),
        };
        format!("{m}{suffix}")
    }
}

/// Strips factors of 1024 and names the rest with a binary suffix.
fn base1024(v: i128) -> String {
    let (mut m, mut i) = (v, 0usize);
    while m % 1024 == 0 && i + 1 < BINARY_SUFFIXES.len() {
        m /= 1024;
        i += 1;
    }
    let suffix = BINARY_SUFFIXES.get(i).copied().unwrap_or("");
    format!("{m}{suffix}")
}

/// The canonical text of a quantity written as a string (or a bare JSON number);
/// `None` when it does not parse.
pub fn canonical(v: &Value) -> Option<String> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    parse(&text).map(|q| q.canonical())
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
