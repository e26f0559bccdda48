//! Kubernetes resource quantities (`500m`, `1.5Gi`, `1e3`): parsing, comparison and the
//! canonical form the API server writes back and prints (`0.5` becomes `500m`, `1024Mi`
//! becomes `1Gi`, `1000M` becomes `1G`).
//!
//! A value is held exactly as `mantissa * 10^exponent` with at most nanoscale precision
//! (finer input is rounded away from zero, as upstream does).

use std::cmp::Ordering;

use serde_json::Value;

/// How a quantity is written back: the family of its suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `m`, `k`, `M`, ... or no suffix.
    DecimalSI,
    /// `Ki`, `Mi`, ...
    BinarySI,
    /// `e3`, `E-2`.
    DecimalExponent,
}

/// Why a quantity string was rejected; the texts are upstream's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    /// The string does not have the shape of a quantity.
    #[error(
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )]
    Format,
    /// The number does not fit (kubehci keeps values within 128-bit nano units).
    #[error("unable to parse numeric part of quantity")]
    Numeric,
    /// The suffix is not one Kubernetes knows.
    #[error("unable to parse quantity's suffix")]
    Suffix,
}

/// An exact resource quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    mant: i128,
    exp: i32,
    format: Format,
}

const DEC_SUFFIXES: [(&str, i32); 10] = [
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
const BIN_SUFFIXES: [&str; 7] = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

/// The largest `e<n>` exponent [`Quantity::parse`] accepts, so that validation
/// arithmetic stays within 128-bit nano units.
const MAX_EXPONENT: i32 = 100;

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

/// `10^n` for a difference of exponents (`None` when negative or too large).
fn pow10_i64(n: i64) -> Option<i128> {
    u32::try_from(n).ok().and_then(pow10)
}

impl Quantity {
    /// Parses a quantity string; exponents beyond `e±100` are rejected as `Numeric`.
    pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
        Self::parse_with(s, Some(MAX_EXPONENT))
    }

    /// Parses a quantity string with any `i32` exponent (`1e2147483647`), for printing.
    pub fn parse_unbounded(s: &str) -> Result<Quantity, QuantityError> {
        Self::parse_with(s, None)
    }

    fn parse_with(s: &str, max_exp: Option<i32>) -> Result<Quantity, QuantityError> {
        let (neg, rest) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (num, suffix) = rest.split_at(num_end);
        let (int_part, frac_part) = match num.split_once('.') {
            Some((i, f)) if !f.contains('.') => (i, f),
            Some(_) => return Err(QuantityError::Format),
            None => (num, ""),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(QuantityError::Format);
        }
        let shape_ok = {
            let letters_end = suffix
                .find(|c: char| !"eEinumkKMGTP".contains(c))
                .unwrap_or(suffix.len());
            let tail = &suffix[letters_end..];
            let tail = tail.strip_prefix(['-', '+']).unwrap_or(tail);
            tail.chars().all(|c| c.is_ascii_digit())
        };
        if !shape_ok {
            return Err(QuantityError::Format);
        }
        let mut mant: i128 = 0;
        for c in int_part.chars().chain(frac_part.chars()) {
            let d = i128::from(c as u8 - b'0');
            mant = mant
                .checked_mul(10)
                .and_then(|m| m.checked_add(d))
                .ok_or(QuantityError::Numeric)?;
        }
        let mut exp = -i32::try_from(frac_part.len()).map_err(|_| QuantityError::Numeric)?;
        let format = if let Some(&(_, e)) = DEC_SUFFIXES.iter().find(|(sfx, _)| *sfx == suffix) {
            exp = exp.checked_add(e).ok_or(QuantityError::Numeric)?;
            Format::DecimalSI
        } else if let Some(k) = BIN_SUFFIXES.iter().position(|sfx| *sfx == suffix) {
            let factor =
                1024i128.checked_pow(u32::try_from(k).map_err(|_| QuantityError::Numeric)?);
            mant = factor
                .and_then(|f| mant.checked_mul(f))
                .ok_or(QuantityError::Numeric)?;
            Format::BinarySI
        } else if let Some(e) = suffix.strip_prefix(['e', 'E']).filter(|t| !t.is_empty()) {
            let e: i32 = e.parse().map_err(|_| QuantityError::Suffix)?;
            if max_exp.is_some_and(|max| !(-max..=max).contains(&e)) {
                return Err(QuantityError::Numeric);
            }
            exp = exp.checked_add(e).ok_or(QuantityError::Numeric)?;
            Format::DecimalExponent
        } else {
            return Err(QuantityError::Suffix);
        };
        if neg {
            mant = -mant;
        }
        match (Quantity { mant, exp, format }).rounded_up(-9) {
            Some(q) => Ok(q),
            // Too far below one nano for i128 to scale: upstream rounds it up to one nano;
            // the bounded parse (validation) has always rejected it.
            None if max_exp.is_none() => Ok(Quantity {
                mant: mant.signum(),
                exp: -9,
                format,
            }),
            None => Err(QuantityError::Numeric),
        }
    }

    /// Parses a JSON quantity (a string or a bare number).
    pub fn from_json(v: &Value) -> Option<Result<Quantity, QuantityError>> {
        match v {
            Value::String(s) => Some(Quantity::parse(s)),
            Value::Number(n) => Some(Quantity::parse(&n.to_string())),
            _ => None,
        }
    }

    /// A whole number of units.
    pub fn from_int(n: i64, format: Format) -> Quantity {
        Quantity {
            mant: i128::from(n),
            exp: 0,
            format,
        }
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// Rounds away from zero so that no digit finer than `10^scale` remains.
    fn rounded_up(mut self, scale: i32) -> Option<Quantity> {
        if self.exp < scale {
            let div = pow10_i64(i64::from(scale) - i64::from(self.exp))?;
            self.mant = self.mant / div + (self.mant % div).signum();
            self.exp = scale;
        }
        Some(self)
    }

    /// Upstream's `RoundUp(-3)`, applied to every `ResourceList` by defaulting.
    pub fn round_up_milli(self) -> Quantity {
        self.rounded_up(-3).unwrap_or(self)
    }

    pub fn is_zero(&self) -> bool {
        self.mant == 0
    }

    pub fn is_negative(&self) -> bool {
        self.mant < 0
    }

    /// Whether the value has no fractional part.
    pub fn is_integer(&self) -> bool {
        self.exp >= 0 || pow10(self.exp.unsigned_abs()).is_some_and(|d| self.mant % d == 0)
    }

    /// The value scaled to `10^scale` units, rounded up; saturates on overflow.
    pub fn scaled(&self, scale: i32) -> i128 {
        let diff = i64::from(self.exp) - i64::from(scale);
        if diff >= 0 {
            pow10_i64(diff)
                .and_then(|f| self.mant.checked_mul(f))
                .unwrap_or(if self.mant < 0 { i128::MIN } else { i128::MAX })
        } else {
            match pow10_i64(-diff) {
                Some(d) => {
                    let q = self.mant / d;
                    if self.mant % d > 0 { q + 1 } else { q }
                }
                None => 0,
            }
        }
    }

    /// Milli-units (upstream's `MilliValue`).
    pub fn milli_value(&self) -> i128 {
        self.scaled(-3)
    }

    /// The value as a float, for ratios.
    pub fn as_f64(&self) -> f64 {
        self.mant as f64 * 10f64.powi(self.exp)
    }

    fn normalized(&self) -> (i128, i32) {
        let (mut m, mut e) = (self.mant, self.exp);
        while m != 0 && m % 10 == 0 && e < i32::MAX {
            m /= 10;
            e += 1;
        }
        (m, e)
    }

    /// The canonical string upstream serializes.
    pub fn canonical(&self) -> String {
        if self.mant == 0 {
            return "0".to_string();
        }
        let mut format = self.format;
        if format == Format::BinarySI && (self.scaled(0).abs() < 1024 || !self.is_integer()) {
            format = Format::DecimalSI;
        }
        if format == Format::BinarySI {
            let mut v = self.scaled(0);
            let mut k = 0;
            while k < 6 && v % 1024 == 0 {
                v /= 1024;
                k += 1;
            }
            return format!("{v}{}", BIN_SUFFIXES[k]);
        }
        // Rounding to nano units keeps `e >= -9`, so `e - r` cannot underflow.
        let (mut m, mut e) = self.normalized();
        let r = e.rem_euclid(3);
        if r != 0 {
            m = m.saturating_mul(pow10(r.unsigned_abs()).unwrap_or(1));
            e -= r;
        }
        if format == Format::DecimalExponent {
            return if e == 0 {
                m.to_string()
            } else {
                format!("{m}e{e}")
            };
        }
        if e > 18 {
            m = m.saturating_mul(pow10((e - 18).unsigned_abs()).unwrap_or(1));
            e = 18;
        }
        let suffix = DEC_SUFFIXES
            .iter()
            .find(|(_, x)| *x == e)
            .map(|(s, _)| *s)
            .unwrap_or("");
        format!("{m}{suffix}")
    }

    /// Compares values (formats are ignored).
    pub fn cmp_value(&self, other: &Quantity) -> Ordering {
        let e = self.exp.min(other.exp);
        let a =
            pow10_i64(i64::from(self.exp) - i64::from(e)).and_then(|f| self.mant.checked_mul(f));
        let b =
            pow10_i64(i64::from(other.exp) - i64::from(e)).and_then(|f| other.mant.checked_mul(f));
        match (a, b) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => self
                .as_f64()
                .partial_cmp(&other.as_f64())
                .unwrap_or(Ordering::Equal),
        }
    }
}

impl std::fmt::Display for Quantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.canonical())
    }
}

/// Rewrites every quantity of a `ResourceList` object in canonical form, rounded up to
/// milli-units as upstream's defaulting does; unparsable values are left for validation.
pub fn canonicalize_list(list: &mut Value) {
    let Value::Object(m) = list else { return };
    for v in m.values_mut() {
        if let Some(Ok(q)) = Quantity::from_json(v) {
            *v = Value::String(q.round_up_milli().canonical());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> String {
        Quantity::parse(s)
            .map(|q| q.canonical())
            .unwrap_or_else(|e| format!("ERR {e}"))
    }

    #[test]
    fn canonical_forms_match_upstream() {
        assert_eq!(c("0.5"), "500m");
        assert_eq!(c("1000m"), "1");
        assert_eq!(c("1500m"), "1500m");
        assert_eq!(c("1000"), "1k");
        assert_eq!(c("1200"), "1200");
        assert_eq!(c("1024Mi"), "1Gi");
        assert_eq!(c("1.5Gi"), "1536Mi");
        assert_eq!(c("0.5Gi"), "512Mi");
        assert_eq!(c("512"), "512");
        assert_eq!(c("100Mi"), "100Mi");
        assert_eq!(c("1e3"), "1e3");
        assert_eq!(c("0"), "0");
        assert_eq!(c("-1"), "-1");
        assert_eq!(c("1.5e3"), "1500");
        assert_eq!(c("0.1Ki"), "102400m");
        assert_eq!(c("1n"), "1n");
        assert_eq!(c("0.1n"), "1n");
        assert_eq!(c("2E"), "2E");
    }

    #[test]
    fn rejects_bad_shapes() {
        for bad in ["", "abc", "1.2.3", "1Zi", "1x", "--1", ".", "1e"] {
            assert!(Quantity::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Quantity::parse("abc")
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default(),
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        );
    }

    #[test]
    fn compares_and_rounds() {
        let a = Quantity::parse("500m").unwrap();
        let b = Quantity::parse("0.5").unwrap();
        assert_eq!(a.cmp_value(&b), Ordering::Equal);
        assert_eq!(
            Quantity::parse("1Gi")
                .unwrap()
                .cmp_value(&Quantity::parse("1G").unwrap()),
            Ordering::Greater
        );
        assert_eq!(
            Quantity::parse("100n")
                .unwrap()
                .round_up_milli()
                .canonical(),
            "1m"
        );
        assert_eq!(Quantity::parse("1.5").unwrap().milli_value(), 1500);
        assert!(!Quantity::parse("1.5").unwrap().is_integer());
        let mut list = serde_json::json!({"cpu": "0.5", "memory": 1073741824, "bad": "x"});
        canonicalize_list(&mut list);
        assert_eq!(
            list,
            serde_json::json!({"cpu": "500m", "memory": "1073741824", "bad": "x"})
        );
    }
}
