//! What the runtime holds for one pod: its sandboxes and containers with their statuses,
//! read through CRI and keyed by the labels of [`crate::labels`].

use std::collections::HashMap;

use kubehci_runtime::cri::{Cri, api};

use crate::labels;

/// One container instance of a pod, as the runtime reports it.
#[derive(Debug, Clone)]
pub struct ContainerInstance {
    pub id: String,
    pub name: String,
    pub sandbox_id: String,
    pub restart_count: i32,
    pub init: bool,
    pub status: api::ContainerStatus,
}

impl ContainerInstance {
    pub fn state(&self) -> api::ContainerState {
        api::ContainerState::try_from(self.status.state)
            .unwrap_or(api::ContainerState::ContainerUnknown)
    }
    pub fn running(&self) -> bool {
        matches!(self.state(), api::ContainerState::ContainerRunning)
    }
    pub fn exited(&self) -> bool {
        matches!(self.state(), api::ContainerState::ContainerExited)
    }
    pub fn exit_code(&self) -> i32 {
        self.status.exit_code
    }
}

/// The runtime state of one pod.
#[derive(Debug, Clone, Default)]
pub struct PodRuntime {
    /// Newest first.
    pub sandboxes: Vec<api::PodSandbox>,
    /// All container instances, newest (highest restart count, then creation) first.
    pub containers: Vec<ContainerInstance>,
}

impl PodRuntime {
    /// Reads the pod's sandboxes and containers.
    pub async fn load(cri: &Cri, uid: &str) -> Result<PodRuntime, tonic::Status> {
        let mut rt = cri.runtime.clone();
        let mut sandboxes = rt
            .list_pod_sandbox(api::ListPodSandboxRequest {
                filter: Some(api::PodSandboxFilter {
                    label_selector: labels::pod_selector(uid),
                    ..Default::default()
                }),
            })
            .await?
            .into_inner()
            .items;
        sandboxes.sort_by_key(|s| std::cmp::Reverse(s.created_at));
        let list = rt
            .list_containers(api::ListContainersRequest {
                filter: Some(api::ContainerFilter {
                    label_selector: labels::pod_selector(uid),
                    ..Default::default()
                }),
            })
            .await?
            .into_inner()
            .containers;
        let mut containers = Vec::new();
        for c in list {
            let status = match rt
                .container_status(api::ContainerStatusRequest {
                    container_id: c.id.clone(),
                    verbose: false,
                })
                .await
            {
                Ok(s) => s.into_inner().status,
                Err(e) if e.code() == tonic::Code::NotFound => continue,
                Err(e) => return Err(e),
            };
            let Some(status) = status else { continue };
            containers.push(ContainerInstance {
                id: c.id.clone(),
                name: c
                    .labels
                    .get(labels::CONTAINER_NAME)
                    .cloned()
                    .unwrap_or_default(),
                sandbox_id: c.pod_sandbox_id.clone(),
                restart_count: c
                    .annotations
                    .get(labels::CONTAINER_RESTART_COUNT)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
                init: c.labels.contains_key(labels::CONTAINER_INIT),
                status,
            });
        }
        containers.sort_by(|a, b| {
            b.restart_count
                .cmp(&a.restart_count)
                .then(b.status.created_at.cmp(&a.status.created_at))
        });
        Ok(PodRuntime {
            sandboxes,
            containers,
        })
    }

    /// The newest sandbox that is ready, if any.
    pub fn ready_sandbox(&self) -> Option<&api::PodSandbox> {
        self.sandboxes
            .iter()
            .find(|s| s.state == api::PodSandboxState::SandboxReady as i32)
    }

    /// Instances of one container, newest first.
    pub fn instances(&self, name: &str) -> Vec<&ContainerInstance> {
        self.containers.iter().filter(|c| c.name == name).collect()
    }

    /// The newest instance of one container.
    pub fn latest(&self, name: &str) -> Option<&ContainerInstance> {
        self.containers.iter().find(|c| c.name == name)
    }

    /// Instances grouped by container name.
    pub fn by_name(&self) -> HashMap<&str, Vec<&ContainerInstance>> {
        let mut m: HashMap<&str, Vec<&ContainerInstance>> = HashMap::new();
        for c in &self.containers {
            m.entry(c.name.as_str()).or_default().push(c);
        }
        m
    }
}

/// Stops and removes one container (timeout in seconds; 0 kills at once).
pub async fn remove_container(cri: &Cri, id: &str) -> Result<(), tonic::Status> {
    let mut rt = cri.runtime.clone();
    ignore_not_found(
        rt.stop_container(api::StopContainerRequest {
            container_id: id.into(),
            timeout: 0,
        })
        .await,
    )?;
    ignore_not_found(
        rt.remove_container(api::RemoveContainerRequest {
            container_id: id.into(),
        })
        .await,
    )?;
    Ok(())
}

/// Stops and removes one sandbox.
pub async fn remove_sandbox(cri: &Cri, id: &str) -> Result<(), tonic::Status> {
    let mut rt = cri.runtime.clone();
    ignore_not_found(
        rt.stop_pod_sandbox(api::StopPodSandboxRequest {
            pod_sandbox_id: id.into(),
        })
        .await,
    )?;
    ignore_not_found(
        rt.remove_pod_sandbox(api::RemovePodSandboxRequest {
            pod_sandbox_id: id.into(),
        })
        .await,
    )?;
    Ok(())
}

fn ignore_not_found<T>(r: Result<T, tonic::Status>) -> Result<(), tonic::Status> {
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.code() == tonic::Code::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}
