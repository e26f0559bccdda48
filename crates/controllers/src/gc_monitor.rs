//! Discovery and the watches that feed the graph: every resource that can be listed,
//! watched and deleted is watched metadata-only; discovery is refreshed periodically (and
//! on demand, when an owner's kind is unknown) so that CRDs are picked up.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use kube::api::{Api, DynamicObject};
use kube::core::PartialObjectMeta;
use kube::discovery::{ApiResource, Discovery, Scope};
use kube::runtime::{WatchStreamExt as _, watcher};

use super::Shared;
use super::graph::{Identity, Observed, Owner};
use crate::context::Error;

/// How often discovery is refreshed.
const REFRESH: Duration = Duration::from_secs(30);
/// The shortest interval between two discoveries asked for by workers.
const MIN_REFRESH: Duration = Duration::from_secs(2);
/// How long the first sync may take before the workers start anyway.
const SYNC_TIMEOUT: Duration = Duration::from_secs(60);

/// One served resource, at the version used for requests.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub ar: ApiResource,
    pub namespaced: bool,
    pub verbs: Vec<String>,
}

impl Mapping {
    pub fn supports(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }
}

/// Kind -> resource, from discovery (upstream's RESTMapper).
#[derive(Debug, Default)]
pub struct Mapper {
    by_kind: HashMap<(String, String), Mapping>,
}

/// The group of an `apiVersion` (`apps/v1` -> `apps`, `v1` -> ``).
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

impl Mapper {
    pub fn from_discovery(d: &Discovery) -> Self {
        let mut by_kind = HashMap::new();
        for group in d.groups() {
            for (ar, caps) in group.resources_by_stability() {
                let m = Mapping {
                    namespaced: caps.scope == Scope::Namespaced,
                    verbs: caps.operations.clone(),
                    ar,
                };
                by_kind.insert((m.ar.group.clone(), m.ar.kind.clone()), m);
            }
        }
        Self { by_kind }
    }

    /// The resource of `kind` in the group of `api_version` (any served version: an
    /// object's metadata is the same in all of them).
    pub fn lookup(&self, api_version: &str, kind: &str) -> Option<&Mapping> {
        self.by_kind
            .get(&(group_of(api_version).to_string(), kind.to_string()))
    }

    /// Every served resource (one version of each).
    pub fn all(&self) -> impl Iterator<Item = &Mapping> {
        self.by_kind.values()
    }

    /// What the collector watches: listable, watchable, deletable; events excluded.
    pub fn monitored(&self) -> Vec<Mapping> {
        self.by_kind
            .values()
            .filter(|m| ["list", "watch", "delete"].iter().all(|v| m.supports(v)))
            .filter(|m| {
                !(m.ar.plural == "events" && matches!(m.ar.group.as_str(), "" | "events.k8s.io"))
            })
            .cloned()
            .collect()
    }
}

/// Runs discovery, aggregated when the server offers it.
pub async fn discover(client: &kube::Client) -> Result<Discovery, Error> {
    match Discovery::new(client.clone()).run_aggregated().await {
        Ok(d) => Ok(d),
        Err(e) => {
            tracing::debug!(error = %e, "aggregated discovery failed; trying per group");
            Ok(Discovery::new(client.clone()).run().await?)
        }
    }
}

/// A task aborted when its handle drops (so a stopped collector leaves nothing behind).
pub struct Task(tokio::task::JoinHandle<()>);

impl Task {
    pub fn spawn(f: impl std::future::Future<Output = ()> + Send + 'static) -> Self {
        Self(tokio::spawn(f))
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

struct Monitor {
    _task: Task,
    synced: Arc<AtomicBool>,
}

/// Keeps one watch per monitored resource; reports `true` on `synced` once the first
/// round of watches has listed everything.
pub async fn run(sh: Arc<Shared>, synced: tokio::sync::watch::Sender<bool>) -> Result<(), Error> {
    let mut monitors: HashMap<(String, String), Monitor> = HashMap::new();
    let mut first = true;
    loop {
        match discover(&sh.client).await {
            Ok(d) => {
                let mapper = Mapper::from_discovery(&d);
                let wanted = mapper.monitored();
                let keys: HashSet<(String, String)> = wanted
                    .iter()
                    .map(|m| (m.ar.group.clone(), m.ar.plural.clone()))
                    .collect();
                monitors.retain(|k, _| keys.contains(k));
                for m in wanted {
                    let key = (m.ar.group.clone(), m.ar.plural.clone());
                    if monitors.contains_key(&key) {
                        continue;
                    }
                    tracing::debug!(group = %key.0, resource = %key.1, "gc: watching");
                    let flag = Arc::new(AtomicBool::new(false));
                    let task = Task::spawn(monitor(sh.clone(), m.ar, flag.clone()));
                    monitors.insert(
                        key,
                        Monitor {
                            _task: task,
                            synced: flag,
                        },
                    );
                }
                *sh.mapper.write().unwrap_or_else(|p| p.into_inner()) = mapper;
                if first {
                    first = false;
                    wait_synced(&monitors).await;
                    synced.send_replace(true);
                }
            }
            Err(e) => tracing::warn!(error = %e, "gc: discovery failed"),
        }
        let last = Instant::now();
        tokio::select! {
            () = tokio::time::sleep(REFRESH) => {}
            () = sh.rediscover.notified() => {
                // Asked for early: still no more often than every MIN_REFRESH.
                tokio::time::sleep(MIN_REFRESH.saturating_sub(last.elapsed())).await;
            }
        }
    }
}

async fn wait_synced(monitors: &HashMap<(String, String), Monitor>) {
    let start = Instant::now();
    while monitors.values().any(|m| !m.synced.load(Ordering::Acquire)) {
        if start.elapsed() > SYNC_TIMEOUT {
            let pending: Vec<String> = monitors
                .iter()
                .filter(|(_, m)| !m.synced.load(Ordering::Acquire))
                .map(|(k, _)| format!("{}.{}", k.1, k.0))
                .collect();
            tracing::warn!(?pending, "gc: some resources never synced; starting anyway");
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn observed(ar: &ApiResource, o: &PartialObjectMeta<DynamicObject>) -> Option<Observed> {
    let md = &o.metadata;
    let uid = md.uid.clone().filter(|u| !u.is_empty())?;
    let owners = md
        .owner_references
        .iter()
        .flatten()
        .map(|r| Owner {
            api_version: r.api_version.clone(),
            kind: r.kind.clone(),
            name: r.name.clone(),
            uid: r.uid.clone(),
            block: r.block_owner_deletion == Some(true),
        })
        .collect();
    Some(Observed {
        identity: Identity {
            api_version: ar.api_version.clone(),
            kind: ar.kind.clone(),
            namespace: md.namespace.clone().unwrap_or_default(),
            name: md.name.clone().unwrap_or_default(),
            uid,
        },
        owners,
        deleting: md.deletion_timestamp.is_some(),
        finalizers: md.finalizers.clone().unwrap_or_default(),
    })
}

/// Watches one resource and applies what it sees to the graph. A relist that no longer
/// contains an object counts as its deletion.
async fn monitor(sh: Arc<Shared>, ar: ApiResource, synced: Arc<AtomicBool>) {
    let api: Api<PartialObjectMeta<DynamicObject>> = Api::all_with(sh.client.clone(), &ar);
    let stream = watcher(api, watcher::Config::default()).default_backoff();
    let mut stream = std::pin::pin!(stream);
    let mut known: HashSet<String> = HashSet::new();
    let mut listing: HashSet<String> = HashSet::new();
    while let Some(ev) = stream.next().await {
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) => {
                tracing::debug!(resource = %ar.plural, error = %e, "gc: watch failed");
                continue;
            }
        };
        match ev {
            watcher::Event::Init => listing.clear(),
            watcher::Event::InitApply(o) | watcher::Event::Apply(o) => {
                if let Some(obs) = observed(&ar, &o) {
                    listing.insert(obs.identity.uid.clone());
                    known.insert(obs.identity.uid.clone());
                    let work = sh.graph().observe(obs);
                    sh.queue.add_all(work);
                }
            }
            watcher::Event::InitDone => {
                let gone: Vec<String> = known.difference(&listing).cloned().collect();
                for uid in gone {
                    let work = sh.graph().forget(&uid);
                    sh.queue.add_all(work);
                }
                known = std::mem::take(&mut listing);
                synced.store(true, Ordering::Release);
            }
            watcher::Event::Delete(o) => {
                if let Some(uid) = o.metadata.uid.as_deref() {
                    known.remove(uid);
                    let work = sh.graph().forget(uid);
                    sh.queue.add_all(work);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_of_api_versions() {
        assert_eq!(group_of("v1"), "");
        assert_eq!(group_of("apps/v1"), "apps");
        assert_eq!(group_of("stable.example.com/v1beta1"), "stable.example.com");
    }
}
