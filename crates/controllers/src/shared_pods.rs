//! One pod cache for the whole controller manager (upstream's shared informer): a single
//! watch of all pods fills one store; every controller that needs pods subscribes to its
//! events instead of watching and caching pods itself. Pods are the largest and most numerous
//! objects, so this is most of the controller manager's memory.

use std::sync::Arc;

use futures::stream::{self, BoxStream, StreamExt as _};
use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt as _, watcher};
use tokio::sync::broadcast;

/// Events a subscriber may fall behind by before it is resynced from the store.
const BACKLOG: usize = 8192;

pub struct SharedPods {
    store: Store<Pod>,
    tx: broadcast::Sender<watcher::Event<Pod>>,
    /// True once the first list is in the store. Waiters use this, not
    /// `Store::wait_until_ready`: kube-runtime's readiness wakes only the last of several
    /// tasks waiting on one store at the same time.
    ready: tokio::sync::watch::Receiver<bool>,
}

impl SharedPods {
    /// Starts the pod watch (a task that lives as long as the process).
    pub fn start(client: kube::Client) -> Arc<SharedPods> {
        let (store, writer) = reflector::store();
        let (tx, _) = broadcast::channel(BACKLOG);
        let sender = tx.clone();
        let (ready_tx, ready) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            let events = watcher(Api::<Pod>::all(client), watcher::Config::default())
                .default_backoff()
                .modify(crate::context::lean);
            // The store is updated before an event is sent: a subscriber that sees an
            // event finds it in the store.
            let mut events = std::pin::pin!(reflector::reflector(writer, events));
            while let Some(ev) = events.next().await {
                match ev {
                    Ok(ev) => {
                        if matches!(ev, watcher::Event::InitDone) {
                            ready_tx.send_replace(true);
                        }
                        // No subscriber yet is fine: they start from the store.
                        drop(sender.send(ev));
                    }
                    Err(e) => tracing::warn!(error = %e, "pod watch failed; retrying"),
                }
            }
        });
        Arc::new(SharedPods { store, tx, ready })
    }

    /// The shared store and this subscriber's events: first the whole store as an initial
    /// list (`Init`, `InitApply`..., `InitDone`), then every change; after falling behind, the
    /// store again as a new initial list.
    /// Returns once the store holds the first list, so that callers may use the store's own
    /// `wait_until_ready` freely afterwards (it is ready).
    pub async fn subscribe(&self) -> (Store<Pod>, BoxStream<'static, watcher::Event<Pod>>) {
        let rx = self.tx.subscribe();
        let mut ready = self.ready.clone();
        let _ = ready.wait_for(|r| *r).await;
        let store = self.store.clone();
        let events = stream::unfold(
            (store.clone(), rx, true),
            |(store, mut rx, mut resync)| async move {
                loop {
                    if resync {
                        // The store is ready (`subscribe` waited). What is queued now is in
                        // the store already.
                        while rx.try_recv().is_ok() {}
                        let snapshot = snapshot(&store);
                        return Some((stream::iter(snapshot), (store, rx, false)));
                    }
                    match rx.recv().await {
                        Ok(ev) => return Some((stream::iter(vec![ev]), (store, rx, false))),
                        Err(broadcast::error::RecvError::Lagged(n)) => {
                            tracing::info!(missed = n, "pod subscriber fell behind; resyncing");
                            resync = true;
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            },
        )
        .flatten()
        .boxed();
        (store, events)
    }
}

fn snapshot(store: &Store<Pod>) -> Vec<watcher::Event<Pod>> {
    let mut out = vec![watcher::Event::Init];
    out.extend(
        store
            .state()
            .into_iter()
            .map(|p| watcher::Event::InitApply((*p).clone())),
    );
    out.push(watcher::Event::InitDone);
    out
}
