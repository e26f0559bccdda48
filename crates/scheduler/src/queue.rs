//! The scheduling queue: an active heap in priority order (then first queued), a backoff
//! heap (1 s doubling to 10 s per failed attempt), and the unschedulable pool whose pods
//! move back when a cluster event could help the plugins that rejected them, or after
//! the retry period. Beside it, as upstream, the nominator: which pending pods are
//! nominated to which node (`status.nominatedNodeName`, set by preemption).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::framework::Nominated;
use crate::podinfo::PodInfo;

const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Any plugin (a cluster event that may help every pod).
pub const ALL_PLUGINS: u16 = u16::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Active,
    Backoff,
    Unschedulable,
    /// Popped and being scheduled or bound.
    InFlight,
}

#[derive(Debug)]
struct Entry {
    info: Arc<PodInfo>,
    state: State,
    attempts: u32,
    seq: u64,
    /// Plugins that rejected the pod in its last attempt.
    plugins: u16,
    since: Instant,
    backoff_until: Instant,
}

#[derive(Debug, Default)]
pub struct Queue {
    entries: HashMap<String, Entry>,
    active: BinaryHeap<(i32, Reverse<u64>, String)>,
    backoff: BinaryHeap<Reverse<(Instant, u64, String)>>,
    /// UIDs in the unschedulable pool (so cluster events need not scan every entry).
    unschedulable: HashSet<String>,
    seq: u64,
}

fn backoff_for(attempts: u32) -> Duration {
    let mut d = INITIAL_BACKOFF;
    for _ in 1..attempts {
        d = d.saturating_mul(2);
        if d >= MAX_BACKOFF {
            return MAX_BACKOFF;
        }
    }
    d
}

impl Queue {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn contains(&self, uid: &str) -> bool {
        self.entries.contains_key(uid)
    }

    fn activate(&mut self, uid: &str) {
        self.seq += 1;
        let seq = self.seq;
        self.unschedulable.remove(uid);
        if let Some(e) = self.entries.get_mut(uid) {
            e.state = State::Active;
            e.seq = seq;
            self.active
                .push((e.info.priority, Reverse(seq), uid.to_string()));
        }
    }

    fn requeue(&mut self, uid: &str, now: Instant) {
        let Some(until) = self.entries.get(uid).map(|e| e.backoff_until) else {
            return;
        };
        if until <= now {
            self.activate(uid);
            return;
        }
        self.seq += 1;
        let seq = self.seq;
        self.unschedulable.remove(uid);
        if let Some(e) = self.entries.get_mut(uid) {
            e.state = State::Backoff;
            e.seq = seq;
        }
        self.backoff.push(Reverse((until, seq, uid.to_string())));
    }

    /// Adds a pending pod, or updates one already queued; `changed` says whether its
    /// spec or labels changed (which may make it schedulable).
    pub fn upsert(&mut self, info: Arc<PodInfo>, changed: bool, now: Instant) {
        let uid = info.uid.clone();
        match self.entries.get_mut(&uid) {
            None => {
                self.entries.insert(
                    uid.clone(),
                    Entry {
                        info,
                        state: State::Active,
                        attempts: 0,
                        seq: 0,
                        plugins: 0,
                        since: now,
                        backoff_until: now,
                    },
                );
                self.activate(&uid);
            }
            Some(e) => {
                let priority_changed = e.info.priority != info.priority;
                e.info = info;
                match e.state {
                    State::Unschedulable if changed => self.requeue(&uid, now),
                    State::Active if priority_changed => self.activate(&uid),
                    _ => {}
                }
            }
        }
    }

    /// The queued version of a pod.
    pub fn get(&self, uid: &str) -> Option<&Arc<PodInfo>> {
        self.entries.get(uid).map(|e| &e.info)
    }

    pub fn remove(&mut self, uid: &str) -> Option<Arc<PodInfo>> {
        self.unschedulable.remove(uid);
        self.entries.remove(uid).map(|e| e.info)
    }

    /// Moves expired backoffs to the active heap and returns the next pod to schedule.
    pub fn pop(&mut self, now: Instant) -> Option<(Arc<PodInfo>, u32)> {
        self.expire_backoff(now);
        while let Some((_, Reverse(seq), uid)) = self.active.pop() {
            let Some(e) = self.entries.get_mut(&uid) else {
                continue;
            };
            if e.state != State::Active || e.seq != seq {
                continue;
            }
            e.state = State::InFlight;
            return Some((e.info.clone(), e.attempts));
        }
        None
    }

    fn expire_backoff(&mut self, now: Instant) {
        while let Some(Reverse((until, _, _))) = self.backoff.peek() {
            if *until > now {
                break;
            }
            let Some(Reverse((_, seq, uid))) = self.backoff.pop() else {
                break;
            };
            let current = self
                .entries
                .get(&uid)
                .is_some_and(|e| e.state == State::Backoff && e.seq == seq);
            if current {
                self.activate(&uid);
            }
        }
    }

    /// The attempt failed because no node fits; `plugins` rejected it.
    pub fn unschedulable(&mut self, uid: &str, plugins: u16, now: Instant) {
        if let Some(e) = self.entries.get_mut(uid) {
            e.attempts += 1;
            e.state = State::Unschedulable;
            self.unschedulable.insert(uid.to_string());
            e.plugins = plugins;
            e.since = now;
            e.backoff_until = now + backoff_for(e.attempts);
        }
    }

    /// The attempt failed for another reason (API error): retry after backoff.
    pub fn error(&mut self, uid: &str, now: Instant) {
        if let Some(e) = self.entries.get_mut(uid) {
            e.attempts += 1;
            e.backoff_until = now + backoff_for(e.attempts);
        }
        self.requeue(uid, now);
    }

    /// A cluster event that may help pods rejected by any of `plugins`.
    pub fn move_for(&mut self, plugins: u16, now: Instant) -> usize {
        let uids: Vec<String> = self
            .unschedulable
            .iter()
            .filter(|uid| {
                self.entries
                    .get(*uid)
                    .is_some_and(|e| e.state == State::Unschedulable && e.plugins & plugins != 0)
            })
            .cloned()
            .collect();
        for uid in &uids {
            self.requeue(uid, now);
        }
        uids.len()
    }

    /// Moves pods that stayed unschedulable for `max` (upstream's periodic flush).
    pub fn flush_unschedulable(&mut self, max: Duration, now: Instant) {
        let uids: Vec<String> = self
            .unschedulable
            .iter()
            .filter(|uid| {
                self.entries.get(*uid).is_some_and(|e| {
                    e.state == State::Unschedulable && now.duration_since(e.since) >= max
                })
            })
            .cloned()
            .collect();
        for uid in &uids {
            self.requeue(uid, now);
        }
    }

    /// When the next backoff expires.
    pub fn next_backoff(&self) -> Option<Instant> {
        self.backoff.peek().map(|Reverse((t, _, _))| *t)
    }

    pub fn has_active(&self) -> bool {
        !self.active.is_empty()
    }
}

#[derive(Debug, Default)]
pub struct Nominator {
    by_node: Nominated,
    node_of: HashMap<String, String>,
}

impl Nominator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn by_node(&self) -> &Nominated {
        &self.by_node
    }

    /// Records `pod` as nominated to `node` ("" removes the nomination).
    pub fn set(&mut self, pod: &Arc<PodInfo>, node: &str) {
        self.remove(&pod.uid);
        if node.is_empty() {
            return;
        }
        self.by_node
            .entry(node.to_string())
            .or_default()
            .push(pod.clone());
        self.node_of.insert(pod.uid.clone(), node.to_string());
    }

    /// Tracks a pending pod from the watch: its own nominatedNodeName wins.
    pub fn track(&mut self, pod: &Arc<PodInfo>) {
        match self.node_of.get(&pod.uid) {
            Some(n) if pod.nominated_node.is_empty() => {
                // Keep our in-memory nomination until the status patch shows up.
                let n = n.clone();
                self.set(pod, &n);
            }
            _ => {
                let n = pod.nominated_node.clone();
                self.set(pod, &n);
            }
        }
    }

    pub fn remove(&mut self, uid: &str) {
        let Some(node) = self.node_of.remove(uid) else {
            return;
        };
        if let Some(list) = self.by_node.get_mut(&node) {
            list.retain(|p| p.uid != uid);
            if list.is_empty() {
                self.by_node.remove(&node);
            }
        }
    }
}
