//! A one-pod cluster for the kubectl tests: a real containerd with a host-network sandbox and
//! busybox containers made through CRI, our API server, and the node streaming server backed
//! by [`super::CriStreams`], with the Node and Pod objects a node agent would report.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use kubehci_auth::pki::ClusterCa;
use kubehci_runtime::containerd::{Containerd, ContainerdConfig};
use kubehci_runtime::cri::api;
use kubehci_runtime::images;

use super::kubectl::{kubectl, ok};
use super::{CriStreams, Instances, serving_files, short_tempdir};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Everything the test made, removed in `Drop` even when the test fails: the pod sandbox
/// (through CRI, before containerd's own teardown) and the API server.
pub struct Cluster {
    containerd: Option<Containerd>,
    cri: kubehci_runtime::Cri,
    sandbox: String,
    pub api: kubehci_apiserver::ServerHandle,
    stop_node: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Removes the pods' cgroup parent when dropped: declared before containerd, it is dropped
/// after it.
pub struct CgroupGuard(pub String);

impl Drop for CgroupGuard {
    fn drop(&mut self) {
        super::remove_cgroup_parent(&self.0);
    }
}

impl Cluster {
    pub async fn teardown(mut self) -> Result<()> {
        let mut rt = self.cri.runtime.clone();
        rt.stop_pod_sandbox(api::StopPodSandboxRequest {
            pod_sandbox_id: self.sandbox.clone(),
        })
        .await?;
        rt.remove_pod_sandbox(api::RemovePodSandboxRequest {
            pod_sandbox_id: self.sandbox.clone(),
        })
        .await?;
        if let Some(c) = self.containerd.take() {
            c.teardown().await?;
        }
        Ok(())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.api.stop();
        if let Some(s) = self.stop_node.take() {
            let _ = s.send(());
        }
        // A containerd still held here (the test failed) is torn down by its own Drop.
        drop(self.containerd.take());
    }
}

pub async fn container(
    cri: &kubehci_runtime::Cri,
    sandbox: &str,
    sandbox_config: &api::PodSandboxConfig,
    name: &str,
    attempt: u32,
    script: &str,
) -> Result<String> {
    let mut rt = cri.runtime.clone();
    let config = api::ContainerConfig {
        metadata: Some(api::ContainerMetadata {
            name: name.to_string(),
            attempt,
        }),
        image: Some(api::ImageSpec {
            image: images::BUSYBOX_IMAGE.to_string(),
            ..Default::default()
        }),
        command: vec!["sh".into(), "-c".into(), script.into()],
        log_path: format!("{name}/{attempt}.log"),
        stdin: true,
        stdin_once: name == "att",
        ..Default::default()
    };
    let id = rt
        .create_container(api::CreateContainerRequest {
            pod_sandbox_id: sandbox.to_string(),
            config: Some(config),
            sandbox_config: Some(sandbox_config.clone()),
        })
        .await?
        .into_inner()
        .container_id;
    rt.start_container(api::StartContainerRequest {
        container_id: id.clone(),
    })
    .await?;
    Ok(id)
}

pub async fn wait_exited(cri: &kubehci_runtime::Cri, id: &str) -> Result<()> {
    let mut rt = cri.runtime.clone();
    for _ in 0..600 {
        let st = rt
            .container_status(api::ContainerStatusRequest {
                container_id: id.into(),
                verbose: false,
            })
            .await?
            .into_inner()
            .status
            .context("status")?;
        if st.state == api::ContainerState::ContainerExited as i32 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("container {id} did not exit")
}

pub fn write_yaml(dir: &Path, name: &str, value: &serde_json::Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec(value).unwrap()).unwrap();
    p
}

/// The status of a running container as the node agent reports it.
pub fn running(n: &str, id: &str) -> serde_json::Value {
    serde_json::json!({
        "name": n, "image": images::BUSYBOX_IMAGE, "imageID": "", "ready": true, "restartCount": 0,
        "containerID": format!("containerd://{id}"),
        "state": {"running": {"startedAt": "2024-01-01T00:00:00Z"}}
    })
}

/// What the tests use of the running cluster.
pub struct Fixture {
    pub cluster: Cluster,
    pub dir: tempfile::TempDir,
    pub kc: PathBuf,
    pub ca: ClusterCa,
    pub cri: kubehci_runtime::Cri,
    pub streams: CriStreams,
    pub sandbox: String,
    pub sandbox_config: api::PodSandboxConfig,
    pub http_port: u16,
    pub main: String,
    pub att: String,
    pub crashy: String,
}

/// Starts everything: pod `default/t` on node `node-1` with containers `main` (prints `hi`,
/// `second`, then serves `page` with busybox httpd on `http_port`), `short` (waiting, not
/// started), `crashy` (a previous instance that printed `previous-run`, a current one
/// printing `current-run`) and `att` (echoes its stdin).
pub async fn start(cgroup_parent: &str) -> Result<Fixture> {
    let dir = short_tempdir();
    let ctd = Containerd::start(ContainerdConfig::new(dir.path().join("ctd"))).await?;
    images::ensure_builtin(ctd.socket(), &dir.path().join("images")).await?;
    let cri = kubehci_runtime::connect(ctd.socket()).await?;

    // The pod's sandbox (host network) and its containers.
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs)?;
    let sandbox_config = api::PodSandboxConfig {
        metadata: Some(api::PodSandboxMetadata {
            name: "t".into(),
            uid: "uid-t".into(),
            namespace: "default".into(),
            attempt: 0,
        }),
        log_directory: logs.display().to_string(),
        linux: Some(api::LinuxPodSandboxConfig {
            cgroup_parent: format!("/{cgroup_parent}"),
            security_context: Some(api::LinuxSandboxSecurityContext {
                namespace_options: Some(api::NamespaceOption {
                    network: api::NamespaceMode::Node as i32,
                    pid: api::NamespaceMode::Pod as i32,
                    ipc: api::NamespaceMode::Pod as i32,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let sandbox = cri
        .runtime
        .clone()
        .run_pod_sandbox(api::RunPodSandboxRequest {
            config: Some(sandbox_config.clone()),
            runtime_handler: String::new(),
        })
        .await?
        .into_inner()
        .pod_sandbox_id;

    let api_cfg = {
        let mut c = kubehci_apiserver::ServerConfig::new(dir.path().join("api"));
        c.listen = "127.0.0.1:0".parse()?;
        c.in_memory = true;
        c
    };
    let apiserver = kubehci_apiserver::start(api_cfg).await?;
    let kc = apiserver.kubeconfig.clone();
    let pki = dir.path().join("api").join("pki");
    let ca = ClusterCa::load(&pki.join("ca.crt"), &pki.join("ca.key"))?;
    let node_dir = dir.path().join("node");
    std::fs::create_dir_all(&node_dir)?;
    let tls = serving_files(&ca, &node_dir);
    let streams = CriStreams::new(cri.clone());
    streams
        .sandboxes
        .lock()
        .insert(("default".into(), "t".into()), sandbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let node_port = listener.local_addr()?.port();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(kubehci_streaming::serve(
        listener,
        tls,
        Arc::new(streams.clone()),
        async move {
            let _ = stop_rx.await;
        },
    ));
    let cluster = Cluster {
        containerd: Some(ctd),
        cri: cri.clone(),
        sandbox: sandbox.clone(),
        api: apiserver,
        stop_node: Some(stop_tx),
    };

    let http_port = free_port();
    let main = container(
        &cri,
        &sandbox,
        &sandbox_config,
        "main",
        0,
        &format!(
            "echo hi; echo second; mkdir -p /tmp/www; echo page > /tmp/www/index.html; \
             exec httpd -f -p 127.0.0.1:{http_port} -h /tmp/www"
        ),
    )
    .await?;
    let att = container(
        &cri,
        &sandbox,
        &sandbox_config,
        "att",
        0,
        "echo ready; while read l; do echo got $l; done; echo bye",
    )
    .await?;
    let prev = container(
        &cri,
        &sandbox,
        &sandbox_config,
        "crashy",
        0,
        "echo previous-run; exit 1",
    )
    .await?;
    wait_exited(&cri, &prev).await?;
    let crashy = container(
        &cri,
        &sandbox,
        &sandbox_config,
        "crashy",
        1,
        "echo current-run; exec sleep 3600",
    )
    .await?;
    {
        let mut c = streams.containers.lock();
        let key = |n: &str| ("default".to_string(), "t".to_string(), n.to_string());
        c.insert(
            key("main"),
            Instances {
                current: main.clone(),
                previous: None,
            },
        );
        c.insert(
            key("att"),
            Instances {
                current: att.clone(),
                previous: None,
            },
        );
        c.insert(
            key("crashy"),
            Instances {
                current: crashy.clone(),
                previous: Some(prev.clone()),
            },
        );
    }

    // The Node and the Pod as a node agent would report them.
    let _ = kubectl(&kc, &["create", "serviceaccount", "default"]).await?;
    let node = serde_json::json!({
        "apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"}
    });
    ok(
        &kc,
        &[
            "create",
            "-f",
            write_yaml(dir.path(), "node.json", &node).to_str().unwrap(),
        ],
    )
    .await?;
    let node_status = serde_json::json!({"status": {
        "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}, {"type": "Hostname", "address": "node-1"}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": node_port}}
    }});
    ok(
        &kc,
        &[
            "patch",
            "node",
            "node-1",
            "--subresource=status",
            "--type=merge",
            "-p",
            &node_status.to_string(),
        ],
    )
    .await?;
    let c = |n: &str| serde_json::json!({"name": n, "image": images::BUSYBOX_IMAGE});
    let mut att_spec = c("att");
    att_spec["stdin"] = true.into();
    att_spec["stdinOnce"] = true.into();
    let pod = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "t", "namespace": "default"},
        "spec": {"nodeName": "node-1", "automountServiceAccountToken": false,
                 "containers": [c("main"), c("short"), c("crashy"), att_spec]}
    });
    ok(
        &kc,
        &[
            "create",
            "-f",
            write_yaml(dir.path(), "pod.json", &pod).to_str().unwrap(),
        ],
    )
    .await?;
    let mut crashy_status = running("crashy", &crashy);
    crashy_status["restartCount"] = 1.into();
    crashy_status["lastState"] = serde_json::json!({"terminated": {
        "exitCode": 1, "reason": "Error", "containerID": format!("containerd://{prev}"),
        "startedAt": "2024-01-01T00:00:00Z", "finishedAt": "2024-01-01T00:00:00Z"}});
    let short_waiting = serde_json::json!({
        "name": "short", "image": images::BUSYBOX_IMAGE, "imageID": "", "ready": false,
        "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}
    });
    let pod_status = serde_json::json!({"status": {"phase": "Running", "hostIP": "127.0.0.1",
        "containerStatuses": [running("main", &main), short_waiting, crashy_status, running("att", &att)]}});
    ok(
        &kc,
        &[
            "patch",
            "pod",
            "t",
            "--subresource=status",
            "--type=merge",
            "-p",
            &pod_status.to_string(),
        ],
    )
    .await?;

    Ok(Fixture {
        cluster,
        dir,
        kc,
        ca,
        cri,
        streams,
        sandbox,
        sandbox_config,
        http_port,
        main,
        att,
        crashy,
    })
}
