//! The EndpointSlice controller (upstream `pkg/controller/endpointslice`): every Service
//! with a selector gets `discovery.k8s.io/v1` EndpointSlices (named `<service>-xxxxx`,
//! labelled with the Service name and `managed-by: endpointslice-controller.k8s.io`,
//! owned by the Service) listing the selected pods with their conditions. It also keeps
//! the `kubernetes` slice in `default` equal to the API server's hand-kept `kubernetes`
//! Endpoints, which upstream's API server reconciler writes.

#[path = "endpointslice_fill.rs"]
mod fill;
#[path = "endpointslice_reconcile.rs"]
mod reconcile;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use futures::stream::{BoxStream, StreamExt as _};
use k8s_openapi::api::core::v1::{Endpoints, Node, Pod, Service};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use kube::api::{Api, DeleteParams, PostParams};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;

use crate::context::{Context, Error};
use crate::endpoints::enqueue_services_selecting;
use crate::endpoints::pods::{self, PodIndex, TriggerTimes};
use crate::endpoints::workqueue::{
    self, Synced, WorkQueue, WriteTracker, informer, is_namespace_terminating, is_not_found, key,
    lock, object_key, split_key,
};
use reconcile::{CONTROLLER_NAME, MANAGED_BY_LABEL, SERVICE_NAME_LABEL};

/// The queue key of the `kubernetes` slice mirrored from its Endpoints.
const MIRROR_KEY: &str = "mirror:default/kubernetes";

enum Ev {
    Svc(watcher::Event<Service>),
    Pod(watcher::Event<Pod>),
    Slice(watcher::Event<EndpointSlice>),
    Mirror(watcher::Event<Endpoints>),
    Other,
}

struct Controller {
    client: kube::Client,
    services: Store<Service>,
    pods: Store<Pod>,
    nodes: Store<Node>,
    slices: Store<EndpointSlice>,
    apiserver_endpoints: Store<Endpoints>,
    queue: Arc<WorkQueue>,
    writes: WriteTracker,
    triggers: Mutex<TriggerTimes>,
}

pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let client = ctx.client.clone();
    let cfg = watcher::Config::default;
    let managed = format!("{MANAGED_BY_LABEL}={CONTROLLER_NAME}");
    let (services, svc_events) = informer(Api::all(client.clone()), cfg(), "services");
    let (pods, pod_events) = ctx.pods().await;
    let (nodes, node_events) = informer(Api::all(client.clone()), cfg(), "nodes");
    let (slices, slice_events) = informer(
        Api::all(client.clone()),
        cfg().labels(&managed),
        "endpointslices",
    );
    let (apiserver_endpoints, mirror_events) = informer(
        Api::namespaced(client.clone(), "default"),
        cfg().fields("metadata.name=kubernetes"),
        "endpoints",
    );
    let c = Arc::new(Controller {
        client,
        services,
        pods,
        nodes,
        slices,
        apiserver_endpoints,
        queue: WorkQueue::new(),
        writes: WriteTracker::default(),
        triggers: Mutex::new(TriggerTimes::default()),
    });
    let events = futures::stream::select_all([
        svc_events.map(Ev::Svc).boxed(),
        pod_events.map(Ev::Pod).boxed(),
        node_events.map(|_| Ev::Other).boxed(),
        slice_events.map(Ev::Slice).boxed(),
        mirror_events.map(Ev::Mirror).boxed(),
    ]);
    tokio::select! {
        () = c.handle_events(events.boxed()) => Err(Error::Other("endpointslice: watches ended".into())),
        r = c.work() => r,
    }
}

impl Controller {
    async fn handle_events(&self, mut events: BoxStream<'static, Ev>) {
        use watcher::Event::{Apply, Delete, Init, InitApply, InitDone};
        let mut index = PodIndex::default();
        while let Some(ev) = events.next().await {
            match ev {
                Ev::Svc(Apply(s) | InitApply(s) | Delete(s)) => self.queue.add(object_key(&s)),
                Ev::Svc(InitDone) | Ev::Pod(InitDone) => {
                    for s in self.services.state() {
                        self.queue.add(object_key(&*s));
                    }
                }
                Ev::Pod(Init) => index.clear(),
                Ev::Pod(InitApply(p)) => {
                    index.apply(&p);
                }
                Ev::Pod(Apply(p)) => {
                    let sets = index.apply(&p);
                    enqueue_services_selecting(&self.queue, &self.services, &p, &sets);
                }
                Ev::Pod(Delete(p)) => {
                    let sets = index.delete(&p);
                    enqueue_services_selecting(&self.queue, &self.services, &p, &sets);
                }
                // A managed slice changed or went away: its Service is checked again
                // (a no-op when the change was ours).
                Ev::Slice(Apply(s) | Delete(s)) => {
                    let labels = s.metadata.labels.as_ref();
                    if let Some(svc) = labels.and_then(|l| l.get(SERVICE_NAME_LABEL)) {
                        let ns = s.metadata.namespace.as_deref().unwrap_or("");
                        self.queue.add(key(ns, svc));
                    }
                }
                Ev::Mirror(Apply(_) | InitApply(_) | Delete(_) | InitDone) => {
                    self.queue.add(MIRROR_KEY.into())
                }
                Ev::Svc(Init) | Ev::Slice(_) | Ev::Mirror(_) | Ev::Other => {}
            }
        }
    }

    async fn work(self: &Arc<Self>) -> Result<(), Error> {
        let gone = |_| Error::Other("endpointslice: informer stopped".into());
        self.services.wait_until_ready().await.map_err(gone)?;
        self.pods.wait_until_ready().await.map_err(gone)?;
        self.nodes.wait_until_ready().await.map_err(gone)?;
        self.slices.wait_until_ready().await.map_err(gone)?;
        self.apiserver_endpoints
            .wait_until_ready()
            .await
            .map_err(gone)?;
        loop {
            let key = self.queue.next().await;
            let result = match key.strip_prefix("mirror:") {
                Some(_) => self.sync_mirror().await.map(|()| Synced::Done),
                None => self.sync(&key).await,
            };
            self.queue.finish(key, "endpoint slices", result);
        }
    }

    /// The managed slices of Service `ns/name` in the cache.
    fn slices_of(&self, ns: &str, name: &str) -> Vec<Arc<EndpointSlice>> {
        self.slices.state_filter(|s| {
            s.metadata.namespace.as_deref() == Some(ns)
                && s.metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(SERVICE_NAME_LABEL))
                    .is_some_and(|n| n == name)
        })
    }

    async fn sync(&self, key: &str) -> Result<Synced, Error> {
        let (ns, name) = split_key(key);
        let api: Api<EndpointSlice> = Api::namespaced(self.client.clone(), ns);
        let existing = self.slices_of(ns, name);
        let Some(svc) = self.services.get(&ObjectRef::new(name).within(ns)) else {
            // The garbage collector removes the slices of a deleted Service through their
            // owner reference; remove them here too so they never outlive it.
            for s in existing {
                let slice = s.metadata.name.as_deref().unwrap_or("");
                match api.delete(slice, &DeleteParams::default()).await {
                    Err(e) if !is_not_found(&e) => return Err(e.into()),
                    _ => {}
                }
            }
            self.writes.forget(key);
            lock(&self.triggers).delete(key);
            return Ok(Synced::Done);
        };
        let Some(selector) =
            pods::selector(&svc).filter(|_| pods::service_type(&svc) != "ExternalName")
        else {
            return Ok(Synced::Done);
        };
        let cached = |slice: &str| {
            let r = ObjectRef::new(slice).within(ns);
            self.slices.get(&r).map(|s| workqueue::revision(&*s))
        };
        if self.writes.is_stale(key, cached) {
            return Ok(Synced::CacheStale);
        }
        let selected: Vec<Arc<Pod>> = self
            .pods
            .state()
            .into_iter()
            .filter(|p| p.metadata.namespace.as_deref() == Some(ns))
            .filter(|p| pods::selects(selector, p.metadata.labels.as_ref()))
            .collect();
        let trigger = lock(&self.triggers).compute(key, &svc, &selected);
        let node = |n: &str| self.nodes.get(&ObjectRef::new(n));
        let plan = reconcile::reconcile(&svc, &selected, node, &existing);
        let annotate = |slice: &mut EndpointSlice| {
            let mut a = slice.metadata.annotations.take().unwrap_or_default();
            match trigger {
                Some(t) => a.insert(pods::TRIGGER_TIME_ANNOTATION.into(), pods::format_time(t)),
                None => a.remove(pods::TRIGGER_TIME_ANNOTATION),
            };
            slice.metadata.annotations = (!a.is_empty()).then_some(a);
        };
        let pp = PostParams::default();
        // No new slices for a Service being deleted (the garbage collector is at work).
        if svc.metadata.deletion_timestamp.is_none() {
            for mut slice in plan.create {
                annotate(&mut slice);
                match api.create(&pp, &slice).await {
                    Ok(s) => self
                        .writes
                        .wrote(key, &object_name(&s), workqueue::revision(&s)),
                    Err(e) if is_namespace_terminating(&e) => return Ok(Synced::Done),
                    Err(e) => return Err(e.into()),
                }
            }
        }
        for mut slice in plan.update {
            annotate(&mut slice);
            let written = api.replace(&object_name(&slice), &pp, &slice).await?;
            self.writes
                .wrote(key, &object_name(&written), workqueue::revision(&written));
        }
        for slice in plan.delete {
            let slice_name = object_name(&slice);
            match api.delete(&slice_name, &DeleteParams::default()).await {
                Err(e) if !is_not_found(&e) => return Err(e.into()),
                _ => self.writes.deleted(key, &slice_name),
            }
        }
        match plan.skipped.is_empty() {
            true => Ok(Synced::Done),
            false => Err(Error::Other(plan.skipped.join("; "))),
        }
    }

    /// Keeps `default/kubernetes` EndpointSlice equal to the `kubernetes` Endpoints.
    async fn sync_mirror(&self) -> Result<(), Error> {
        let Some(ep) = self
            .apiserver_endpoints
            .get(&ObjectRef::new("kubernetes").within("default"))
        else {
            return Ok(());
        };
        let api: Api<EndpointSlice> = Api::namespaced(self.client.clone(), "default");
        let current = api.get_opt("kubernetes").await?;
        let desired = mirror_slice(&ep, current.clone());
        match current {
            None => {
                api.create(&PostParams::default(), &desired).await?;
            }
            Some(cur)
                if cur.endpoints != desired.endpoints
                    || cur.ports.clone().unwrap_or_default()
                        != desired.ports.clone().unwrap_or_default()
                    || cur.metadata.labels != desired.metadata.labels =>
            {
                api.replace("kubernetes", &PostParams::default(), &desired)
                    .await?;
            }
            Some(_) => {}
        }
        Ok(())
    }
}

fn object_name(s: &EndpointSlice) -> String {
    s.metadata.name.clone().unwrap_or_default()
}

/// The `kubernetes` slice as upstream's API server endpoint reconciler writes it: one
/// ready endpoint per API server IP, the Endpoints' ports, only the service-name label.
fn mirror_slice(ep: &Endpoints, current: Option<EndpointSlice>) -> EndpointSlice {
    let subsets = ep.subsets.iter().flatten();
    let mut ips: Vec<String> = subsets
        .clone()
        .flat_map(|s| s.addresses.iter().flatten().map(|a| a.ip.clone()))
        .filter(|ip| !pods::is_ipv6(ip))
        .collect();
    ips.sort();
    ips.dedup();
    let ports = subsets
        .flat_map(|s| s.ports.iter().flatten())
        .map(|p| EndpointPort {
            name: Some(p.name.clone().unwrap_or_default()),
            port: Some(p.port),
            protocol: Some(p.protocol.clone().unwrap_or_else(|| "TCP".into())),
            app_protocol: None,
        })
        .collect();
    let mut slice = current.unwrap_or_default();
    slice.metadata.name = Some("kubernetes".into());
    slice.metadata.namespace = Some("default".into());
    slice.metadata.labels = Some(BTreeMap::from([(
        SERVICE_NAME_LABEL.to_string(),
        "kubernetes".to_string(),
    )]));
    slice.address_type = "IPv4".into();
    slice.endpoints = ips
        .into_iter()
        .map(|ip| Endpoint {
            addresses: vec![ip],
            conditions: Some(EndpointConditions {
                ready: Some(true),
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect();
    slice.ports = Some(ports);
    slice
}
