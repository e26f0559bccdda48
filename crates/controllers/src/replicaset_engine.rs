//! The replica engine shared by the ReplicaSet and ReplicationController controllers
//! (upstream runs the very same code for both): watch the owners and all pods into
//! caches, turn pod changes into reconciles of their owners (or of the owners whose
//! selector matches an orphan), and reconcile one owner at a time. Also the event
//! queue every workload controller records through.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{StreamExt, stream};
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::apps::v1::ReplicaSetStatus;
use k8s_openapi::api::core::v1::{
    Event as CoreEvent, EventSource, ObjectReference, Pod, PodTemplateSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::controller::{self, Action, ReconcileRequest, trigger_self, trigger_with};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, applier, watcher};
use kube::{Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use tokio::sync::mpsc;

use super::Selector;
use super::claim::controller_of;
use super::expect::{Backoff, Expectations, Seen};
use super::manage;
use super::pods::is_active;
use crate::context::{Context, Error};

/// A kind that keeps `replicas` pods matching a selector (ReplicaSet, ReplicationController).
pub(crate) trait Owner:
    Resource<DynamicType = (), Scope = NamespaceResourceScope>
    + Clone
    + DeserializeOwned
    + Serialize
    + Debug
    + Send
    + Sync
    + 'static
{
    /// The `source.component` of its events (`replicaset-controller`).
    const COMPONENT: &'static str;
    /// The pod selector (a nil or invalid one selects nothing).
    fn selector(&self) -> Selector;
    /// `spec.replicas` (defaulted to 1 by the API server).
    fn replicas(&self) -> i32;
    fn template(&self) -> Option<&PodTemplateSpec>;
    fn min_ready_seconds(&self) -> i32;
    /// The status, in the ReplicaSet shape (the ReplicationController's has the same fields).
    fn status(&self) -> ReplicaSetStatus;
}

/// What every reconcile of one controller shares.
pub(crate) struct Shared<K: Owner> {
    pub(crate) client: kube::Client,
    pub(crate) owners: Store<K>,
    pub(crate) pods: Store<Pod>,
    pub(crate) expectations: Expectations,
    pub(crate) backoff: Backoff,
    pub(crate) events: EventSink,
    _kind: std::marker::PhantomData<fn() -> K>,
}

/// Owners to reconcile for a pod change: its controller if that is a `K`, else (for an
/// orphan) every `K` in its namespace whose selector matches it.
fn owners_of_pod<K: Owner>(owners: &Store<K>, pod: &Pod) -> Vec<ObjectRef<K>> {
    let ns = pod.metadata.namespace.clone().unwrap_or_default();
    if let Some(r) = controller_of(&pod.metadata) {
        let ours = r.kind == K::kind(&()) && r.api_version == K::api_version(&());
        return if ours {
            vec![ObjectRef::new(&r.name).within(&ns)]
        } else {
            Vec::new()
        };
    }
    if pod.metadata.deletion_timestamp.is_some() {
        return Vec::new();
    }
    let labels = pod.metadata.labels.as_ref();
    owners
        .state()
        .iter()
        .filter(|o| o.meta().namespace.as_deref() == Some(ns.as_str()))
        .filter(|o| o.selector().matches(labels))
        .map(|o| ObjectRef::from_obj(o.as_ref()))
        .collect()
}

fn watch_config() -> watcher::Config {
    watcher::Config::default().any_semantic()
}

/// Runs the controller for kind `K` until its watches end.
pub(crate) async fn run<K: Owner>(ctx: Arc<Context>) -> Result<(), Error> {
    let client = ctx.client.clone();
    let (owners, owner_writer) = reflector::store::<K>();
    let (pods, shared_events) = ctx.pods().await;
    let owner_events = watcher(Api::<K>::all(client.clone()), watch_config())
        .default_backoff()
        .modify(crate::context::lean)
        .reflect(owner_writer)
        .touched_objects();
    let mapping_store = owners.clone();
    let pod_events = shared_events.filter_map(|ev| async move {
        match ev {
            watcher::Event::Apply(p) | watcher::Event::InitApply(p) | watcher::Event::Delete(p) => {
                Some(Ok::<Pod, watcher::Error>(p))
            }
            watcher::Event::Init | watcher::Event::InitDone => None,
        }
    });
    let queue = stream::select(
        trigger_self(owner_events, ()).boxed(),
        trigger_with(pod_events, move |pod: Pod| {
            owners_of_pod(&mapping_store, &pod)
        })
        .boxed(),
    )
    .filter_map(
        |r: Result<ReconcileRequest<K>, watcher::Error>| async move {
            match r {
                Ok(req) => Some(Ok::<_, watcher::Error>(req)),
                Err(e) => {
                    tracing::debug!(error = %e, component = K::COMPONENT, "watch error; retrying");
                    None
                }
            }
        },
    );
    let shared = Arc::new(Shared::<K> {
        client: client.clone(),
        owners: owners.clone(),
        pods,
        expectations: Expectations::default(),
        backoff: Backoff::default(),
        events: EventSink::start(client.clone(), K::COMPONENT, &ctx.options.identity),
        _kind: std::marker::PhantomData,
    });
    let after = shared.clone();
    applier(
        |owner, sh| Box::pin(reconcile(owner, sh)),
        error_policy,
        shared,
        owners,
        queue,
        controller::Config::default(),
    )
    .for_each(|res| {
        match res {
            Ok(_) => {}
            Err(controller::Error::ObjectNotFound(r)) => {
                let key = format!("{}/{}", r.namespace.unwrap_or_default(), r.name);
                after.expectations.forget(&key);
                after.backoff.reset(&key);
            }
            Err(e) => tracing::debug!(error = %e, component = K::COMPONENT, "reconcile failed"),
        }
        std::future::ready(())
    })
    .await;
    Ok(())
}

fn error_policy<K: Owner>(owner: Arc<K>, err: &Error, sh: Arc<Shared<K>>) -> Action {
    let key = format!(
        "{}/{}",
        owner.namespace().unwrap_or_default(),
        owner.name_any()
    );
    let delay = sh.backoff.next(&key);
    tracing::debug!(owner = %key, error = %err, ?delay, component = K::COMPONENT, "sync failed; retrying");
    Action::requeue(delay)
}

/// `syncReplicaSet`: claim pods, create or delete to match `spec.replicas` when the
/// cache can be trusted, then write the status.
async fn reconcile<K: Owner>(owner: Arc<K>, sh: Arc<Shared<K>>) -> Result<Action, Error> {
    let ns = owner.namespace().unwrap_or_default();
    let name = owner.name_any();
    let key = format!("{ns}/{name}");
    sh.pods
        .wait_until_ready()
        .await
        .map_err(|e| Error::Other(format!("pod cache: {e}")))?;
    let pending = sh.expectations.pending(&key, |pod| {
        match sh.pods.get(&ObjectRef::new(pod).within(&ns)) {
            None => Seen::Absent,
            Some(p) if p.metadata.deletion_timestamp.is_some() => Seen::Terminating,
            Some(_) => Seen::Present,
        }
    });
    let active: Vec<Arc<Pod>> = sh
        .pods
        .state()
        .into_iter()
        .filter(|p| p.metadata.namespace.as_deref() == Some(ns.as_str()) && is_active(p))
        .collect();
    let pod_api: Api<Pod> = Api::namespaced(sh.client.clone(), &ns);
    let owned = manage::claim_pods(&sh, owner.as_ref(), active, &pod_api).await?;
    let managed = if pending.is_none() && owner.meta().deletion_timestamp.is_none() {
        manage::manage_replicas(&sh, owner.as_ref(), &key, &owned, &pod_api).await
    } else {
        Ok(())
    };
    let now = Timestamp::now();
    let status = manage::calculate_status(owner.as_ref(), &owned, managed.as_ref().err(), now);
    manage::update_status(&sh, owner.as_ref(), status).await?;
    managed?;
    sh.backoff.reset(&key);
    // Pods turn available `minReadySeconds` after they turned ready: look again then.
    let mut next = Duration::from_secs(600);
    if let Some(d) = manage::next_available_in(&owned, owner.min_ready_seconds(), now) {
        next = next.min(d);
    }
    if let Some(left) = pending {
        next = next.min(left);
    }
    Ok(Action::requeue(next))
}

/// Events waiting beyond this many are dropped (upstream's broadcaster queue is 1000).
const QUEUE: usize = 1000;
/// Identical events within this window are counted on one Event (upstream's correlator).
const AGGREGATE: Duration = Duration::from_secs(600);

struct Pending {
    regarding: ObjectReference,
    warning: bool,
    reason: String,
    message: String,
}

/// An Event already written: where, how often, when last.
struct Sent {
    namespace: String,
    name: String,
    count: i32,
    at: Instant,
}

/// Events of one reporting component, written as core/v1 Events (as upstream's
/// controllers do: `source.component`, `count`, first and last timestamps) by one
/// background task, so that a reconcile never waits for them. A repeat of the same
/// event on the same object raises the count of the first.
#[derive(Clone)]
pub(crate) struct EventSink {
    tx: mpsc::Sender<Pending>,
}

impl EventSink {
    /// Starts the sending task; it ends when every handle is dropped.
    pub(crate) fn start(client: kube::Client, component: &str, instance: &str) -> Self {
        let (tx, mut rx) = mpsc::channel::<Pending>(QUEUE);
        let (component, instance) = (component.to_string(), instance.to_string());
        tokio::spawn(async move {
            // Keyed by (object uid, reason, message).
            let mut seen: HashMap<(String, String, String), Sent> = HashMap::new();
            while let Some(ev) = rx.recv().await {
                seen.retain(|_, v| v.at.elapsed() < AGGREGATE);
                let key = (
                    ev.regarding.uid.clone().unwrap_or_default(),
                    ev.reason.clone(),
                    ev.message.clone(),
                );
                let now = Time(Timestamp::now());
                if let Some(sent) = seen.get_mut(&key) {
                    let api: Api<CoreEvent> = Api::namespaced(client.clone(), &sent.namespace);
                    let patch = json!({"count": sent.count + 1, "lastTimestamp": now});
                    let pp = PatchParams::default();
                    if api
                        .patch(&sent.name, &pp, &Patch::Merge(&patch))
                        .await
                        .is_ok()
                    {
                        sent.count += 1;
                        sent.at = Instant::now();
                        continue;
                    }
                }
                let ns = ev
                    .regarding
                    .namespace
                    .clone()
                    .unwrap_or_else(|| "default".into());
                let object = ev.regarding.name.clone().unwrap_or_default();
                let nanos = Timestamp::now().as_nanosecond();
                let event = CoreEvent {
                    metadata: ObjectMeta {
                        name: Some(format!("{object}.{nanos:x}")),
                        namespace: Some(ns.clone()),
                        ..Default::default()
                    },
                    involved_object: ev.regarding,
                    reason: Some(ev.reason),
                    message: Some(ev.message),
                    type_: Some(if ev.warning { "Warning" } else { "Normal" }.into()),
                    source: Some(EventSource {
                        component: Some(component.clone()),
                        host: None,
                    }),
                    first_timestamp: Some(now.clone()),
                    last_timestamp: Some(now),
                    count: Some(1),
                    reporting_component: Some(component.clone()),
                    reporting_instance: Some(instance.clone()),
                    ..Default::default()
                };
                let api: Api<CoreEvent> = Api::namespaced(client.clone(), &ns);
                match api.create(&PostParams::default(), &event).await {
                    Ok(created) => {
                        let name = created.metadata.name.unwrap_or_default();
                        let at = Instant::now();
                        seen.insert(
                            key,
                            Sent {
                                namespace: ns,
                                name,
                                count: 1,
                                at,
                            },
                        );
                    }
                    Err(e) => tracing::debug!(error = %e, "cannot record event"),
                }
            }
        });
        Self { tx }
    }

    fn send(&self, regarding: &ObjectReference, warning: bool, reason: &str, message: String) {
        let ev = Pending {
            regarding: regarding.clone(),
            warning,
            reason: reason.to_string(),
            message,
        };
        if self.tx.try_send(ev).is_err() {
            tracing::debug!(reason, "event queue full; dropping event");
        }
    }

    /// A `Normal` event about `regarding`.
    pub(crate) fn normal(&self, regarding: &ObjectReference, reason: &str, message: String) {
        self.send(regarding, false, reason, message);
    }

    /// A `Warning` event about `regarding`.
    pub(crate) fn warning(&self, regarding: &ObjectReference, reason: &str, message: String) {
        self.send(regarding, true, reason, message);
    }
}

/// The message of an API error as upstream prints it in events (`Error creating: ...`).
pub(crate) fn api_message(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => s.message.clone(),
        other => other.to_string(),
    }
}
