//! The controller manager: one module per controller, each a kube-runtime loop against
//! our own API server, all started once this process holds the `kube-controller-manager`
//! Lease in `kube-system` (so several control planes can run it safely).

pub mod context;
pub mod leader;

pub mod cronjob;
pub mod daemonset;
pub mod deployment;
pub mod endpoints;
pub mod endpointslice;
pub mod gc;
pub mod job;
pub mod namespace;
pub mod nodeipam;
pub mod nodelifecycle;
pub mod replicaset;
pub mod replicationcontroller;
pub mod resourcequota;
pub mod serviceaccount;
pub mod shared_pods;
pub mod statefulset;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub use context::{Context, Error, Options};

type ControllerFuture = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;
type StartFn = fn(Arc<Context>) -> ControllerFuture;

/// Every controller by name, as `--controllers` and logs call them.
fn controllers() -> Vec<(&'static str, StartFn)> {
    vec![
        ("deployment", |c| Box::pin(deployment::run(c))),
        ("replicaset", |c| Box::pin(replicaset::run(c))),
        ("replicationcontroller", |c| {
            Box::pin(replicationcontroller::run(c))
        }),
        ("statefulset", |c| Box::pin(statefulset::run(c))),
        ("daemonset", |c| Box::pin(daemonset::run(c))),
        ("job", |c| Box::pin(job::run(c))),
        ("cronjob", |c| Box::pin(cronjob::run(c))),
        ("garbagecollector", |c| Box::pin(gc::run(c))),
        ("namespace", |c| Box::pin(namespace::run(c))),
        ("endpoints", |c| Box::pin(endpoints::run(c))),
        ("endpointslice", |c| Box::pin(endpointslice::run(c))),
        ("serviceaccount", |c| Box::pin(serviceaccount::run(c))),
        ("nodelifecycle", |c| Box::pin(nodelifecycle::run(c))),
        ("nodeipam", |c| Box::pin(nodeipam::run(c))),
        ("resourcequota", |c| Box::pin(resourcequota::run(c))),
    ]
}

/// Runs the controller manager until the process ends: waits for leadership, then runs
/// every enabled controller; a controller that fails is restarted after a pause.
pub async fn run(client: kube::Client, options: Options) -> Result<(), Error> {
    let ctx = Arc::new(Context::new(client, options));
    let lease = leader::LeaderElection::new(
        ctx.client.clone(),
        "kube-system",
        "kube-controller-manager",
        &ctx.options.identity,
    );
    lease.wait_until_leader().await?;
    tracing::info!(identity = %ctx.options.identity, "became leader; starting controllers");
    let renew = tokio::spawn(async move { lease.keep_renewing().await });
    let mut tasks = Vec::new();
    for (name, start) in controllers() {
        if !ctx.options.enabled(name) {
            continue;
        }
        let ctx = ctx.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                match start(ctx.clone()).await {
                    Ok(()) => tracing::info!(controller = name, "controller stopped"),
                    Err(e) => tracing::warn!(controller = name, error = %e, "controller failed; restarting"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }));
    }
    // Losing the lease ends this process's turn: stop everything.
    let lost = renew.await;
    for t in tasks {
        t.abort();
    }
    match lost {
        Ok(Err(e)) => Err(e),
        _ => Err(Error::LeadershipLost),
    }
}
