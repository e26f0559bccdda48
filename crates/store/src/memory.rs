//! `MemoryBackend`: the whole store in process memory, for tests and tools.
//!
//! Every key keeps its versions since the last compaction (plus the version live at the
//! compacted revision), so reads at a past revision are a binary search; the event log
//! keeps the events above the compacted revision for watch replay. One lock orders all
//! writes, and events are published while it is held, so watchers see revision order.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;
use std::sync::Arc;

use async_trait::async_trait;
use futures::StreamExt;
use parking_lot::RwLock;

use crate::backend::{
    Backend, Event, KeyValue, ListResult, Result, StoreError, WatchStream, resolve_read_revision,
};
use crate::watch::{DEFAULT_WATCH_CAPACITY, WatchHub, join_replay_and_live};

/// One version of a key; `kv` is `None` for a deletion.
#[derive(Debug)]
struct Version {
    revision: i64,
    kv: Option<KeyValue>,
}

#[derive(Debug, Default)]
struct State {
    revision: i64,
    compacted: i64,
    history: BTreeMap<String, Vec<Version>>,
    /// Events with revision > `compacted`, in revision order.
    log: VecDeque<Arc<Event>>,
}

impl State {
    fn latest(&self, key: &str) -> Option<&KeyValue> {
        self.history
            .get(key)
            .and_then(|v| value_at(v, self.revision))
    }

    fn read_revision(&self, requested: Option<i64>) -> Result<i64> {
        resolve_read_revision(requested, self.revision, self.compacted)
    }

    /// Versioned keys under `prefix`, strictly after `start_after`, in key order.
    fn range<'a>(
        &'a self,
        prefix: &'a str,
        start_after: Option<&'a str>,
    ) -> impl Iterator<Item = (&'a String, &'a Vec<Version>)> + 'a {
        let lower = match start_after {
            Some(after) if after >= prefix => Bound::Excluded(after),
            _ => Bound::Included(prefix),
        };
        self.history
            .range::<str, _>((lower, Bound::Unbounded))
            .take_while(move |(key, _)| key.starts_with(prefix))
    }
}

/// The live value among `versions` at `revision`.
fn value_at(versions: &[Version], revision: i64) -> Option<&KeyValue> {
    let idx = versions.partition_point(|v| v.revision <= revision);
    idx.checked_sub(1).and_then(|i| versions[i].kv.as_ref())
}

/// An in-memory [`Backend`]: fast, not durable; history is kept until compacted.
#[derive(Debug)]
pub struct MemoryBackend {
    state: RwLock<State>,
    hub: WatchHub,
}

impl Default for MemoryBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryBackend {
    /// An empty store with the default watch buffer ([`DEFAULT_WATCH_CAPACITY`]).
    pub fn new() -> Self {
        Self::with_watch_capacity(DEFAULT_WATCH_CAPACITY)
    }

    /// An empty store whose watchers may fall `capacity` events behind before they are
    /// closed with `WatchLagged`.
    pub fn with_watch_capacity(capacity: usize) -> Self {
        MemoryBackend {
            state: RwLock::new(State::default()),
            hub: WatchHub::new(capacity),
        }
    }

    /// Records a write made under the write lock and publishes it.
    fn commit(&self, st: &mut State, event: Event) -> i64 {
        let revision = event.revision();
        let (key, kv) = match &event {
            Event::Put { kv, .. } => (kv.key.clone(), Some(kv.clone())),
            Event::Delete { prev, .. } => (prev.key.clone(), None),
        };
        st.history
            .entry(key)
            .or_default()
            .push(Version { revision, kv });
        st.revision = revision;
        let event = Arc::new(event);
        st.log.push_back(Arc::clone(&event));
        self.hub.publish(event);
        revision
    }
}

#[async_trait]
impl Backend for MemoryBackend {
    async fn current_revision(&self) -> Result<i64> {
        Ok(self.state.read().revision)
    }

    async fn compacted_revision(&self) -> Result<i64> {
        Ok(self.state.read().compacted)
    }

    async fn get(&self, key: &str, revision: Option<i64>) -> Result<Option<KeyValue>> {
        let st = self.state.read();
        let at = st.read_revision(revision)?;
        Ok(st.history.get(key).and_then(|v| value_at(v, at)).cloned())
    }

    async fn list(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: Option<usize>,
        revision: Option<i64>,
    ) -> Result<ListResult> {
        let st = self.state.read();
        let at = st.read_revision(revision)?;
        let limit = limit.unwrap_or(usize::MAX);
        let mut items = Vec::new();
        let mut remaining = 0u64;
        for (_, versions) in st.range(prefix, start_after) {
            if let Some(kv) = value_at(versions, at) {
                if items.len() < limit {
                    items.push(kv.clone());
                } else {
                    remaining += 1;
                }
            }
        }
        Ok(ListResult {
            items,
            revision: at,
            remaining,
        })
    }

    async fn count(&self, prefix: &str) -> Result<u64> {
        let st = self.state.read();
        let at = st.revision;
        Ok(st
            .range(prefix, None)
            .filter(|(_, versions)| value_at(versions, at).is_some())
            .count() as u64)
    }

    async fn create(&self, key: &str, value: Vec<u8>) -> Result<i64> {
        let mut st = self.state.write();
        if st.latest(key).is_some() {
            return Err(StoreError::AlreadyExists(key.to_owned()));
        }
        let revision = st.revision + 1;
        let kv = KeyValue {
            key: key.to_owned(),
            value,
            create_revision: revision,
            mod_revision: revision,
        };
        Ok(self.commit(&mut st, Event::Put { kv, prev: None }))
    }

    async fn update(&self, key: &str, value: Vec<u8>, expected: i64) -> Result<i64> {
        let mut st = self.state.write();
        let prev = match st.latest(key) {
            None => return Err(StoreError::NotFound(key.to_owned())),
            Some(cur) if cur.mod_revision != expected => {
                return Err(StoreError::Conflict {
                    key: key.to_owned(),
                    current: Box::new(cur.clone()),
                });
            }
            Some(cur) => cur.clone(),
        };
        let revision = st.revision + 1;
        let kv = KeyValue {
            key: key.to_owned(),
            value,
            create_revision: prev.create_revision,
            mod_revision: revision,
        };
        Ok(self.commit(
            &mut st,
            Event::Put {
                kv,
                prev: Some(prev),
            },
        ))
    }

    async fn delete(&self, key: &str, expected: Option<i64>) -> Result<(i64, KeyValue)> {
        let mut st = self.state.write();
        let prev = match st.latest(key) {
            None => return Err(StoreError::NotFound(key.to_owned())),
            Some(cur) if expected.is_some_and(|e| e != cur.mod_revision) => {
                return Err(StoreError::Conflict {
                    key: key.to_owned(),
                    current: Box::new(cur.clone()),
                });
            }
            Some(cur) => cur.clone(),
        };
        let revision = st.revision + 1;
        let event = Event::Delete {
            prev: prev.clone(),
            revision,
        };
        Ok((self.commit(&mut st, event), prev))
    }

    async fn watch(&self, prefix: &str, after: i64) -> Result<WatchStream> {
        // Holding the read lock excludes writers, so subscription and snapshot are atomic;
        // the revision threshold in the join keeps this correct regardless.
        let st = self.state.read();
        if after < st.compacted {
            return Err(StoreError::Compacted {
                requested: after,
                compacted: st.compacted,
            });
        }
        let live = self.hub.subscribe();
        let start = st.log.partition_point(|e| e.revision() <= after);
        let replay: Vec<Result<Arc<Event>>> = st
            .log
            .range(start..)
            .filter(|e| e.key().starts_with(prefix))
            .map(|e| Ok(Arc::clone(e)))
            .collect();
        let upto = st.revision;
        drop(st);
        let replay = futures::stream::iter(replay).boxed();
        Ok(join_replay_and_live(prefix, after, upto, replay, live))
    }

    async fn compact(&self, revision: i64) -> Result<()> {
        let mut st = self.state.write();
        if revision > st.revision {
            return Err(StoreError::FutureRevision {
                requested: revision,
                current: st.revision,
            });
        }
        if revision <= st.compacted {
            return Ok(());
        }
        st.compacted = revision;
        while st.log.front().is_some_and(|e| e.revision() <= revision) {
            st.log.pop_front();
        }
        st.history.retain(|_, versions| {
            // Keep the version live at `revision` (if any) and everything after it.
            let idx = versions.partition_point(|v| v.revision <= revision);
            if idx > 1 {
                versions.drain(..idx - 1);
            }
            if idx >= 1 && versions[0].kv.is_none() {
                versions.remove(0);
            }
            !versions.is_empty()
        });
        tracing::debug!(revision, "memory store compacted");
        Ok(())
    }
}
