//! Restart and image-pull back-off as kubelet's `flowcontrol.Backoff`: 10 s doubling up to
//! 5 min; an entry not touched for twice the maximum (10 min) starts over.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

pub const INITIAL: Duration = Duration::from_secs(10);
pub const MAX: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Copy)]
struct Entry {
    backoff: Duration,
    last_update: Instant,
}

/// Back-off per key (e.g. `container name + spec hash`).
#[derive(Debug)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    entries: HashMap<String, Entry>,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(INITIAL, MAX)
    }
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            max,
            entries: HashMap::new(),
        }
    }

    fn live(&self, key: &str, now: Instant) -> Option<Entry> {
        self.entries
            .get(key)
            .copied()
            .filter(|e| now.saturating_duration_since(e.last_update) <= 2 * self.max)
    }

    /// The current back-off of `key` (zero when none).
    pub fn get(&self, key: &str) -> Duration {
        self.live(key, Instant::now())
            .map(|e| e.backoff)
            .unwrap_or_default()
    }

    /// Records one more failure: the first (or the first after the entry expired) sets the
    /// initial back-off, later ones double it up to the maximum.
    pub fn next(&mut self, key: &str) {
        let now = Instant::now();
        let backoff = match self.live(key, now) {
            Some(e) => (e.backoff * 2).min(self.max),
            None => self.initial,
        };
        self.entries.insert(
            key.to_string(),
            Entry {
                backoff,
                last_update: now,
            },
        );
    }

    /// Whether an event at `event_time` (e.g. the container's finish) is still inside the
    /// back-off window of `key`.
    pub fn in_backoff_since(&self, key: &str, event_time: SystemTime) -> bool {
        let Some(e) = self.live(key, Instant::now()) else {
            return false;
        };
        let since = SystemTime::now()
            .duration_since(event_time)
            .unwrap_or_default();
        since < e.backoff
    }

    /// Whether `key` was updated less than its back-off ago (image pulls).
    pub fn in_backoff_since_update(&self, key: &str) -> bool {
        let Some(e) = self.live(key, Instant::now()) else {
            return false;
        };
        e.last_update.elapsed() < e.backoff
    }

    /// Forgets `key`.
    pub fn reset(&mut self, key: &str) {
        self.entries.remove(key);
    }

    /// Drops expired entries.
    pub fn gc(&mut self) {
        let max = self.max;
        self.entries
            .retain(|_, e| e.last_update.elapsed() <= 2 * max);
    }
}

/// Formats a duration as Go's `time.Duration.String()` does for whole seconds: `10s`,
/// `1m20s`, `5m0s`.
pub fn go_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m{}s", s / 60, s % 60)
    } else {
        format!("{}h{}m{}s", s / 3600, (s % 3600) / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_the_maximum() {
        let mut b = Backoff::default();
        assert_eq!(b.get("c"), Duration::ZERO);
        assert!(!b.in_backoff_since("c", SystemTime::now()));
        b.next("c");
        assert_eq!(b.get("c"), INITIAL);
        assert!(b.in_backoff_since("c", SystemTime::now()));
        assert!(!b.in_backoff_since("c", SystemTime::now() - Duration::from_secs(11)));
        for _ in 0..10 {
            b.next("c");
        }
        assert_eq!(b.get("c"), MAX);
        b.reset("c");
        assert_eq!(b.get("c"), Duration::ZERO);
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration(Duration::from_secs(10)), "10s");
        assert_eq!(go_duration(Duration::from_secs(80)), "1m20s");
        assert_eq!(go_duration(Duration::from_secs(300)), "5m0s");
    }
}
