//! The garbage collector: deletes objects whose owners are gone (background deletion),
//! deletes the dependents of an owner being deleted in the foreground before releasing
//! it (`foregroundDeletion` finalizer), and orphans the dependents of an owner deleted
//! with the `orphan` finalizer. As upstream's `garbagecollector` controller:
//!
//! - `monitor`: discovery plus one metadata-only watch per deletable resource, feeding
//! - `graph`: the ownerReferences graph by uid, which turns every change into work for
//! - `worker`: lookups and writes against the API (uid preconditions on every delete,
//!   resourceVersion preconditions on every patch), through
//! - `queue`: deduplicating, with per-item backoff.
//!
//! Everything is rebuilt from lists on start, and every step is idempotent, so a restart
//! (or a lost leadership) at any point resumes where it stopped.

#[path = "gc_graph.rs"]
mod graph;
#[path = "gc_monitor.rs"]
pub(crate) mod monitor;
#[path = "gc_queue.rs"]
mod queue;
#[path = "gc_worker.rs"]
mod worker;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DynamicObject};
use kube::core::PartialObjectMeta;
use tokio::sync::Notify;

use crate::context::{Context, Error};
use graph::{Graph, Identity};
use monitor::{Mapper, Task, group_of};
use queue::Queue;

/// Concurrent workers (upstream runs 20 for attempt-to-delete and 20 for orphaning).
const WORKERS: usize = 8;
/// Bound of the cache of owners known to be absent.
const ABSENT_CACHE: usize = 2048;

/// What the collector's tasks share.
pub(crate) struct Shared {
    client: kube::Client,
    graph: Mutex<Graph>,
    queue: Arc<Queue>,
    mapper: RwLock<Mapper>,
    /// Owners (by full coordinates) a lookup proved absent: uids never come back.
    absent: Mutex<HashSet<String>>,
    /// Asks for a discovery refresh (an owner's kind was unknown).
    rediscover: Notify,
}

impl Shared {
    fn graph(&self) -> MutexGuard<'_, Graph> {
        // The graph is only mutated by whole-operation calls that cannot leave it half
        // updated on panic (they do not panic); a poisoned lock is still consistent.
        self.graph.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn is_absent(&self, key: &str) -> bool {
        self.absent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(key)
    }

    fn mark_absent(&self, key: String) {
        let mut a = self.absent.lock().unwrap_or_else(|p| p.into_inner());
        if a.len() >= ABSENT_CACHE {
            a.clear();
        }
        a.insert(key);
    }
}

pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let sh = Arc::new(Shared {
        client: ctx.client.clone(),
        graph: Mutex::new(Graph::default()),
        queue: Arc::new(Queue::default()),
        mapper: RwLock::new(Mapper::default()),
        absent: Mutex::new(HashSet::new()),
        rediscover: Notify::new(),
    });
    let (synced_tx, mut synced) = tokio::sync::watch::channel(false);
    let monitors = monitor::run(sh.clone(), synced_tx);
    let mut monitors = std::pin::pin!(monitors);
    // Nothing is decided before every resource has been listed once: an owner's
    // dependents must all be known before it is released.
    tokio::select! {
        r = synced.wait_for(|s| *s) => {
            r.map_err(|_| Error::Other("garbage collector monitors stopped".into()))?;
        }
        r = &mut monitors => return r,
    }
    let nodes = sh.graph().len();
    tracing::info!(nodes, "garbage collector synced; collecting");
    let _workers: Vec<Task> = (0..WORKERS)
        .map(|_| Task::spawn(work_loop(sh.clone())))
        .collect();
    monitors.await
}

async fn work_loop(sh: Arc<Shared>) {
    loop {
        let w = sh.queue.next().await;
        let result = worker::process(&sh, &w).await;
        match result {
            Ok(worker::Outcome::Done) => sh.queue.forget(&w),
            Ok(worker::Outcome::Retry) => sh.queue.retry(w.clone()),
            Err(e) => {
                tracing::debug!(work = ?w, error = %e, "gc: will retry");
                sh.queue.retry(w.clone());
            }
        }
        sh.queue.done(&w);
    }
}

/// An object's API endpoints.
struct Target {
    read: Api<PartialObjectMeta<DynamicObject>>,
    write: Api<DynamicObject>,
    name: String,
    /// The cache key of these coordinates (group, kind, effective namespace, name, uid).
    key: String,
}

enum Resolved {
    Found(Target),
    /// The kind is not served (yet): discovery is refreshed and the item retried.
    Unknown,
    /// A namespaced kind referenced from a cluster-scoped object: it cannot exist.
    Invalid,
}

fn resolve(
    sh: &Shared,
    api_version: &str,
    kind: &str,
    ns: &str,
    name: &str,
    uid: &str,
) -> Resolved {
    let mapper = sh.mapper.read().unwrap_or_else(|p| p.into_inner());
    let Some(m) = mapper.lookup(api_version, kind) else {
        sh.rediscover.notify_one();
        return Resolved::Unknown;
    };
    let ns = if m.namespaced { ns } else { "" };
    if m.namespaced && ns.is_empty() {
        return Resolved::Invalid;
    }
    let (read, write) = if m.namespaced {
        (
            Api::namespaced_with(sh.client.clone(), ns, &m.ar),
            Api::namespaced_with(sh.client.clone(), ns, &m.ar),
        )
    } else {
        (
            Api::all_with(sh.client.clone(), &m.ar),
            Api::all_with(sh.client.clone(), &m.ar),
        )
    };
    Resolved::Found(Target {
        read,
        write,
        name: name.to_string(),
        key: format!("{}/{kind}/{ns}/{name}/{uid}", group_of(api_version)),
    })
}

fn resolve_identity(sh: &Shared, id: &Identity) -> Resolved {
    resolve(
        sh,
        &id.api_version,
        &id.kind,
        &id.namespace,
        &id.name,
        &id.uid,
    )
}

/// The live object's metadata if it is still the object with `uid`.
async fn live(t: &Target, uid: &str) -> Result<Option<ObjectMeta>, Error> {
    let got = t.read.get_opt(&t.name).await?;
    Ok(got
        .map(|p| p.metadata)
        .filter(|m| m.uid.as_deref() == Some(uid)))
}

fn is_code(e: &kube::Error, code: u16) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == code)
}
