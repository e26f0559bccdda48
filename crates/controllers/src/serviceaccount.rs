//! The serviceaccount controller (upstream `pkg/controller/serviceaccount`): every active
//! namespace has a `default` ServiceAccount, created when the namespace appears and again
//! whenever it is deleted. With it runs upstream's root-CA publisher
//! (`pkg/controller/certificates/rootcacertpublisher`): every active namespace has the
//! `kube-root-ca.crt` ConfigMap holding the cluster CA (`ca.crt`), which the projected
//! service-account volumes of pods mount.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::stream::{BoxStream, StreamExt as _};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, ServiceAccount};
use kube::api::{Api, PostParams};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;

use crate::context::{Context, Error};
use crate::endpoints::workqueue::{
    Synced, WorkQueue, informer, is_already_exists, is_namespace_terminating, is_not_found,
};

const DEFAULT_ACCOUNT: &str = "default";
const ROOT_CA_CONFIGMAP: &str = "kube-root-ca.crt";
const ROOT_CA_KEY: &str = "ca.crt";
const DESCRIPTION_ANNOTATION: &str = "kubernetes.io/description";
const DESCRIPTION: &str = "Contains a CA bundle that can be used to verify the kube-apiserver \
    when using internal endpoints such as the internal service IP or kubernetes.default.svc. \
    No other usage is guaranteed across distributions of Kubernetes clusters.";
/// A file holding the cluster CA (PEM) to publish.
pub const ROOT_CA_FILE_ENV: &str = "KUBEHCI_ROOT_CA_FILE";

enum Ev {
    Ns(watcher::Event<Namespace>),
    Account(watcher::Event<ServiceAccount>),
    Ca(watcher::Event<ConfigMap>),
}

struct Controller {
    client: kube::Client,
    namespaces: Store<Namespace>,
    accounts: Store<ServiceAccount>,
    configmaps: Store<ConfigMap>,
    root_ca: Option<String>,
    queue: Arc<WorkQueue>,
}

/// The cluster CA to publish, from the file named by [`ROOT_CA_FILE_ENV`].
fn root_ca() -> Option<String> {
    let path = std::env::var_os(ROOT_CA_FILE_ENV)?;
    match std::fs::read_to_string(&path) {
        Ok(pem) if !pem.trim().is_empty() => Some(pem),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(path = ?path, error = %e, "cannot read the cluster CA");
            None
        }
    }
}

pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let client = ctx.client.clone();
    let root_ca = ctx.options.root_ca_pem.clone().or_else(root_ca);
    if root_ca.is_none() {
        tracing::warn!("no cluster CA configured: kube-root-ca.crt ConfigMaps are not published");
    }
    let cfg = watcher::Config::default;
    let (namespaces, ns_events) = informer(Api::all(client.clone()), cfg(), "namespaces");
    let by_name = |n: &str| cfg().fields(&format!("metadata.name={n}"));
    let (accounts, sa_events) = informer(
        Api::all(client.clone()),
        by_name(DEFAULT_ACCOUNT),
        "serviceaccounts",
    );
    let (configmaps, cm_events) = informer(
        Api::all(client.clone()),
        by_name(ROOT_CA_CONFIGMAP),
        "configmaps",
    );
    let c = Arc::new(Controller {
        client,
        namespaces,
        accounts,
        configmaps,
        root_ca,
        queue: WorkQueue::new(),
    });
    let events = futures::stream::select_all([
        ns_events.map(Ev::Ns).boxed(),
        sa_events.map(Ev::Account).boxed(),
        cm_events.map(Ev::Ca).boxed(),
    ]);
    tokio::select! {
        () = c.handle_events(events.boxed()) => Err(Error::Other("serviceaccount: watches ended".into())),
        r = c.work() => r,
    }
}

fn namespace_of<K: kube::Resource>(obj: &K) -> String {
    obj.meta().namespace.clone().unwrap_or_default()
}

impl Controller {
    async fn handle_events(&self, mut events: BoxStream<'static, Ev>) {
        use watcher::Event::{Apply, Delete, InitApply, InitDone};
        while let Some(ev) = events.next().await {
            match ev {
                Ev::Ns(Apply(n) | InitApply(n)) => {
                    self.queue.add(n.metadata.name.clone().unwrap_or_default())
                }
                Ev::Ns(InitDone) => {
                    for n in self.namespaces.state() {
                        self.queue.add(n.metadata.name.clone().unwrap_or_default());
                    }
                }
                Ev::Account(Delete(sa)) => self.queue.add(namespace_of(&sa)),
                Ev::Ca(Apply(cm) | Delete(cm)) => self.queue.add(namespace_of(&cm)),
                Ev::Ns(_) | Ev::Account(_) | Ev::Ca(_) => {}
            }
        }
    }

    async fn work(self: &Arc<Self>) -> Result<(), Error> {
        let gone = |_| Error::Other("serviceaccount: informer stopped".into());
        self.namespaces.wait_until_ready().await.map_err(gone)?;
        self.accounts.wait_until_ready().await.map_err(gone)?;
        self.configmaps.wait_until_ready().await.map_err(gone)?;
        loop {
            let ns = self.queue.next().await;
            let result = self.sync(&ns).await.map(|()| Synced::Done);
            self.queue.finish(ns, "namespace", result);
        }
    }

    async fn sync(&self, ns: &str) -> Result<(), Error> {
        let Some(namespace) = self.namespaces.get(&ObjectRef::new(ns)) else {
            return Ok(());
        };
        let phase = namespace.status.as_ref().and_then(|s| s.phase.as_deref());
        if namespace.metadata.deletion_timestamp.is_some() || phase == Some("Terminating") {
            // Nothing is created in a namespace on its way out.
            return Ok(());
        }
        let accounts = self.ensure_default_account(ns).await;
        let ca = self.ensure_root_ca(ns).await;
        accounts.and(ca)
    }

    async fn ensure_default_account(&self, ns: &str) -> Result<(), Error> {
        if self
            .accounts
            .get(&ObjectRef::new(DEFAULT_ACCOUNT).within(ns))
            .is_some()
        {
            return Ok(());
        }
        let mut sa = ServiceAccount::default();
        sa.metadata.name = Some(DEFAULT_ACCOUNT.into());
        let api: Api<ServiceAccount> = Api::namespaced(self.client.clone(), ns);
        created(api.create(&PostParams::default(), &sa).await)
    }

    async fn ensure_root_ca(&self, ns: &str) -> Result<(), Error> {
        let Some(pem) = self.root_ca.as_deref() else {
            return Ok(());
        };
        let api: Api<ConfigMap> = Api::namespaced(self.client.clone(), ns);
        let data = BTreeMap::from([(ROOT_CA_KEY.to_string(), pem.to_string())]);
        let current = self
            .configmaps
            .get(&ObjectRef::new(ROOT_CA_CONFIGMAP).within(ns));
        let Some(cm) = current.as_deref() else {
            let mut cm = ConfigMap {
                data: Some(data),
                ..Default::default()
            };
            cm.metadata.name = Some(ROOT_CA_CONFIGMAP.into());
            cm.metadata.annotations = Some(BTreeMap::from([(
                DESCRIPTION_ANNOTATION.to_string(),
                DESCRIPTION.to_string(),
            )]));
            return created(api.create(&PostParams::default(), &cm).await);
        };
        let described = cm
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(DESCRIPTION_ANNOTATION))
            .is_some_and(|d| !d.is_empty());
        if cm.data.as_ref() == Some(&data) && described {
            return Ok(());
        }
        let mut cm = cm.clone();
        cm.data = Some(data);
        cm.metadata
            .annotations
            .get_or_insert_with(BTreeMap::new)
            .insert(DESCRIPTION_ANNOTATION.into(), DESCRIPTION.into());
        api.replace(ROOT_CA_CONFIGMAP, &PostParams::default(), &cm)
            .await?;
        Ok(())
    }
}

/// The outcome of a create: existing already, or a namespace that is gone or going, is
/// fine.
fn created<K>(result: Result<K, kube::Error>) -> Result<(), Error> {
    match result {
        Ok(_) => Ok(()),
        Err(e) if is_already_exists(&e) || is_not_found(&e) || is_namespace_terminating(&e) => {
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn description_matches_upstream() {
        assert_eq!(
            DESCRIPTION,
            "Contains a CA bundle that can be used to verify the kube-apiserver when using \
             internal endpoints such as the internal service IP or kubernetes.default.svc. No \
             other usage is guaranteed across distributions of Kubernetes clusters."
        );
    }

    #[test]
    fn creates_tolerate_races_with_namespace_deletion() {
        let status = |code: u16, reason: &str, message: &str| {
            kube::Error::Api(Box::new(kube::core::Status {
                code,
                reason: reason.into(),
                message: message.into(),
                ..kube::core::Status::failure(message, reason)
            }))
        };
        assert!(created::<()>(Err(status(409, "AlreadyExists", "exists"))).is_ok());
        let terminating = "serviceaccounts \"default\" is forbidden: unable to create new content \
            in namespace x because it is being terminated";
        assert!(created::<()>(Err(status(403, "Forbidden", terminating))).is_ok());
        assert!(created::<()>(Err(status(500, "InternalError", "boom"))).is_err());
    }
}
