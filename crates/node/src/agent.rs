//! The agent: connects to containerd, registers the Node, writes the CNI config, keeps the
//! Lease and Node status fresh, and runs the pod watch.

use std::sync::Arc;
use std::time::Duration;

use kubehci_runtime::cri::{self, Cri, api};
use kubehci_volumes::{NodeAllocatable, VolumeManager};

use crate::env::Allocatable;
use crate::events::Recorder;
use crate::objects::ApiObjects;
use crate::register::{self, Machine};
use crate::streaming_glue::PodLocator;
use crate::{NodeConfig, NodeError, Result, cni, images, lease, podwatch};

/// What every pod worker shares.
pub struct Ctx {
    pub cfg: NodeConfig,
    pub client: kube::Client,
    pub cri: Cri,
    pub recorder: Recorder,
    pub volumes: VolumeManager,
    pub alloc: Allocatable,
    pub node_memory: i64,
}

/// How often the Node status is re-reported.
pub const STATUS_INTERVAL: Duration = Duration::from_secs(60);

/// Connects to the CRI socket, waiting up to `wait` for it to appear.
pub async fn connect_runtime(cfg: &NodeConfig, wait: Duration) -> Result<(Cri, String)> {
    let deadline = std::time::Instant::now() + wait;
    loop {
        let attempt = async {
            let c = cri::connect(&cfg.containerd_socket).await?;
            let v = c
                .runtime
                .clone()
                .version(api::VersionRequest {
                    version: "v1".into(),
                })
                .await?
                .into_inner();
            Ok::<_, NodeError>((c, format!("{}://{}", v.runtime_name, v.runtime_version)))
        };
        match attempt.await {
            Ok(r) => return Ok(r),
            Err(e) if std::time::Instant::now() < deadline => {
                tracing::info!(error = %e, "waiting for the container runtime");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// The Node's spec.podCIDR, waiting up to `wait` for the node IPAM controller to assign one.
async fn wait_pod_cidr(
    client: &kube::Client,
    node: &k8s_openapi::api::core::v1::Node,
    wait: Duration,
) -> Option<String> {
    let name = node.metadata.name.clone().unwrap_or_default();
    let api: kube::Api<k8s_openapi::api::core::v1::Node> = kube::Api::all(client.clone());
    let deadline = std::time::Instant::now() + wait;
    let mut current = Some(node.clone());
    loop {
        if let Some(c) = current
            .as_ref()
            .and_then(|n| n.spec.as_ref())
            .and_then(|s| s.pod_cidr.clone())
            .filter(|c| !c.is_empty())
        {
            return Some(c);
        }
        if std::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        current = api.get_opt(&name).await.ok().flatten();
    }
}

/// Runs the node agent until the process ends.
pub async fn run(cfg: NodeConfig, client: kube::Client) -> Result<()> {
    for d in [&cfg.root_dir, &cfg.pod_log_dir] {
        std::fs::create_dir_all(d)
            .map_err(|e| NodeError::io(format!("creating {}", d.display()), e))?;
    }
    let (cri, runtime_version) = connect_runtime(&cfg, Duration::from_secs(60)).await?;
    let machine = Machine::probe(&cfg.root_dir);
    let node = loop {
        match register::register(
            &client,
            &cfg,
            &machine,
            &runtime_version,
            images::node_images(&cri).await,
        )
        .await
        {
            Ok(n) => break n,
            Err(e) => {
                tracing::warn!(error = %e, "cannot register the node; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    tokio::spawn(lease::run(
        client.clone(),
        cfg.node_name.clone(),
        node.metadata.uid.clone(),
    ));
    let pod_cidr = wait_pod_cidr(&client, &node, Duration::from_secs(10))
        .await
        .unwrap_or_else(|| cfg.pod_cidr.clone());
    let conf = cni::write(&cfg.cni_conf_dir, &cfg.node_name, &pod_cidr, &cfg.root_dir)?;
    tracing::info!(node = %cfg.node_name, pod_cidr, conf = %conf.display(), runtime = %runtime_version, "node agent started");

    {
        let (client, cfg, machine, rv, cri) = (
            client.clone(),
            cfg.clone(),
            machine.clone(),
            runtime_version.clone(),
            cri.clone(),
        );
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(STATUS_INTERVAL).await;
                if let Err(e) = register::report(
                    &client,
                    &cfg,
                    &machine,
                    &rv,
                    images::node_images(&cri).await,
                )
                .await
                {
                    tracing::warn!(error = %e, "cannot report the node status");
                }
            }
        });
    }
    if let Some((addr, tls)) = cfg.streaming.clone() {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| NodeError::io(format!("cannot listen on {addr}"), e))?;
        let locator = Arc::new(PodLocator {
            cri: cri.clone(),
            node: cfg.node_name.clone(),
        });
        tokio::spawn(async move {
            if let Err(e) =
                kubehci_streaming::node::serve(listener, tls, locator, std::future::pending()).await
            {
                tracing::error!(error = %e, "the streaming server stopped");
            }
        });
    }
    let alloc = Allocatable {
        cpu_millis: machine.cpu_millis,
        memory_bytes: (machine.memory_bytes - 100 * 1024 * 1024).max(0),
        ephemeral_storage_bytes: machine.ephemeral_storage_bytes / 10 * 9,
    };
    let volumes = VolumeManager::new(
        cfg.root_dir.clone(),
        Arc::new(ApiObjects {
            client: client.clone(),
        }),
    )
    .with_node_allocatable(NodeAllocatable {
        cpu_millis: alloc.cpu_millis,
        memory_bytes: alloc.memory_bytes,
        ephemeral_storage_bytes: alloc.ephemeral_storage_bytes,
    });
    let ctx = Arc::new(Ctx {
        recorder: Recorder::new(client.clone(), &cfg.node_name),
        cfg,
        client,
        cri,
        volumes,
        alloc,
        node_memory: machine.memory_bytes,
    });
    podwatch::run(ctx).await;
    Ok(())
}
