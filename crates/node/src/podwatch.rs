//! Watches the pods bound to this node and runs one [`crate::podworker`] per pod; after each
//! (re)list it removes what the runtime and disk still hold for pods that no longer exist.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use futures::StreamExt as _;
use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use kube::runtime::watcher::{self, Event};
use kubehci_runtime::cri::api;
use tokio::sync::{Notify, watch};

use crate::agent::Ctx;
use crate::{killing, labels, podworker};

struct Workers {
    ctx: Arc<Ctx>,
    senders: HashMap<String, (watch::Sender<Option<Pod>>, Arc<Notify>)>,
}

impl Workers {
    fn apply(&mut self, pod: Pod) {
        let Some(uid) = pod.metadata.uid.clone() else {
            return;
        };
        if let Some((tx, _)) = self.senders.get(&uid)
            && !tx.is_closed()
        {
            tx.send_replace(Some(pod));
            return;
        }
        let (tx, rx) = watch::channel(Some(pod));
        let wake = Arc::new(Notify::new());
        tokio::spawn(podworker::run(self.ctx.clone(), rx, wake.clone()));
        self.senders.insert(uid, (tx, wake));
    }

    fn delete(&mut self, uid: &str) {
        if let Some((tx, _)) = self.senders.remove(uid) {
            tx.send_replace(None);
        }
    }

    fn wake(&self, uid: &str) {
        if let Some((_, w)) = self.senders.get(uid) {
            w.notify_one();
        }
    }
}

/// The pod lifecycle event generator: one CRI list of the node's containers per tick; every
/// pod whose containers changed state is woken at once (instead of at its next resync).
#[derive(Default)]
struct Pleg {
    states: HashMap<String, (String, i32)>,
}

impl Pleg {
    async fn relist(&mut self, ctx: &Ctx, workers: &Workers) {
        let mut rt = ctx.cri.runtime.clone();
        let Ok(list) = rt
            .list_containers(api::ListContainersRequest {
                filter: Some(api::ContainerFilter {
                    label_selector: labels::node_selector(&ctx.cfg.node_name),
                    ..Default::default()
                }),
            })
            .await
        else {
            return;
        };
        let mut next = HashMap::new();
        for c in list.into_inner().containers {
            let uid = c.labels.get(labels::POD_UID).cloned().unwrap_or_default();
            if self.states.get(&c.id).map(|(_, s)| *s) != Some(c.state) {
                workers.wake(&uid);
            }
            next.insert(c.id, (uid, c.state));
        }
        for (id, (uid, _)) in &self.states {
            if !next.contains_key(id) {
                workers.wake(uid);
            }
        }
        self.states = next;
    }
}

/// Removes sandboxes (with their containers) and volume directories of pods not in `live`.
pub async fn sweep_orphans(ctx: &Ctx, live: &HashSet<String>) {
    let mut rt = ctx.cri.runtime.clone();
    let sandboxes = match rt
        .list_pod_sandbox(api::ListPodSandboxRequest {
            filter: Some(api::PodSandboxFilter {
                label_selector: labels::node_selector(&ctx.cfg.node_name),
                ..Default::default()
            }),
        })
        .await
    {
        Ok(r) => r.into_inner().items,
        Err(e) => {
            tracing::warn!(error = %e, "cannot list sandboxes");
            return;
        }
    };
    let mut orphans: HashSet<String> = sandboxes
        .iter()
        .filter_map(|s| s.labels.get(labels::POD_UID).cloned())
        .filter(|uid| !live.contains(uid))
        .collect();
    orphans.extend(
        ctx.volumes
            .orphaned_pods()
            .into_iter()
            .filter(|uid| !live.contains(uid)),
    );
    for uid in orphans {
        tracing::info!(pod = %uid, "removing the remains of a deleted pod");
        killing::cleanup(ctx, &uid).await;
    }
}

/// Runs the pod watch until the process ends.
pub async fn run(ctx: Arc<Ctx>) {
    let api: Api<Pod> = Api::all(ctx.client.clone());
    let cfg = watcher::Config::default().fields(&format!("spec.nodeName={}", ctx.cfg.node_name));
    let mut stream = watcher::watcher(api, cfg).boxed();
    let mut workers = Workers {
        ctx: ctx.clone(),
        senders: HashMap::new(),
    };
    let mut listing: HashSet<String> = HashSet::new();
    let mut pleg = Pleg::default();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        let ev = tokio::select! {
            ev = stream.next() => match ev {
                Some(ev) => ev,
                None => break,
            },
            _ = tick.tick() => {
                pleg.relist(&ctx, &workers).await;
                continue;
            }
        };
        match ev {
            Ok(Event::Init) => listing.clear(),
            Ok(Event::InitApply(pod)) => {
                if let Some(uid) = &pod.metadata.uid {
                    listing.insert(uid.clone());
                }
                workers.apply(pod);
            }
            Ok(Event::InitDone) => {
                let gone: Vec<String> = workers
                    .senders
                    .keys()
                    .filter(|u| !listing.contains(*u))
                    .cloned()
                    .collect();
                for uid in gone {
                    workers.delete(&uid);
                }
                sweep_orphans(&ctx, &listing).await;
            }
            Ok(Event::Apply(pod)) => workers.apply(pod),
            Ok(Event::Delete(pod)) => {
                if let Some(uid) = &pod.metadata.uid {
                    workers.delete(uid);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "pod watch failed; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}
