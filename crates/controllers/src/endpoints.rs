//! The endpoints controller (upstream `pkg/controller/endpoint`): every Service with a
//! selector gets an Endpoints object of its name listing the selected pods' addresses
//! (ready ones in `addresses`, the others in `notReadyAddresses` unless the Service
//! publishes not-ready addresses) on the ports its target ports resolve to. Endpoints of
//! Services without a selector are left to whoever writes them; a deleted Service loses its
//! Endpoints.

#[path = "endpoints_pods.rs"]
pub(crate) mod pods;
#[path = "endpoints_subsets.rs"]
mod subsets;
#[path = "endpoints_workqueue.rs"]
pub(crate) mod workqueue;

use std::sync::{Arc, Mutex};

use futures::stream::{BoxStream, StreamExt as _};
use k8s_openapi::api::core::v1::{Endpoints, Pod, Service};
use kube::Resource as _;
use kube::api::{Api, DeleteParams, PostParams};
use kube::runtime::events::{Event, EventType, Recorder};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;

use crate::context::{Context, Error};
use pods::{Labels, PodIndex, TriggerTimes};
use workqueue::{Synced, WorkQueue, WriteTracker, informer, key, lock, object_key, split_key};

/// Endpoints written by leader election (not by a Service) carry this annotation.
const LEADER_ANNOTATION: &str = "control-plane.alpha.kubernetes.io/leader";
/// Set on the Endpoints of headless Services.
pub(crate) const HEADLESS_LABEL: &str = "service.kubernetes.io/headless";

enum Ev {
    Svc(watcher::Event<Service>),
    Pod(watcher::Event<Pod>),
    Ep(watcher::Event<Endpoints>),
}

struct Controller {
    client: kube::Client,
    recorder: Recorder,
    services: Store<Service>,
    pods: Store<Pod>,
    endpoints: Store<Endpoints>,
    queue: Arc<WorkQueue>,
    writes: WriteTracker,
    triggers: Mutex<TriggerTimes>,
}

pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let client = ctx.client.clone();
    let cfg = watcher::Config::default;
    let (services, svc_events) = informer(Api::all(client.clone()), cfg(), "services");
    let (pods, pod_events) = ctx.pods().await;
    let (endpoints, ep_events) = informer(Api::all(client.clone()), cfg(), "endpoints");
    let c = Arc::new(Controller {
        recorder: ctx.recorder_for("endpoint-controller"),
        client,
        services,
        pods,
        endpoints,
        queue: WorkQueue::new(),
        writes: WriteTracker::default(),
        triggers: Mutex::new(TriggerTimes::default()),
    });
    let events = futures::stream::select_all([
        svc_events.map(Ev::Svc).boxed(),
        pod_events.map(Ev::Pod).boxed(),
        ep_events.map(Ev::Ep).boxed(),
    ]);
    tokio::select! {
        () = c.handle_events(events.boxed()) => Err(Error::Other("endpoints: watches ended".into())),
        r = c.work() => r,
    }
}

/// Queues the Services in `pod`'s namespace whose selector matches any of `label_sets` (the
/// pod's labels before and after a change).
pub(crate) fn enqueue_services_selecting(
    queue: &WorkQueue,
    services: &Store<Service>,
    pod: &Pod,
    label_sets: &[Labels],
) {
    if label_sets.is_empty() {
        return;
    }
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("");
    let keys = services
        .state()
        .iter()
        .filter(|s| s.metadata.namespace.as_deref() == Some(namespace))
        .filter(|s| {
            pods::selector(s)
                .is_some_and(|sel| label_sets.iter().any(|l| pods::selects(sel, Some(l))))
        })
        .map(|s| key(namespace, s.metadata.name.as_deref().unwrap_or("")))
        .collect::<Vec<_>>();
    for k in keys {
        queue.add(k);
    }
}

impl Controller {
    async fn handle_events(&self, mut events: BoxStream<'static, Ev>) {
        let mut index = PodIndex::default();
        while let Some(ev) = events.next().await {
            match ev {
                Ev::Svc(watcher::Event::Apply(s) | watcher::Event::InitApply(s))
                | Ev::Svc(watcher::Event::Delete(s)) => self.queue.add(object_key(&s)),
                Ev::Svc(watcher::Event::InitDone) | Ev::Pod(watcher::Event::InitDone) => {
                    for s in self.services.state() {
                        self.queue.add(object_key(&*s));
                    }
                }
                Ev::Pod(watcher::Event::Init) => index.clear(),
                Ev::Pod(watcher::Event::InitApply(p)) => {
                    index.apply(&p);
                }
                Ev::Pod(watcher::Event::Apply(p)) => {
                    let sets = index.apply(&p);
                    enqueue_services_selecting(&self.queue, &self.services, &p, &sets);
                }
                Ev::Pod(watcher::Event::Delete(p)) => {
                    let sets = index.delete(&p);
                    enqueue_services_selecting(&self.queue, &self.services, &p, &sets);
                }
                Ev::Ep(watcher::Event::Delete(e)) => self.queue.add(object_key(&e)),
                // Endpoints left behind by a Service deleted while we were away.
                Ev::Ep(watcher::Event::InitDone) => {
                    for e in self.endpoints.state() {
                        let annotations = e.metadata.annotations.as_ref();
                        if !annotations.is_some_and(|a| a.contains_key(LEADER_ANNOTATION)) {
                            self.queue.add(object_key(&*e));
                        }
                    }
                }
                Ev::Svc(watcher::Event::Init) | Ev::Ep(_) => {}
            }
        }
    }

    async fn work(self: &Arc<Self>) -> Result<(), Error> {
        let gone = |_| Error::Other("endpoints: informer stopped".into());
        self.services.wait_until_ready().await.map_err(gone)?;
        self.pods.wait_until_ready().await.map_err(gone)?;
        self.endpoints.wait_until_ready().await.map_err(gone)?;
        loop {
            let key = self.queue.next().await;
            let result = self.sync(&key).await;
            self.queue.finish(key, "endpoints", result);
        }
    }

    async fn sync(&self, key: &str) -> Result<Synced, Error> {
        let (ns, name) = split_key(key);
        let api: Api<Endpoints> = Api::namespaced(self.client.clone(), ns);
        let Some(svc) = self.services.get(&ObjectRef::new(name).within(ns)) else {
            // The Service is gone: so are its Endpoints.
            match api.delete(name, &DeleteParams::default()).await {
                Err(e) if !workqueue::is_not_found(&e) => return Err(e.into()),
                _ => {}
            }
            self.writes.forget(key);
            lock(&self.triggers).delete(key);
            return Ok(Synced::Done);
        };
        let Some(selector) =
            pods::selector(&svc).filter(|_| pods::service_type(&svc) != "ExternalName")
        else {
            // No selector (or ExternalName): the Endpoints are someone else's.
            return Ok(Synced::Done);
        };
        let selected: Vec<Arc<Pod>> = self
            .pods
            .state()
            .into_iter()
            .filter(|p| p.metadata.namespace.as_deref() == Some(ns))
            .filter(|p| pods::selects(selector, p.metadata.labels.as_ref()))
            .collect();
        // Computed before the no-op check so the tracker state stays current.
        let trigger = lock(&self.triggers).compute(key, &svc, &selected);
        let desired = subsets::desired_subsets(&svc, &selected);
        let current = self.endpoints.get(&ObjectRef::new(name).within(ns));
        if self
            .writes
            .is_stale(key, |_| current.as_deref().map(workqueue::revision))
        {
            return Ok(Synced::CacheStale);
        }
        let svc_labels = svc.metadata.labels.clone().unwrap_or_default();
        if let Some(cur) = current.as_deref() {
            let mut labels = cur.metadata.labels.clone().unwrap_or_default();
            labels.remove(HEADLESS_LABEL);
            let over = cur
                .metadata
                .annotations
                .as_ref()
                .is_some_and(|a| a.contains_key(subsets::OVER_CAPACITY_ANNOTATION));
            let have = subsets::normalised(cur.subsets.as_ref());
            if have == desired
                && labels == svc_labels
                && subsets::capacity_annotation_correct(over, &have)
            {
                return Ok(Synced::Done);
            }
        }
        let mut new = current.as_deref().cloned().unwrap_or_else(|| {
            let mut e = Endpoints::default();
            e.metadata.name = Some(name.to_string());
            e.metadata.namespace = Some(ns.to_string());
            e
        });
        let mut desired = desired;
        let truncated = subsets::truncate(&mut desired);
        new.subsets = (!desired.is_empty()).then_some(desired);
        let mut labels = svc_labels;
        if !pods::has_cluster_ip(&svc) {
            labels.insert(HEADLESS_LABEL.into(), String::new());
        }
        new.metadata.labels = (!labels.is_empty()).then_some(labels);
        let mut annotations = new.metadata.annotations.take().unwrap_or_default();
        match trigger {
            Some(t) => {
                annotations.insert(pods::TRIGGER_TIME_ANNOTATION.into(), pods::format_time(t))
            }
            None => annotations.remove(pods::TRIGGER_TIME_ANNOTATION),
        };
        match truncated {
            true => {
                annotations.insert(subsets::OVER_CAPACITY_ANNOTATION.into(), "truncated".into())
            }
            false => annotations.remove(subsets::OVER_CAPACITY_ANNOTATION),
        };
        new.metadata.annotations = (!annotations.is_empty()).then_some(annotations);
        self.write(&api, key, current.is_none(), new).await?;
        Ok(Synced::Done)
    }

    async fn write(
        &self,
        api: &Api<Endpoints>,
        key: &str,
        create: bool,
        new: Endpoints,
    ) -> Result<(), Error> {
        let (ns, name) = split_key(key);
        let pp = PostParams::default();
        let result = match create {
            true => api.create(&pp, &new).await,
            false => api.replace(name, &pp, &new).await,
        };
        match result {
            Ok(written) => {
                self.writes.wrote(key, name, workqueue::revision(&written));
                Ok(())
            }
            Err(e) if create && workqueue::is_namespace_terminating(&e) => Ok(()),
            Err(e) => {
                let (reason, note) = match create {
                    true => (
                        "FailedToCreateEndpoint",
                        format!("Failed to create endpoint for service {ns}/{name}: {e}"),
                    ),
                    false => (
                        "FailedToUpdateEndpoint",
                        format!("Failed to update endpoint {ns}/{name}: {e}"),
                    ),
                };
                let event = Event {
                    type_: EventType::Warning,
                    reason: reason.into(),
                    note: Some(note),
                    action: "Sync".into(),
                    secondary: None,
                };
                if let Err(err) = self.recorder.publish(&event, &new.object_ref(&())).await {
                    tracing::debug!(error = %err, "cannot record event");
                }
                Err(e.into())
            }
        }
    }
}
