//! One sync of a pod: deletion, terminal pods, activeDeadlineSeconds, volumes, the sandbox,
//! init containers in order, then the containers (start, restart, probe, replace).

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, Preconditions};

use crate::containers::spec_hash;
use crate::events;
use crate::labels::{self, format_pod};
use crate::podworker::{Next, Worker, policy, should_restart};
use crate::runtime_view::{self, PodRuntime};
use crate::{images, killing, sandbox};

impl Worker {
    pub async fn sync(&mut self, pod: &Pod) -> crate::Result<Next> {
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        self.seed_probes(pod);
        let rt = PodRuntime::load(&self.ctx.cri, &uid).await?;
        let pod_ip = self.facts.pod_ips.first().cloned().unwrap_or_default();
        if pod.metadata.deletion_timestamp.is_some() {
            tracing::info!(pod = %format_pod(pod), "killing the pod (deleted)");
            killing::kill_pod(&self.ctx, pod, &rt, &pod_ip, killing::grace_seconds(pod)).await;
            let rt = PodRuntime::load(&self.ctx.cri, &uid).await?;
            self.facts.sandbox_ready = false;
            self.facts.waiting.clear();
            let _ = self.report(pod, &rt).await;
            killing::cleanup(&self.ctx, &uid).await;
            let api: Api<Pod> = Api::namespaced(
                self.ctx.client.clone(),
                pod.metadata.namespace.as_deref().unwrap_or("default"),
            );
            let dp = DeleteParams {
                grace_period_seconds: Some(0),
                preconditions: Some(Preconditions {
                    uid: Some(uid.clone()),
                    resource_version: None,
                }),
                ..Default::default()
            };
            match api
                .delete(pod.metadata.name.as_deref().unwrap_or_default(), &dp)
                .await
            {
                Ok(_) => {}
                Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => {}
                Err(e) => return Err(e.into()),
            }
            return Ok(Next::Done);
        }
        let phase = pod
            .status
            .as_ref()
            .and_then(|s| s.phase.as_deref())
            .unwrap_or("Pending");
        if phase == "Succeeded" || phase == "Failed" {
            // Terminal: nothing runs any more; the sandbox is stopped, containers are kept
            // for their logs until the pod is deleted.
            if rt.containers.iter().any(|c| c.running()) {
                killing::kill_pod(&self.ctx, pod, &rt, &pod_ip, killing::grace_seconds(pod)).await;
            } else if let Some(s) = rt.ready_sandbox() {
                let mut r = self.ctx.cri.runtime.clone();
                let _ = r
                    .stop_pod_sandbox(kubehci_runtime::cri::api::StopPodSandboxRequest {
                        pod_sandbox_id: s.id.clone(),
                    })
                    .await;
            }
            self.facts.sandbox_ready = false;
            let rt = PodRuntime::load(&self.ctx.cri, &uid).await?;
            // With the containers gone (e.g. after a reboot) the reported statuses stay.
            if !rt.containers.is_empty() {
                self.report(pod, &rt).await?;
            }
            return Ok(Next::Continue);
        }

        // activeDeadlineSeconds: past it, the pod fails and everything stops.
        if let (Some(d), Some(start)) = (
            pod.spec.as_ref().and_then(|s| s.active_deadline_seconds),
            pod.status.as_ref().and_then(|s| s.start_time.as_ref()),
        ) && k8s_openapi::jiff::Timestamp::now().as_second() - start.0.as_second() >= d
        {
            self.facts.pod_failure = Some((
                "DeadlineExceeded".into(),
                "Pod was active on the node longer than the specified deadline".into(),
            ));
            self.ctx
                .recorder
                .pod(
                    pod,
                    None,
                    events::NORMAL,
                    "DeadlineExceeded",
                    "Pod was active on the node longer than the specified deadline",
                )
                .await;
            killing::kill_pod(
                &self.ctx,
                pod,
                &rt,
                &pod_ip,
                killing::grace_seconds_spec(pod),
            )
            .await;
            self.facts.sandbox_ready = false;
            let rt = PodRuntime::load(&self.ctx.cri, &uid).await?;
            self.report(pod, &rt).await?;
            return Ok(Next::Continue);
        }

        // Volumes.
        let vols = match self.ctx.volumes.setup(pod).await {
            Ok(v) => v,
            Err(e) => {
                let msgs: Vec<String> = match &e {
                    kubehci_volumes::VolumeError::SetUp(fs) => {
                        fs.iter().map(|f| f.event_message()).collect()
                    }
                    other => vec![other.to_string()],
                };
                for m in msgs {
                    self.ctx
                        .recorder
                        .pod(pod, None, events::WARNING, "FailedMount", &m)
                        .await;
                }
                self.report(pod, &rt).await?;
                return Ok(Next::Continue);
            }
        };

        // Sandbox.
        let mut rt = rt;
        let sandbox_id = match rt.ready_sandbox() {
            Some(s) => s.id.clone(),
            None => {
                let ran_before = !rt.containers.is_empty();
                let old_ids: Vec<String> = rt.sandboxes.iter().map(|s| s.id.clone()).collect();
                killing::kill_pod(&self.ctx, pod, &rt, &pod_ip, killing::MIN_GRACE_SECONDS).await;
                for id in &old_ids {
                    let _ = runtime_view::remove_sandbox(&self.ctx.cri, id).await;
                }
                if ran_before && policy(pod) == "Never" {
                    self.facts.sandbox_ready = false;
                    self.report(pod, &rt).await?;
                    return Ok(Next::Continue);
                }
                if !old_ids.is_empty() {
                    self.ctx
                        .recorder
                        .pod(
                            pod,
                            None,
                            events::NORMAL,
                            "SandboxChanged",
                            "Pod sandbox changed, it will be killed and re-created.",
                        )
                        .await;
                }
                if let Some(msg) = sandbox::missing_cluster_dns(&self.ctx.cfg, pod) {
                    self.ctx
                        .recorder
                        .pod(pod, None, events::WARNING, "MissingClusterDNS", &msg)
                        .await;
                }
                let cfg = sandbox::config(&self.ctx.cfg, pod, old_ids.len() as u32);
                match sandbox::run(&self.ctx.cri, cfg).await {
                    Ok(id) => {
                        rt = PodRuntime::load(&self.ctx.cri, &uid).await?;
                        id
                    }
                    Err(e) => {
                        let msg =
                            format!("Failed to create pod sandbox: {}", images::grpc_text(&e));
                        self.ctx
                            .recorder
                            .pod(pod, None, events::WARNING, "FailedCreatePodSandBox", &msg)
                            .await;
                        self.facts.sandbox_ready = false;
                        self.report(pod, &rt).await?;
                        return Ok(Next::Continue);
                    }
                }
            }
        };
        self.facts.pod_ips = if pod
            .spec
            .as_ref()
            .and_then(|s| s.host_network)
            .unwrap_or(false)
        {
            vec![self.ctx.cfg.node_ip.to_string()]
        } else {
            sandbox::ips(&self.ctx.cri, &sandbox_id)
                .await
                .unwrap_or_default()
        };
        self.facts.sandbox_ready = true;
        let sandbox_cfg = sandbox::config(
            &self.ctx.cfg,
            pod,
            rt.sandboxes.len().saturating_sub(1) as u32,
        );
        let pod_ip = self.facts.pod_ips.first().cloned().unwrap_or_default();
        let spec = pod.spec.clone().unwrap_or_default();
        let policy = policy(pod);

        // Init containers, in order: the first not completed is (re)started or waited for.
        let mut initialized = true;
        for c in spec.init_containers.iter().flatten() {
            let latest = rt
                .instances(&c.name)
                .into_iter()
                .find(|i| i.sandbox_id == sandbox_id)
                .cloned();
            let sidecar = c.restart_policy.as_deref() == Some("Always");
            let regular_started = spec.containers.iter().any(|r| {
                rt.instances(&r.name)
                    .iter()
                    .any(|i| i.sandbox_id == sandbox_id)
            });
            match latest {
                // A sidecar (restartable init container) counts as done once it runs; it is
                // probed and restarted like a regular container.
                Some(l) if sidecar && l.running() => {
                    self.probe(pod, c, &l, &pod_ip).await;
                    continue;
                }
                Some(l) if sidecar && l.exited() => {
                    self.start(
                        pod,
                        c,
                        true,
                        &sandbox_id,
                        &sandbox_cfg,
                        &vols,
                        &rt,
                        Some(&l),
                    )
                    .await;
                    if regular_started {
                        continue;
                    }
                    initialized = false;
                    break;
                }
                Some(l) if l.exited() && l.exit_code() == 0 => continue,
                Some(l) if l.running() => {
                    initialized = false;
                    break;
                }
                Some(l) if l.exited() => {
                    initialized = false;
                    if should_restart(&policy, l.exit_code(), true) {
                        self.start(
                            pod,
                            c,
                            true,
                            &sandbox_id,
                            &sandbox_cfg,
                            &vols,
                            &rt,
                            Some(&l),
                        )
                        .await;
                    }
                    break;
                }
                Some(l) => {
                    // Created but never started (e.g. the agent died in between).
                    let _ = runtime_view::remove_container(&self.ctx.cri, &l.id).await;
                    initialized = false;
                    break;
                }
                None => {
                    initialized = false;
                    self.start(pod, c, true, &sandbox_id, &sandbox_cfg, &vols, &rt, None)
                        .await;
                    break;
                }
            }
        }

        if initialized {
            for c in &spec.containers {
                let latest = rt
                    .instances(&c.name)
                    .into_iter()
                    .find(|i| i.sandbox_id == sandbox_id)
                    .cloned();
                match latest {
                    None => {
                        self.start(pod, c, false, &sandbox_id, &sandbox_cfg, &vols, &rt, None)
                            .await
                    }
                    Some(l)
                        if l.running()
                            && l.status
                                .annotations
                                .get(labels::CONTAINER_HASH)
                                .is_some_and(|h| *h != spec_hash(c)) =>
                    {
                        let msg =
                            format!("Container {} definition changed, will be restarted", c.name);
                        let grace = killing::grace_seconds_spec(pod);
                        killing::kill_container(
                            &self.ctx,
                            pod,
                            &l.id,
                            &c.name,
                            &pod_ip,
                            grace,
                            Some(msg),
                        )
                        .await;
                    }
                    Some(l) if l.running() => self.probe(pod, c, &l, &pod_ip).await,
                    Some(l) if l.exited() => {
                        if should_restart(&policy, l.exit_code(), false) {
                            self.start(
                                pod,
                                c,
                                false,
                                &sandbox_id,
                                &sandbox_cfg,
                                &vols,
                                &rt,
                                Some(&l),
                            )
                            .await;
                        } else {
                            self.facts.waiting.remove(&c.name);
                        }
                    }
                    Some(l) => {
                        let _ = runtime_view::remove_container(&self.ctx.cri, &l.id).await;
                    }
                }
            }
        }

        let rt = PodRuntime::load(&self.ctx.cri, &uid).await?;
        self.gc(&rt).await;
        let live: Vec<String> = rt
            .containers
            .iter()
            .filter(|c| c.running())
            .map(|c| c.id.clone())
            .collect();
        self.probes.retain(&live);
        self.facts.ready.retain(|id, _| live.contains(id));
        self.facts.started.retain(|id, _| live.contains(id));
        self.report(pod, &rt).await?;
        Ok(Next::Continue)
    }
}
