//! Go's `time.Duration.String()` format, which `metav1.Duration` uses as its JSON.

const NS_PER_US: u64 = 1_000;
const NS_PER_MS: u64 = 1_000_000;
const NS_PER_S: u64 = 1_000_000_000;

/// `frac` as a decimal fraction of `digits` digits, trailing zeros (and the point
/// itself when nothing is left) removed: (5, 1) -> ".5", (0, 9) -> "".
fn fraction(frac: u64, digits: usize) -> String {
    if frac == 0 || digits == 0 {
        return String::new();
    }
    let s = format!("{frac:0digits$}");
    format!(".{}", s.trim_end_matches('0'))
}

/// Format a duration of `nanos` nanoseconds as Go does: `0s`, `1h0m0s`, `5m0s`,
/// `1.5s`, `300ms`, `2µs`, `100ns`, `-1m30s`.
pub fn go_duration(nanos: i64) -> String {
    let neg = nanos < 0;
    let u = nanos.unsigned_abs();
    if u == 0 {
        return "0s".to_string();
    }
    let body = if u < NS_PER_S {
        let (unit, scale, digits) = if u < NS_PER_US {
            ("ns", 1, 0)
        } else if u < NS_PER_MS {
            ("µs", NS_PER_US, 3)
        } else {
            ("ms", NS_PER_MS, 6)
        };
        format!("{}{}{unit}", u / scale, fraction(u % scale, digits))
    } else {
        let secs = u / NS_PER_S;
        let frac = fraction(u % NS_PER_S, 9);
        let (mins, s) = (secs / 60, secs % 60);
        if mins == 0 {
            format!("{s}{frac}s")
        } else {
            let (h, m) = (mins / 60, mins % 60);
            if h == 0 {
                format!("{m}m{s}{frac}s")
            } else {
                format!("{h}h{m}m{s}{frac}s")
            }
        }
    };
    if neg { format!("-{body}") } else { body }
}

#[cfg(test)]
mod tests {
    use super::go_duration;

    #[test]
    fn formats_like_go() {
        let cases: &[(i64, &str)] = &[
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1µs"),
            (2_200_000, "2.2ms"),
            (300_000_000, "300ms"),
            (1_500_000_000, "1.5s"),
            (60_000_000_000, "1m0s"),
            (300_000_000_000, "5m0s"),
            (3_600_000_000_000, "1h0m0s"),
            (3_661_000_000_001, "1h1m1.000000001s"),
            (-90_000_000_000, "-1m30s"),
            (i64::MAX, "2562047h47m16.854775807s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
        ];
        for (nanos, want) in cases {
            assert_eq!(go_duration(*nanos), *want, "{nanos}");
        }
    }
}
