//! Helpers for the streaming tests: certificates from a test CA, and a [`StreamRuntime`] backed
//! directly by CRI (a real containerd) for containers the test made itself.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod cluster;
pub mod kubectl;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use kubehci_auth::pki::ClusterCa;
use kubehci_runtime::cri::api;
use kubehci_streaming::ServerTlsFiles;
use kubehci_streaming::node::{LogSource, StreamError, StreamOptions, StreamRuntime};

/// A short temp dir (Unix socket paths must stay under 107 bytes).
pub fn short_tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("khst")
        .tempdir_in("/tmp")
        .expect("temp dir")
}

/// Writes `name.crt`/`name.key` for a client certificate (CN `user`, O `groups`).
pub fn client_files(
    ca: &ClusterCa,
    dir: &Path,
    name: &str,
    user: &str,
    groups: &[&str],
) -> (PathBuf, PathBuf) {
    let ck = ca.issue_client(user, groups).unwrap();
    let (crt, key) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.key")),
    );
    std::fs::write(&crt, ck.cert_pem).unwrap();
    std::fs::write(&key, ck.key_pem).unwrap();
    (crt, key)
}

/// A serving certificate for 127.0.0.1 and the CA as the client CA.
pub fn serving_files(ca: &ClusterCa, dir: &Path) -> ServerTlsFiles {
    let ck = ca
        .issue_serving(
            "node-1",
            &["localhost".into()],
            &["127.0.0.1".parse().unwrap()],
        )
        .unwrap();
    let files = ServerTlsFiles {
        cert: dir.join("node.crt"),
        key: dir.join("node.key"),
        client_ca: dir.join("ca.crt"),
    };
    std::fs::write(&files.cert, ck.cert_pem).unwrap();
    std::fs::write(&files.key, ck.key_pem).unwrap();
    std::fs::write(&files.client_ca, ca.cert_pem()).unwrap();
    files
}

/// Container instances of one pod container: the current one and the one before it.
#[derive(Debug, Clone, Default)]
pub struct Instances {
    pub current: String,
    pub previous: Option<String>,
}

/// (namespace, pod, container) -> container instances.
pub type ContainerMap = HashMap<(String, String, String), Instances>;

/// A [`StreamRuntime`] over CRI for the pods a test made: (ns, pod) -> sandbox id and
/// (ns, pod, container) -> container ids.
#[derive(Clone)]
pub struct CriStreams {
    pub cri: kubehci_runtime::Cri,
    pub sandboxes: Arc<parking_lot::Mutex<HashMap<(String, String), String>>>,
    pub containers: Arc<parking_lot::Mutex<ContainerMap>>,
}

fn runtime_err(e: tonic::Status) -> StreamError {
    StreamError::Runtime(e.message().to_string())
}

impl CriStreams {
    pub fn new(cri: kubehci_runtime::Cri) -> Self {
        Self {
            cri,
            sandboxes: Default::default(),
            containers: Default::default(),
        }
    }

    fn instances(&self, ns: &str, pod: &str, container: &str) -> Result<Instances, StreamError> {
        self.containers
            .lock()
            .get(&(ns.into(), pod.into(), container.into()))
            .cloned()
            .ok_or_else(|| {
                StreamError::NotFound(format!("container {container:?} not found in pod {pod:?}"))
            })
    }

    async fn status(&self, id: &str) -> Result<api::ContainerStatus, StreamError> {
        let mut rt = self.cri.runtime.clone();
        rt.container_status(api::ContainerStatusRequest {
            container_id: id.to_string(),
            verbose: false,
        })
        .await
        .map_err(runtime_err)?
        .into_inner()
        .status
        .ok_or_else(|| StreamError::Runtime("no status".into()))
    }
}

#[async_trait]
impl StreamRuntime for CriStreams {
    async fn container_log(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        previous: bool,
    ) -> Result<LogSource, StreamError> {
        let inst = self.instances(ns, pod, container)?;
        let id = if previous {
            inst.previous.ok_or_else(|| {
                StreamError::BadRequest(format!(
                    "previous terminated container {container:?} in pod {pod:?} not found"
                ))
            })?
        } else {
            inst.current
        };
        let st = self.status(&id).await?;
        Ok(LogSource {
            path: PathBuf::from(st.log_path),
            running: st.state == api::ContainerState::ContainerRunning as i32,
        })
    }

    async fn is_running(&self, ns: &str, pod: &str, container: &str, _log: &Path) -> bool {
        let Ok(inst) = self.instances(ns, pod, container) else {
            return false;
        };
        self.status(&inst.current)
            .await
            .is_ok_and(|s| s.state == api::ContainerState::ContainerRunning as i32)
    }

    async fn exec(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        cmd: Vec<String>,
        o: StreamOptions,
    ) -> Result<String, StreamError> {
        let inst = self.instances(ns, pod, container)?;
        let mut rt = self.cri.runtime.clone();
        Ok(rt
            .exec(api::ExecRequest {
                container_id: inst.current,
                cmd,
                tty: o.tty,
                stdin: o.stdin,
                stdout: o.stdout,
                stderr: o.stderr && !o.tty,
            })
            .await
            .map_err(runtime_err)?
            .into_inner()
            .url)
    }

    async fn attach(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        o: StreamOptions,
    ) -> Result<String, StreamError> {
        let inst = self.instances(ns, pod, container)?;
        let mut rt = self.cri.runtime.clone();
        Ok(rt
            .attach(api::AttachRequest {
                container_id: inst.current,
                stdin: o.stdin,
                tty: o.tty,
                stdout: o.stdout,
                stderr: o.stderr && !o.tty,
            })
            .await
            .map_err(runtime_err)?
            .into_inner()
            .url)
    }

    async fn port_forward(
        &self,
        ns: &str,
        pod: &str,
        ports: Vec<u16>,
    ) -> Result<String, StreamError> {
        let id = self
            .sandboxes
            .lock()
            .get(&(ns.to_string(), pod.to_string()))
            .cloned()
            .ok_or_else(|| StreamError::NotFound(format!("pod {pod:?} does not exist")))?;
        let mut rt = self.cri.runtime.clone();
        Ok(rt
            .port_forward(api::PortForwardRequest {
                pod_sandbox_id: id,
                port: ports.into_iter().map(i32::from).collect(),
            })
            .await
            .map_err(runtime_err)?
            .into_inner()
            .url)
    }
}

/// Removes the cgroup `name` (a cgroup parent the test chose) and everything under it, in
/// every v1 hierarchy and in the v2 tree. Only empty cgroups can go: call after containerd's
/// teardown.
pub fn remove_cgroup_parent(name: &str) {
    let root = Path::new("/sys/fs/cgroup");
    let mut tops = vec![root.join(name)];
    if let Ok(entries) = std::fs::read_dir(root) {
        tops.extend(entries.flatten().map(|e| e.path().join(name)));
    }
    for top in tops.into_iter().filter(|p| p.is_dir()) {
        let mut dirs = vec![top.clone()];
        let mut i = 0;
        while i < dirs.len() {
            if let Ok(entries) = std::fs::read_dir(&dirs[i]) {
                dirs.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
            }
            i += 1;
        }
        for d in dirs.iter().rev() {
            if let Err(e) = std::fs::remove_dir(d) {
                eprintln!("cannot remove cgroup {}: {e}", d.display());
            }
        }
    }
}
