//! Watches that feed the scheduling loop: each one lists then watches its kind (restarting
//! with backoff on errors) and sends changes, a relist arriving as one `Replace`.

use std::fmt::Debug;

use futures::StreamExt as _;
use k8s_openapi::api::core::v1::{Namespace, Node, Pod};
use k8s_openapi::api::scheduling::v1::PriorityClass;
use kube::api::{Api, ListParams};
use kube::runtime::WatchStreamExt as _;
use kube::runtime::watcher::{self, Event};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

/// A change of one kind.
#[derive(Debug)]
pub enum Change<K> {
    Apply(K),
    Delete(K),
    /// The complete set after a (re)list.
    Replace(Vec<K>),
}

/// What the scheduling loop receives.
#[derive(Debug)]
pub enum Input {
    Nodes(Change<Node>),
    Pods(Change<Pod>),
    Namespaces(Change<Namespace>),
    Classes(Change<PriorityClass>),
    /// A binding succeeded (the watch will show it too).
    Bound(String),
    /// A binding failed: forget the assumed pod and retry it.
    BindFailed(String),
}

fn spawn_watch<K>(
    api: Api<K>,
    tx: UnboundedSender<Input>,
    wrap: fn(Change<K>) -> Input,
) -> JoinHandle<()>
where
    K: kube::Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    tokio::spawn(async move {
        // managedFields are never read here and are often the larger part of a pod.
        let mut stream = watcher::watcher(api, watcher::Config::default())
            .default_backoff()
            .modify(|k: &mut K| k.meta_mut().managed_fields = None)
            .boxed();
        let mut buffer: Vec<K> = Vec::new();
        while let Some(ev) = stream.next().await {
            let change = match ev {
                Ok(Event::Init) => {
                    buffer.clear();
                    continue;
                }
                Ok(Event::InitApply(k)) => {
                    buffer.push(k);
                    continue;
                }
                Ok(Event::InitDone) => Change::Replace(std::mem::take(&mut buffer)),
                Ok(Event::Apply(k)) => Change::Apply(k),
                Ok(Event::Delete(k)) => Change::Delete(k),
                Err(e) => {
                    tracing::debug!(error = %e, "scheduler watch error; retrying");
                    continue;
                }
            };
            if tx.send(wrap(change)).is_err() {
                return;
            }
        }
    })
}

/// Starts the watches; PriorityClasses only when this identity may list them.
pub async fn start(client: &kube::Client, tx: &UnboundedSender<Input>) -> Vec<JoinHandle<()>> {
    let mut tasks = vec![
        spawn_watch(Api::<Node>::all(client.clone()), tx.clone(), Input::Nodes),
        spawn_watch(Api::<Pod>::all(client.clone()), tx.clone(), Input::Pods),
        spawn_watch(
            Api::<Namespace>::all(client.clone()),
            tx.clone(),
            Input::Namespaces,
        ),
    ];
    let classes = Api::<PriorityClass>::all(client.clone());
    match classes.list(&ListParams::default().limit(1)).await {
        Ok(_) => tasks.push(spawn_watch(classes, tx.clone(), Input::Classes)),
        Err(e) => tracing::info!(
            error = %e,
            "cannot list PriorityClasses; pods without spec.priority count as priority 0"
        ),
    }
    tasks
}
