//! Upstream's controller expectations: after creating or deleting pods, a controller
//! must not act on its (possibly stale) pod cache until the cache shows those changes,
//! or it would create or delete twice. We remember the names of the pods we created
//! and deleted; an expectation is met once the cache holds each created pod and each
//! deleted pod is gone or terminating, or when it is older than [`TIMEOUT`].

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Upstream waits 5 minutes; a missed watch event then stalls a controller that long.
/// Our watches relist on every gap, so a shorter bound only guards against the rare pod
/// created and deleted again before the cache saw it.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug)]
struct Pending {
    creates: HashSet<String>,
    deletes: HashSet<String>,
    since: Instant,
}

/// What the cache says about one pod name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    Absent,
    Present,
    Terminating,
}

/// Expectations of one controller, keyed by `namespace/name` of the owner.
#[derive(Debug, Default)]
pub(crate) struct Expectations {
    inner: Mutex<HashMap<String, Pending>>,
}

impl Expectations {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Pending>) -> T) -> T {
        // A poisoned lock only means another reconcile panicked mid-update; the map is
        // still a valid (conservative) record.
        let mut guard = match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        f(&mut guard)
    }

    fn entry<'a>(map: &'a mut HashMap<String, Pending>, key: &str) -> &'a mut Pending {
        let e = map.entry(key.to_string()).or_insert_with(|| Pending {
            creates: HashSet::new(),
            deletes: HashSet::new(),
            since: Instant::now(),
        });
        e.since = Instant::now();
        e
    }

    /// Records a pod we created.
    pub(crate) fn created(&self, key: &str, pod: String) {
        self.with(|m| Self::entry(m, key).creates.insert(pod));
    }

    /// Records pods we are about to delete.
    pub(crate) fn deleting(&self, key: &str, pods: impl IntoIterator<Item = String>) {
        self.with(|m| Self::entry(m, key).deletes.extend(pods));
    }

    /// A delete that failed (other than not found) will not be observed.
    pub(crate) fn delete_failed(&self, key: &str, pod: &str) {
        self.with(|m| {
            if let Some(p) = m.get_mut(key) {
                p.deletes.remove(pod);
            }
        });
    }

    /// Forgets an owner that is gone.
    pub(crate) fn forget(&self, key: &str) {
        self.with(|m| m.remove(key));
    }

    /// `None` when the owner may act on the cache; otherwise how long until the
    /// expectation expires. `seen` looks a pod name up in the cache.
    pub(crate) fn pending(&self, key: &str, seen: impl Fn(&str) -> Seen) -> Option<Duration> {
        self.with(|m| {
            let p = m.get_mut(key)?;
            p.creates.retain(|n| seen(n) == Seen::Absent);
            p.deletes.retain(|n| seen(n) == Seen::Present);
            let age = p.since.elapsed();
            if (p.creates.is_empty() && p.deletes.is_empty()) || age >= TIMEOUT {
                m.remove(key);
                return None;
            }
            Some(TIMEOUT - age)
        })
    }
}

/// Per-owner retry delays after failed syncs: 100 ms doubling up to 5 minutes
/// (upstream's rate-limited work queue starts at 5 ms and caps at 1000 s).
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    failures: Mutex<HashMap<String, u32>>,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(100);
    const MAX: Duration = Duration::from_secs(300);

    /// Counts one more failure of `key` and returns the delay before its next try.
    pub(crate) fn next(&self, key: &str) -> Duration {
        let mut m = match self.failures.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let n = m.entry(key.to_string()).or_insert(0);
        *n = n.saturating_add(1);
        let factor = 2u32.saturating_pow(n.saturating_sub(1).min(16));
        Self::FIRST.saturating_mul(factor).min(Self::MAX)
    }

    /// A success: the next failure starts again from the first delay.
    pub(crate) fn reset(&self, key: &str) {
        let mut m = match self.failures.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        m.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn met_once_the_cache_catches_up() {
        let e = Expectations::default();
        assert_eq!(e.pending("ns/a", |_| Seen::Absent), None);
        e.created("ns/a", "p1".into());
        e.deleting("ns/a", ["p2".to_string()]);
        let cache = |n: &str| match n {
            "p2" => Seen::Present,
            _ => Seen::Absent,
        };
        assert!(e.pending("ns/a", cache).is_some());
        // p1 shows up, p2 starts terminating.
        let cache = |n: &str| match n {
            "p1" => Seen::Present,
            _ => Seen::Terminating,
        };
        assert_eq!(e.pending("ns/a", cache), None);
        // Another owner is unaffected; a failed delete is no longer expected.
        e.deleting("ns/b", ["q".to_string()]);
        e.delete_failed("ns/b", "q");
        assert_eq!(e.pending("ns/b", |_| Seen::Present), None);
    }

    #[test]
    fn backoff_doubles_and_resets() {
        let b = Backoff::default();
        assert_eq!(b.next("k"), Duration::from_millis(100));
        assert_eq!(b.next("k"), Duration::from_millis(200));
        assert_eq!(b.next("k"), Duration::from_millis(400));
        for _ in 0..30 {
            b.next("k");
        }
        assert_eq!(b.next("k"), Duration::from_secs(300));
        b.reset("k");
        assert_eq!(b.next("k"), Duration::from_millis(100));
    }
}
