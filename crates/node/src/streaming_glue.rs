//! The seam to the node's streaming server (logs, exec, attach, port-forward; crate
//! `kubehci-streaming`): [`PodLocator`] finds containers and sandboxes by namespace, pod and
//! container name through CRI labels and implements the server's `StreamRuntime`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use kubehci_runtime::cri::{Cri, api};
use kubehci_streaming::node::{LogSource, StreamError, StreamOptions, StreamRuntime};

use crate::labels;

/// One container instance as the streaming server needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedContainer {
    pub container_id: String,
    pub log_path: String,
    pub running: bool,
}

/// Finds containers of pods by namespace, pod and container name through CRI labels.
#[derive(Clone)]
pub struct PodLocator {
    pub cri: Cri,
    pub node: String,
}

fn runtime_err(e: tonic::Status) -> StreamError {
    StreamError::Runtime(crate::images::grpc_text(&e))
}

impl PodLocator {
    async fn instances(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
    ) -> Result<Vec<api::Container>, tonic::Status> {
        let mut rt = self.cri.runtime.clone();
        let sel = HashMap::from([
            (labels::POD_NAMESPACE.to_string(), namespace.to_string()),
            (labels::POD_NAME.to_string(), pod.to_string()),
            (labels::CONTAINER_NAME.to_string(), container.to_string()),
            (labels::MANAGED_BY.to_string(), self.node.clone()),
        ]);
        let mut list = rt
            .list_containers(api::ListContainersRequest {
                filter: Some(api::ContainerFilter {
                    label_selector: sel,
                    ..Default::default()
                }),
            })
            .await?
            .into_inner()
            .containers;
        let rc = |c: &api::Container| {
            c.annotations
                .get(labels::CONTAINER_RESTART_COUNT)
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(0)
        };
        list.sort_by(|a, b| rc(b).cmp(&rc(a)).then(b.created_at.cmp(&a.created_at)));
        Ok(list)
    }

    /// The newest instance (`previous`: the one before it) of `container` in pod
    /// `namespace/pod`.
    pub async fn locate(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        previous: bool,
    ) -> Result<Option<LocatedContainer>, tonic::Status> {
        let list = self.instances(namespace, pod, container).await?;
        let Some(c) = list.get(usize::from(previous)) else {
            return Ok(None);
        };
        let mut rt = self.cri.runtime.clone();
        let st = rt
            .container_status(api::ContainerStatusRequest {
                container_id: c.id.clone(),
                verbose: false,
            })
            .await?
            .into_inner()
            .status
            .unwrap_or_default();
        Ok(Some(LocatedContainer {
            container_id: c.id.clone(),
            log_path: st.log_path,
            running: st.state == api::ContainerState::ContainerRunning as i32,
        }))
    }

    async fn running_id(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
    ) -> Result<String, StreamError> {
        match self
            .locate(ns, pod, container, false)
            .await
            .map_err(runtime_err)?
        {
            Some(c) if c.running => Ok(c.container_id),
            Some(_) => Err(StreamError::BadRequest(format!(
                "container {container} is not running"
            ))),
            None => Err(StreamError::NotFound(format!(
                "container {container} is not found in pod {ns}/{pod}"
            ))),
        }
    }
}

#[async_trait]
impl StreamRuntime for PodLocator {
    async fn container_log(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        previous: bool,
    ) -> Result<LogSource, StreamError> {
        match self
            .locate(ns, pod, container, previous)
            .await
            .map_err(runtime_err)?
        {
            Some(c) => Ok(LogSource {
                path: PathBuf::from(c.log_path),
                running: c.running && !previous,
            }),
            None if previous => Err(StreamError::BadRequest(format!(
                "previous terminated container \"{container}\" in pod \"{pod}\" not found"
            ))),
            None => Err(StreamError::NotFound(format!(
                "container {container} is not found in pod {ns}/{pod}"
            ))),
        }
    }

    async fn is_running(&self, ns: &str, pod: &str, container: &str, log: &Path) -> bool {
        match self.locate(ns, pod, container, false).await {
            Ok(Some(c)) => c.running && Path::new(&c.log_path) == log,
            _ => false,
        }
    }

    async fn exec(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        cmd: Vec<String>,
        opts: StreamOptions,
    ) -> Result<String, StreamError> {
        let id = self.running_id(ns, pod, container).await?;
        let mut rt = self.cri.runtime.clone();
        let r = rt
            .exec(api::ExecRequest {
                container_id: id,
                cmd,
                tty: opts.tty,
                stdin: opts.stdin,
                stdout: opts.stdout,
                stderr: opts.stderr,
            })
            .await
            .map_err(runtime_err)?;
        Ok(r.into_inner().url)
    }

    async fn attach(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        opts: StreamOptions,
    ) -> Result<String, StreamError> {
        let id = self.running_id(ns, pod, container).await?;
        let mut rt = self.cri.runtime.clone();
        let r = rt
            .attach(api::AttachRequest {
                container_id: id,
                stdin: opts.stdin,
                tty: opts.tty,
                stdout: opts.stdout,
                stderr: opts.stderr,
            })
            .await
            .map_err(runtime_err)?;
        Ok(r.into_inner().url)
    }

    async fn port_forward(
        &self,
        ns: &str,
        pod: &str,
        ports: Vec<u16>,
    ) -> Result<String, StreamError> {
        let mut rt = self.cri.runtime.clone();
        let sel = HashMap::from([
            (labels::POD_NAMESPACE.to_string(), ns.to_string()),
            (labels::POD_NAME.to_string(), pod.to_string()),
            (labels::MANAGED_BY.to_string(), self.node.clone()),
        ]);
        let sandboxes = rt
            .list_pod_sandbox(api::ListPodSandboxRequest {
                filter: Some(api::PodSandboxFilter {
                    label_selector: sel,
                    state: Some(api::PodSandboxStateValue {
                        state: api::PodSandboxState::SandboxReady as i32,
                    }),
                    ..Default::default()
                }),
            })
            .await
            .map_err(runtime_err)?
            .into_inner()
            .items;
        let Some(sb) = sandboxes.first() else {
            return Err(StreamError::NotFound(format!(
                "pod {ns}/{pod} is not running on this node"
            )));
        };
        let r = rt
            .port_forward(api::PortForwardRequest {
                pod_sandbox_id: sb.id.clone(),
                port: ports.into_iter().map(i32::from).collect(),
            })
            .await
            .map_err(runtime_err)?;
        Ok(r.into_inner().url)
    }
}
