//! CronJob schedules as upstream's cron library (`robfig/cron/v3`, standard parser)
//! reads them: five fields (minute, hour, day of month, month, day of week) with names,
//! ranges, steps, `*` and `?`; the `@yearly`..`@hourly` descriptors and `@every`; an
//! optional `TZ=`/`CRON_TZ=` prefix. Day of month and day of week are OR-ed unless one of
//! them is `*`. Times are evaluated in the schedule's time zone, read from the system's
//! zoneinfo files.

use std::time::Duration;

use k8s_openapi::jiff::civil::{Date, DateTime};
use k8s_openapi::jiff::tz::TimeZone;
use k8s_openapi::jiff::{SignedDuration, Timestamp};

const ZONEINFO: &str = "/usr/share/zoneinfo";
/// Set on a field written as `*` (or `*/1`): the day fields then combine with AND.
const STAR: u64 = 1 << 63;

/// A parsed schedule.
#[derive(Debug, Clone)]
pub(crate) enum Schedule {
    Spec {
        minute: u64,
        hour: u64,
        dom: u64,
        month: u64,
        dow: u64,
        tz: TimeZone,
    },
    Every(Duration),
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// Loads an IANA time zone (`""` is UTC, as Go's `time.LoadLocation`).
pub(crate) fn load_zone(name: &str) -> Result<TimeZone, String> {
    if name.is_empty() || name == "UTC" {
        return Ok(TimeZone::UTC);
    }
    let bad = name.starts_with('/') || name.split('/').any(|p| p == ".." || p.is_empty());
    let path = std::path::Path::new(ZONEINFO).join(name);
    let data = if bad { None } else { std::fs::read(path).ok() };
    data.and_then(|d| TimeZone::tzif(name, &d).ok())
        .ok_or_else(|| format!("unknown time zone {name}"))
}

fn number(s: &str, names: &[&str], base: u32) -> Result<u32, String> {
    let lower = s.to_ascii_lowercase();
    if let Some(i) = names.iter().position(|n| *n == lower) {
        return Ok(u32::try_from(i).unwrap_or(0) + base);
    }
    s.parse::<u32>()
        .map_err(|_| format!("failed to parse int from {s}"))
}

/// One field (`1,5-10/2,*`) as a bit set over `min..=max`.
fn field(expr: &str, min: u32, max: u32, names: &[&str], base: u32) -> Result<u64, String> {
    let mut bits = 0u64;
    for part in expr.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                Some(
                    s.parse::<u32>()
                        .map_err(|_| format!("failed to parse int from {s}"))?,
                ),
            ),
            None => (part, None),
        };
        let (mut lo, mut hi, mut extra) = (min, max, 0);
        if range == "*" || range == "?" {
            extra = STAR;
        } else {
            match range.split_once('-') {
                Some((a, b)) => {
                    lo = number(a, names, base)?;
                    hi = number(b, names, base)?;
                }
                None => {
                    lo = number(range, names, base)?;
                    hi = if step.is_some() { max } else { lo };
                }
            }
        }
        let step = step.unwrap_or(1);
        if step > 1 {
            extra = 0;
        }
        if lo < min || hi > max || lo > hi || step == 0 {
            return Err(format!("invalid range {part}"));
        }
        for v in (lo..=hi).step_by(usize::try_from(step).unwrap_or(1)) {
            bits |= 1 << v;
        }
        bits |= extra;
    }
    Ok(bits)
}

/// Parses a Go duration of whole units (`1h30m`, `90s`, `5m`).
fn go_duration(s: &str) -> Option<Duration> {
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let value: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..u] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += value * unit;
        rest = &rest[u..];
    }
    Some(Duration::from_secs_f64(total))
}

impl Schedule {
    /// Parses `spec`; `zone` is the CronJob's `timeZone` (a `TZ=` prefix overrides it).
    pub(crate) fn parse(spec: &str, zone: &str) -> Result<Schedule, String> {
        let mut spec = spec.trim();
        let mut zone = zone.to_string();
        if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
            let (tz, rest) = spec.split_once(' ').ok_or("provided bad location")?;
            zone = tz.split_once('=').map(|x| x.1).unwrap_or("").to_string();
            spec = rest.trim();
        }
        let tz = load_zone(&zone)?;
        let expanded = match spec {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            s if s.starts_with("@every ") => {
                let d = go_duration(s.trim_start_matches("@every ").trim())
                    .ok_or_else(|| format!("failed to parse duration {s}"))?;
                // Upstream rounds to whole seconds, at least one.
                return Ok(Schedule::Every(Duration::from_secs(d.as_secs().max(1))));
            }
            s if s.starts_with('@') => return Err(format!("unrecognized descriptor: {s}")),
            s => s,
        };
        let f: Vec<&str> = expanded.split_whitespace().collect();
        if f.len() != 5 {
            return Err(format!(
                "expected exactly 5 fields, found {}: {expanded}",
                f.len()
            ));
        }
        Ok(Schedule::Spec {
            minute: field(f[0], 0, 59, &[], 0)?,
            hour: field(f[1], 0, 23, &[], 0)?,
            dom: field(f[2], 1, 31, &[], 0)?,
            month: field(f[3], 1, 12, &MONTHS, 1)?,
            dow: field(f[4], 0, 6, &DAYS, 0)?,
            tz,
        })
    }

    /// The first activation strictly after `t` (`None` if none within five years).
    pub(crate) fn next(&self, t: Timestamp) -> Option<Timestamp> {
        let (minute, hour, dom, month, dow, tz) = match self {
            Schedule::Every(d) => {
                let secs = t.as_second() + i64::try_from(d.as_secs()).ok()?;
                return Timestamp::from_second(secs).ok();
            }
            Schedule::Spec {
                minute,
                hour,
                dom,
                month,
                dow,
                tz,
            } => (*minute, *hour, *dom, *month, *dow, tz),
        };
        let has = |bits: u64, v: i8| u8::try_from(v).is_ok_and(|v| v < 63 && bits & (1 << v) != 0);
        let day_ok = |d: Date| {
            let dm = has(dom, d.day());
            let wm = has(dow, d.weekday().to_sunday_zero_offset());
            if dom & STAR != 0 || dow & STAR != 0 {
                dm && wm
            } else {
                dm || wm
            }
        };
        let start: DateTime = t.to_zoned(tz.clone()).datetime();
        let mut day = start.date();
        for _ in 0..(366 * 5 + 2) {
            if has(month, day.month()) && day_ok(day) {
                for h in (0..24i8).filter(|h| has(hour, *h)) {
                    for m in (0..60i8).filter(|m| has(minute, *m)) {
                        let civil = day.at(h, m, 0, 0);
                        let Ok(z) = tz.to_ambiguous_zoned(civil).compatible() else {
                            continue;
                        };
                        if z.timestamp() > t {
                            return Some(z.timestamp());
                        }
                    }
                }
            }
            day = day.tomorrow().ok()?;
        }
        None
    }
}

/// The activation a CronJob should act on (upstream `mostRecentScheduleTime`): the
/// latest activation after `earliest` that is not after `now`, with the number of missed
/// activations (capped at 101: "too many").
pub(crate) fn most_recent(
    s: &Schedule,
    earliest: Timestamp,
    now: Timestamp,
) -> (Option<Timestamp>, u32) {
    let Some(t1) = s.next(earliest).filter(|t| *t <= now) else {
        return (None, 0);
    };
    let Some(t2) = s.next(t1).filter(|t| *t <= now) else {
        return (Some(t1), 1);
    };
    // Jump close to `now` using the spacing of the first two activations, then walk.
    let gap = t2.duration_since(t1).as_secs().max(1);
    let missed_estimate = now.duration_since(t1).as_secs() / gap + 1;
    let mut t = t1;
    if missed_estimate > 3 {
        let mut back = gap.saturating_mul(2);
        loop {
            let from = now
                .checked_sub(SignedDuration::from_secs(back))
                .unwrap_or(t1)
                .max(t1);
            let probe = from
                .checked_sub(SignedDuration::from_secs(1))
                .unwrap_or(from);
            if let Some(c) = s.next(probe).filter(|c| *c <= now) {
                t = c;
                break;
            }
            if from == t1 {
                break;
            }
            back = back.saturating_mul(4);
        }
    }
    let mut walked = 0u32;
    while let Some(n) = s.next(t).filter(|n| *n <= now) {
        t = n;
        walked += 1;
        if walked > 10_000 {
            break;
        }
    }
    let missed = u32::try_from(missed_estimate)
        .unwrap_or(u32::MAX)
        .max(walked + 1)
        .min(101);
    (Some(t), missed)
}

#[cfg(test)]
#[path = "cronjob_schedule_tests.rs"]
mod tests;
