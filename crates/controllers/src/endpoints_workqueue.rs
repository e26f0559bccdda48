//! The plumbing the endpoints, endpointslice and serviceaccount controllers share: informers
//! (a reflector store plus its event stream), a de-duplicating work queue with per-key
//! exponential retry, and a tracker of the writes the informer caches have not shown yet.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::Debug;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use futures::stream::BoxStream;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt as _, watcher};
use kube::{Api, Resource};
use serde::de::DeserializeOwned;
use tokio::sync::Notify;

/// First retry delay of a failed key; doubled per consecutive failure.
const RETRY_BASE: Duration = Duration::from_millis(50);
/// Longest retry delay.
const RETRY_MAX: Duration = Duration::from_secs(60);
/// How long an unmet write expectation is honoured (a later delete by someone else can
/// make one unmeetable).
const EXPECTATION_TTL: Duration = Duration::from_secs(10);

/// Starts watching `api` (with `config`): the store it fills and the stream of its events,
/// which must be polled for the store to fill. Watch errors are logged and retried.
pub(crate) fn informer<K>(
    api: Api<K>,
    config: watcher::Config,
    what: &'static str,
) -> (Store<K>, BoxStream<'static, watcher::Event<K>>)
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let (reader, writer) = reflector::store();
    let events = watcher(api, config)
        .default_backoff()
        .modify(crate::context::lean);
    let stream = reflector::reflector(writer, events)
        .filter_map(move |event| async move {
            match event {
                Ok(event) => Some(event),
                Err(e) => {
                    tracing::warn!(resource = what, error = %e, "watch failed; retrying");
                    None
                }
            }
        })
        .boxed();
    (reader, stream)
}

/// `namespace/name`, the key of a namespaced object in every queue.
pub(crate) fn key(namespace: &str, name: &str) -> String {
    format!("{namespace}/{name}")
}

/// Splits a `namespace/name` key.
pub(crate) fn split_key(key: &str) -> (&str, &str) {
    key.split_once('/').unwrap_or(("", key))
}

/// The key of a namespaced object.
pub(crate) fn object_key<K: Resource>(obj: &K) -> String {
    let m = obj.meta();
    key(
        m.namespace.as_deref().unwrap_or(""),
        m.name.as_deref().unwrap_or(""),
    )
}

/// Locks `m`, ignoring poisoning: every critical section here leaves the data consistent.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Default)]
struct QueueState {
    order: VecDeque<String>,
    queued: HashSet<String>,
    failures: HashMap<String, u32>,
}

/// Keys waiting to be synced; a key is in the queue at most once.
#[derive(Default)]
pub(crate) struct WorkQueue {
    state: Mutex<QueueState>,
    ready: Notify,
}

impl WorkQueue {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Queues `key` unless it is already waiting.
    pub(crate) fn add(&self, key: String) {
        let mut s = lock(&self.state);
        if s.queued.insert(key.clone()) {
            s.order.push_back(key);
            drop(s);
            self.ready.notify_one();
        }
    }

    /// Waits for the next key.
    pub(crate) async fn next(&self) -> String {
        loop {
            {
                let mut s = lock(&self.state);
                if let Some(k) = s.order.pop_front() {
                    s.queued.remove(&k);
                    return k;
                }
            }
            self.ready.notified().await;
        }
    }

    /// Forgets the failures of `key` after a successful sync.
    pub(crate) fn forget(&self, key: &str) {
        lock(&self.state).failures.remove(key);
    }

    /// Records the outcome of syncing `key`: forgotten when done, retried later otherwise.
    pub(crate) fn finish(
        self: &Arc<Self>,
        key: String,
        what: &str,
        result: Result<Synced, crate::context::Error>,
    ) {
        match result {
            Ok(Synced::Done) => self.forget(&key),
            Ok(Synced::CacheStale) => {
                tracing::debug!(key = %key, "{what}: cache is out of date; retrying");
                self.retry(key);
            }
            Err(e) => {
                tracing::info!(key = %key, error = %e, "syncing {what} failed; retrying");
                self.retry(key);
            }
        }
    }

    /// Queues `key` again after a delay that doubles with each consecutive failure.
    pub(crate) fn retry(self: &Arc<Self>, key: String) {
        let n = {
            let mut s = lock(&self.state);
            let n = s.failures.entry(key.clone()).or_insert(0);
            *n = n.saturating_add(1);
            *n
        };
        let delay = RETRY_BASE
            .saturating_mul(1u32 << n.saturating_sub(1).min(20))
            .min(RETRY_MAX);
        let queue = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            queue.add(key);
        });
    }
}

/// The resourceVersion of an object as a number (one global revision in kubehci, so
/// versions of one object compare).
pub(crate) fn revision<K: Resource>(obj: &K) -> u64 {
    obj.meta()
        .resource_version
        .as_deref()
        .and_then(|rv| rv.parse().ok())
        .unwrap_or(0)
}

/// How a sync ended when it did not fail.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Synced {
    Done,
    /// The informer cache has not caught up with our last write yet: try again shortly.
    CacheStale,
}

/// Per object name: the revision written (`None` for a delete), and when.
type Expectations = HashMap<String, (Option<u64>, Instant)>;

/// What a write left behind that the informer cache must show before the next sync of the
/// same owner may trust it (upstream's stale endpoints / EndpointSlice trackers).
#[derive(Default)]
pub(crate) struct WriteTracker {
    /// Per owner key.
    expected: Mutex<HashMap<String, Expectations>>,
}

impl WriteTracker {
    fn expect(&self, owner: &str, name: &str, revision: Option<u64>) {
        lock(&self.expected)
            .entry(owner.to_string())
            .or_default()
            .insert(name.to_string(), (revision, Instant::now()));
    }

    pub(crate) fn wrote(&self, owner: &str, name: &str, revision: u64) {
        self.expect(owner, name, Some(revision));
    }

    pub(crate) fn deleted(&self, owner: &str, name: &str) {
        self.expect(owner, name, None);
    }

    pub(crate) fn forget(&self, owner: &str) {
        lock(&self.expected).remove(owner);
    }

    /// True while the cache (`cached(name)` = the revision it holds) lags a write made for
    /// `owner`; expectations met (or too old) are dropped.
    pub(crate) fn is_stale(&self, owner: &str, cached: impl Fn(&str) -> Option<u64>) -> bool {
        let mut expected = lock(&self.expected);
        let Some(names) = expected.get_mut(owner) else {
            return false;
        };
        names.retain(|name, (want, at)| {
            let unmet = match (*want, cached(name)) {
                (Some(want), Some(have)) => have < want,
                (Some(_), None) | (None, Some(_)) => true,
                (None, None) => false,
            };
            unmet && at.elapsed() < EXPECTATION_TTL
        });
        let stale = !names.is_empty();
        if !stale {
            expected.remove(owner);
        }
        stale
    }
}

fn status(e: &kube::Error) -> Option<&kube::core::Status> {
    match e {
        kube::Error::Api(s) => Some(s),
        _ => None,
    }
}

pub(crate) fn is_not_found(e: &kube::Error) -> bool {
    status(e).is_some_and(|s| s.is_not_found())
}

pub(crate) fn is_already_exists(e: &kube::Error) -> bool {
    status(e).is_some_and(|s| s.is_already_exists())
}

/// The namespace is being deleted: creating in it fails until it is gone.
pub(crate) fn is_namespace_terminating(e: &kube::Error) -> bool {
    status(e).is_some_and(|s| {
        let cause = s
            .details
            .as_ref()
            .is_some_and(|d| d.causes.iter().any(|c| c.reason == "NamespaceTerminating"));
        s.is_forbidden() && (cause || s.message.contains("because it is being terminated"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn queue_deduplicates_and_keeps_order() {
        let q = WorkQueue::new();
        q.add("a".into());
        q.add("b".into());
        q.add("a".into());
        assert_eq!(q.next().await, "a");
        assert_eq!(q.next().await, "b");
        q.add("a".into());
        assert_eq!(q.next().await, "a");
    }

    #[test]
    fn tracker_waits_for_the_cache() {
        let t = WriteTracker::default();
        t.wrote("ns/web", "web-abc", 10);
        t.deleted("ns/web", "web-old");
        // Both lag: web-abc is older than written, web-old still listed.
        assert!(t.is_stale("ns/web", |n| Some(if n == "web-abc" { 9 } else { 5 })));
        // web-abc caught up (and is dropped); web-old is still listed.
        assert!(t.is_stale("ns/web", |n| Some(if n == "web-abc" { 10 } else { 5 })));
        // web-old is gone: nothing is left to wait for.
        assert!(!t.is_stale("ns/web", |n| (n == "web-abc").then_some(9)));
        assert!(!t.is_stale("ns/web", |_| Some(1)));
        assert_eq!(split_key("ns/web"), ("ns", "web"));
    }
}
