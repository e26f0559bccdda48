//! The collector's work queue, with client-go workqueue semantics: an item is queued at
//! most once, an item added while a worker holds it is processed again afterwards, and
//! failed items come back after a per-item exponential backoff.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;

use super::graph::Work;

const BASE_DELAY: Duration = Duration::from_millis(50);
const MAX_DELAY: Duration = Duration::from_secs(60);

#[derive(Default)]
struct State {
    ready: VecDeque<Work>,
    queued: HashSet<Work>,
    active: HashSet<Work>,
    dirty: HashSet<Work>,
    failures: HashMap<Work, u32>,
}

#[derive(Default)]
pub struct Queue {
    state: Mutex<State>,
    notify: Notify,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means another worker panicked mid-update; the sets
        // stay structurally valid, so keep going with them.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn add(&self, w: Work) {
        let mut s = self.lock();
        if s.active.contains(&w) {
            s.dirty.insert(w);
            return;
        }
        if s.queued.insert(w.clone()) {
            s.ready.push_back(w);
            drop(s);
            self.notify.notify_one();
        }
    }

    pub fn add_all(&self, work: impl IntoIterator<Item = Work>) {
        for w in work {
            self.add(w);
        }
    }

    /// Adds `w` after `delay`.
    pub fn add_after(self: &Arc<Self>, w: Work, delay: Duration) {
        let q = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            q.add(w);
        });
    }

    /// Adds `w` again after its backoff (doubling per consecutive failure).
    pub fn retry(self: &Arc<Self>, w: Work) {
        let n = {
            let mut s = self.lock();
            let n = s.failures.entry(w.clone()).or_insert(0);
            *n = n.saturating_add(1);
            *n
        };
        self.add_after(w, backoff(n));
    }

    /// Clears the failure count of `w` (it succeeded).
    pub fn forget(&self, w: &Work) {
        self.lock().failures.remove(w);
    }

    /// Waits for the next item; the caller must call [`Queue::done`] with it.
    pub async fn next(&self) -> Work {
        loop {
            let notified = self.notify.notified();
            {
                let mut s = self.lock();
                if let Some(w) = s.ready.pop_front() {
                    s.queued.remove(&w);
                    s.active.insert(w.clone());
                    if !s.ready.is_empty() {
                        // Wake another worker for the rest.
                        self.notify.notify_one();
                    }
                    return w;
                }
            }
            notified.await;
        }
    }

    pub fn done(&self, w: &Work) {
        let again = {
            let mut s = self.lock();
            s.active.remove(w);
            s.dirty.remove(w)
        };
        if again {
            self.add(w.clone());
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().ready.len()
    }
}

fn backoff(failures: u32) -> Duration {
    let factor = 1u32
        .checked_shl(failures.saturating_sub(1).min(20))
        .unwrap_or(u32::MAX);
    BASE_DELAY.saturating_mul(factor).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(1), Duration::from_millis(50));
        assert_eq!(backoff(2), Duration::from_millis(100));
        assert_eq!(backoff(5), Duration::from_millis(800));
        assert_eq!(backoff(40), MAX_DELAY);
    }

    #[tokio::test]
    async fn dedupes_and_reprocesses_dirty_items() {
        let q = Queue::default();
        q.add(Work::Delete("a".into()));
        q.add(Work::Delete("a".into()));
        q.add(Work::Orphan("a".into()));
        assert_eq!(q.len(), 2);
        let w = q.next().await;
        assert_eq!(w, Work::Delete("a".into()));
        // Added while active: not ready now, ready again after done.
        q.add(Work::Delete("a".into()));
        assert_eq!(q.len(), 1);
        q.done(&w);
        assert_eq!(q.len(), 2);
        assert_eq!(q.next().await, Work::Orphan("a".into()));
        assert_eq!(q.next().await, Work::Delete("a".into()));
    }
}
