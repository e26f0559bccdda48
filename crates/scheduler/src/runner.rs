//! The scheduling loop: one task owns the cache and the queue, applies watch changes as
//! they come, and schedules one pod at a time; API writes run beside it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Namespace, Node, Pod};
use k8s_openapi::api::scheduling::v1::PriorityClass;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::actions::Actions;
use crate::cache::{Cache, NodeChange};
use crate::framework::{Algorithm, Outcome};
use crate::podinfo::PodInfo;
use crate::preemption::{self, Preemption};
use crate::queue::{ALL_PLUGINS, Nominator, Queue};
use crate::status::{self, Plugin};
use crate::watch::{Change, Input};

/// Plugins a deleted assigned pod may help.
const POD_DELETED: u16 = Plugin::NodeResourcesFit.bit()
    | Plugin::NodePorts.bit()
    | Plugin::InterPodAffinity.bit()
    | Plugin::PodTopologySpread.bit()
    | Plugin::DefaultPreemption.bit();
/// Plugins a new or relabelled assigned pod may help.
const POD_ADDED: u16 = Plugin::InterPodAffinity.bit() | Plugin::PodTopologySpread.bit();

pub struct Loop {
    scheduler_name: String,
    retry: Duration,
    cache: Cache,
    queue: Queue,
    algo: Algorithm,
    nominator: Nominator,
    /// Pods being bound, to retry them when the binding fails.
    binding: HashMap<String, Arc<PodInfo>>,
    actions: Actions,
    nodes_synced: bool,
    pods_synced: bool,
    /// Pods scheduled (bound or being bound) since start.
    pub scheduled: u64,
}

impl Loop {
    pub fn new(scheduler_name: &str, retry: Duration, actions: Actions) -> Self {
        Self {
            scheduler_name: scheduler_name.to_string(),
            retry,
            cache: Cache::new(),
            queue: Queue::new(),
            algo: Algorithm::default(),
            nominator: Nominator::new(),
            binding: HashMap::new(),
            actions,
            nodes_synced: false,
            pods_synced: false,
            scheduled: 0,
        }
    }

    /// Runs until the input channel closes.
    pub async fn run(mut self, mut rx: UnboundedReceiver<Input>) {
        let mut last_flush = Instant::now();
        let mut cycles = 0u32;
        loop {
            while let Ok(input) = rx.try_recv() {
                self.handle(input);
            }
            let now = Instant::now();
            if now.duration_since(last_flush) >= Duration::from_secs(1) {
                self.queue.flush_unschedulable(self.retry, now);
                last_flush = now;
            }
            if self.nodes_synced && self.pods_synced && self.schedule_one(now) {
                cycles += 1;
                if cycles.is_multiple_of(32) {
                    tokio::task::yield_now().await;
                }
                continue;
            }
            let mut wake = now + Duration::from_secs(1);
            if let Some(b) = self.queue.next_backoff() {
                wake = wake.min(b);
            }
            tokio::select! {
                input = rx.recv() => match input {
                    Some(i) => self.handle(i),
                    None => return,
                },
                _ = tokio::time::sleep_until(wake.into()) => {}
            }
        }
    }

    fn handle(&mut self, input: Input) {
        let now = Instant::now();
        match input {
            Input::Nodes(c) => self.on_nodes(c, now),
            Input::Pods(c) => self.on_pods(c, now),
            Input::Namespaces(c) => self.on_namespaces(c, now),
            Input::Classes(c) => self.on_classes(c),
            Input::Bound(uid) => {
                self.binding.remove(&uid);
            }
            Input::BindFailed(uid) => {
                let Some(pod) = self.binding.remove(&uid) else {
                    return;
                };
                if self.cache.is_assumed(&uid) {
                    self.cache.remove_pod(&uid);
                    self.queue.move_for(POD_DELETED, now);
                }
                if !self.cache.is_placed(&uid) {
                    self.queue.upsert(pod, false, now);
                    self.queue.error(&uid, now);
                }
            }
        }
    }

    fn on_nodes(&mut self, c: Change<Node>, now: Instant) {
        match c {
            Change::Apply(n) => {
                if self.cache.apply_node(Arc::new(n)) != NodeChange::Irrelevant {
                    self.queue.move_for(ALL_PLUGINS, now);
                }
            }
            Change::Delete(n) => self
                .cache
                .delete_node(n.metadata.name.as_deref().unwrap_or("")),
            Change::Replace(list) => {
                self.cache
                    .replace_nodes(list.into_iter().map(Arc::new).collect());
                self.nodes_synced = true;
                self.queue.move_for(ALL_PLUGINS, now);
            }
        }
    }

    fn on_namespaces(&mut self, c: Change<Namespace>, now: Instant) {
        let labels = |n: &Namespace| n.metadata.labels.clone().unwrap_or_default();
        match c {
            Change::Apply(n) => {
                let name = n.metadata.name.clone().unwrap_or_default();
                let new = labels(&n);
                if self.cache.namespaces.insert(name, new.clone()).as_ref() != Some(&new) {
                    self.queue.move_for(Plugin::InterPodAffinity.bit(), now);
                }
            }
            Change::Delete(n) => {
                self.cache
                    .namespaces
                    .remove(n.metadata.name.as_deref().unwrap_or(""));
            }
            Change::Replace(list) => {
                self.cache.namespaces = list
                    .iter()
                    .map(|n| (n.metadata.name.clone().unwrap_or_default(), labels(n)))
                    .collect();
                self.queue.move_for(Plugin::InterPodAffinity.bit(), now);
            }
        }
    }

    fn on_classes(&mut self, c: Change<PriorityClass>) {
        let entry = |p: &PriorityClass| {
            (
                p.metadata.name.clone().unwrap_or_default(),
                (p.value, p.preemption_policy.as_deref() == Some("Never")),
                p.global_default == Some(true),
            )
        };
        let classes = &mut self.cache.classes;
        match c {
            Change::Apply(p) => {
                let (name, v, global) = entry(&p);
                classes.by_name.insert(name, v);
                if global {
                    classes.global_default = Some(v);
                }
            }
            Change::Delete(p) => {
                let (name, v, global) = entry(&p);
                classes.by_name.remove(&name);
                if global && classes.global_default == Some(v) {
                    classes.global_default = None;
                }
            }
            Change::Replace(list) => {
                classes.by_name.clear();
                classes.global_default = None;
                for p in &list {
                    let (name, v, global) = entry(p);
                    classes.by_name.insert(name, v);
                    if global {
                        classes.global_default = Some(v);
                    }
                }
            }
        }
    }

    /// Whether a pending pod is ours to schedule.
    fn wants(&self, p: &PodInfo) -> bool {
        let spec = p.pod.spec.as_ref();
        let name = spec
            .and_then(|s| s.scheduler_name.as_deref())
            .unwrap_or("default-scheduler");
        let gated = spec
            .and_then(|s| s.scheduling_gates.as_ref())
            .is_some_and(|g| !g.is_empty());
        name == self.scheduler_name && !p.terminating && !p.is_terminal() && !gated
    }

    fn on_pods(&mut self, c: Change<Pod>, now: Instant) {
        match c {
            Change::Apply(p) => self.apply_pod(p, now),
            Change::Delete(p) => {
                let uid = p.metadata.uid.clone().unwrap_or_default();
                self.forget_pod(&uid, now);
            }
            Change::Replace(list) => {
                let infos: Vec<Arc<PodInfo>> = list
                    .into_iter()
                    .map(|p| Arc::new(PodInfo::new(Arc::new(p), &self.cache.classes)))
                    .collect();
                let assigned: Vec<Arc<PodInfo>> = infos
                    .iter()
                    .filter(|p| !p.node_name.is_empty() && !p.is_terminal())
                    .cloned()
                    .collect();
                self.cache.replace_assigned(assigned);
                let present: std::collections::HashSet<&str> =
                    infos.iter().map(|p| p.uid.as_str()).collect();
                let stale: Vec<String> = self
                    .binding
                    .keys()
                    .filter(|u| !present.contains(u.as_str()))
                    .cloned()
                    .collect();
                for uid in stale {
                    self.forget_pod(&uid, now);
                }
                for p in infos.iter().filter(|p| p.node_name.is_empty()) {
                    self.track_pending(p.clone(), now);
                }
                self.pods_synced = true;
                self.queue.move_for(ALL_PLUGINS, now);
            }
        }
    }

    fn apply_pod(&mut self, pod: Pod, now: Instant) {
        let info = Arc::new(PodInfo::new(Arc::new(pod), &self.cache.classes));
        if info.node_name.is_empty() {
            self.track_pending(info, now);
            return;
        }
        self.queue.remove(&info.uid);
        self.nominator.remove(&info.uid);
        if info.is_terminal() {
            if self.cache.remove_pod(&info.uid).is_some() {
                self.queue.move_for(POD_DELETED, now);
            }
            return;
        }
        match self.cache.apply_assigned(info.clone()) {
            Some(prev) if prev.labels == info.labels && prev.node_name == info.node_name => {}
            _ => {
                self.queue.move_for(POD_ADDED, now);
            }
        }
    }

    fn track_pending(&mut self, info: Arc<PodInfo>, now: Instant) {
        if self.cache.is_assumed(&info.uid) {
            return;
        }
        if !self.wants(&info) {
            self.queue.remove(&info.uid);
            self.nominator.remove(&info.uid);
            return;
        }
        let changed = self
            .queue
            .get(&info.uid)
            .is_none_or(|prev| prev.labels != info.labels || prev.pod.spec != info.pod.spec);
        self.nominator.track(&info);
        self.queue.upsert(info, changed, now);
    }

    fn forget_pod(&mut self, uid: &str, now: Instant) {
        self.queue.remove(uid);
        self.nominator.remove(uid);
        self.binding.remove(uid);
        if self.cache.remove_pod(uid).is_some() {
            self.queue.move_for(POD_DELETED, now);
        }
    }

    /// Schedules the next pod, if any; returns whether one was attempted.
    fn schedule_one(&mut self, now: Instant) -> bool {
        let Some((pod, _attempts)) = self.queue.pop(now) else {
            return false;
        };
        if self.cache.is_placed(&pod.uid) {
            self.queue.remove(&pod.uid);
            return true;
        }
        match self
            .algo
            .schedule(&pod, &self.cache, self.nominator.by_node())
        {
            Outcome::Scheduled(node) => {
                self.queue.remove(&pod.uid);
                self.nominator.remove(&pod.uid);
                self.cache.assume(pod.clone(), &node);
                self.binding.insert(pod.uid.clone(), pod.clone());
                self.scheduled += 1;
                self.actions.bind(pod, node);
            }
            Outcome::NoNodes => {
                self.queue.error(&pod.uid, now);
                self.actions
                    .failed(pod, "SchedulerError", status::ERR_NO_NODES.into(), None);
            }
            Outcome::Unschedulable(diag) => {
                let pre = preemption::preempt(&pod, &diag, &self.cache, self.nominator.by_node());
                let message = diag.message(&pre.message());
                let nominate = match pre {
                    Preemption::Candidate {
                        node,
                        victims,
                        demoted,
                    } => {
                        for d in &demoted {
                            self.nominator.remove(&d.uid);
                        }
                        self.nominator.set(&pod, &node);
                        self.actions
                            .preempt(pod.clone(), node.clone(), victims, demoted);
                        Some(node)
                    }
                    Preemption::NoCandidate(_) => {
                        self.nominator.remove(&pod.uid);
                        Some(String::new())
                    }
                    Preemption::NotEligible(_) => None,
                };
                self.queue.unschedulable(&pod.uid, diag.plugins, now);
                tracing::debug!(pod = %pod.key(), %message, "unschedulable");
                self.actions.failed(pod, "Unschedulable", message, nominate);
            }
        }
        true
    }
}
