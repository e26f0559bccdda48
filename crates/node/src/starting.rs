//! Starting one container instance: image, runAsNonRoot check, environment, mounts, CRI
//! create and start, postStart hook - with kubelet's events and waiting reasons.

use k8s_openapi::api::core::v1::{Container, Pod};
use kubehci_runtime::cri::api;

use crate::backoff::go_duration;
use crate::containers::spec_hash;
use crate::events::{self, container_path};
use crate::labels::format_pod;
use crate::podworker::{CRASH_LOOP_BACK_OFF, Worker, effective_security, ns_to_time};
use crate::runtime_view::{ContainerInstance, PodRuntime};
use crate::{containers, env, hooks, images, killing, security};

pub const CREATE_CONTAINER_CONFIG_ERROR: &str = "CreateContainerConfigError";
pub const CREATE_CONTAINER_ERROR: &str = "CreateContainerError";
pub const RUN_CONTAINER_ERROR: &str = "RunContainerError";
pub const POST_START_HOOK_ERROR: &str = "PostStartHookError";

type Failure = (String, String);

/// A CRI call for a container failed: the `Failed` event (`Error: <runtime text>`) and the
/// waiting reason with that text.
async fn runtime_failed(
    ctx: &crate::agent::Ctx,
    pod: &Pod,
    path: Option<String>,
    reason: &str,
    e: &tonic::Status,
) -> Failure {
    let text = images::grpc_text(e);
    ctx.recorder
        .pod(
            pod,
            path,
            events::WARNING,
            "Failed",
            &format!("Error: {text}"),
        )
        .await;
    (reason.into(), text)
}

impl Worker {
    /// Starts a new instance of container `c` (after `prev`, which exited), honouring the
    /// restart back-off.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn start(
        &mut self,
        pod: &Pod,
        c: &Container,
        init: bool,
        sandbox_id: &str,
        sandbox_cfg: &kubehci_runtime::cri::api::PodSandboxConfig,
        vols: &kubehci_volumes::PodVolumes,
        rt: &PodRuntime,
        prev: Option<&ContainerInstance>,
    ) {
        let key = format!("{}_{}", c.name, spec_hash(c));
        if let Some(p) = prev {
            let finished = ns_to_time(p.status.finished_at);
            if self.restarts.in_backoff_since(&key, finished) {
                let msg = format!(
                    "back-off {} restarting failed container={} pod={}",
                    go_duration(self.restarts.get(&key)),
                    c.name,
                    format_pod(pod)
                );
                let entering = self.facts.waiting.get(&c.name).map(|(r, _)| r.as_str())
                    != Some(CRASH_LOOP_BACK_OFF);
                self.facts
                    .waiting
                    .insert(c.name.clone(), (CRASH_LOOP_BACK_OFF.into(), msg));
                if entering {
                    self.ctx
                        .recorder
                        .pod(
                            pod,
                            container_path(&c.name, init),
                            events::WARNING,
                            "BackOff",
                            &format!(
                                "Back-off restarting failed container {} in pod {}",
                                c.name,
                                format_pod(pod)
                            ),
                        )
                        .await;
                }
                return;
            }
            self.restarts.next(&key);
        }
        let restart_count = rt.latest(&c.name).map(|l| l.restart_count + 1).unwrap_or(0);
        let outcome = start_container(
            self,
            pod,
            c,
            init,
            sandbox_id,
            sandbox_cfg,
            vols,
            restart_count,
        )
        .await;
        match outcome {
            Ok(()) => {
                self.facts.waiting.remove(&c.name);
            }
            Err((reason, message)) => {
                self.facts.waiting.insert(c.name.clone(), (reason, message));
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub async fn start_container(
    w: &mut Worker,
    pod: &Pod,
    c: &Container,
    init: bool,
    sandbox_id: &str,
    sandbox_cfg: &api::PodSandboxConfig,
    vols: &kubehci_volumes::PodVolumes,
    restart_count: i32,
) -> Result<(), Failure> {
    let ctx = w.ctx.clone();
    let path = container_path(&c.name, init);
    let was = w.facts.waiting.get(&c.name).map(|(r, _)| r.clone());
    let image = match images::ensure(
        &ctx.cri,
        &ctx.recorder,
        &mut w.pulls,
        pod,
        c,
        init,
        was.as_deref() == Some(images::IMAGE_PULL_BACKOFF),
    )
    .await
    {
        Ok(i) => i,
        Err(f) => {
            if f.reason == images::IMAGE_PULL_BACKOFF
                && was.as_deref() != Some(images::IMAGE_PULL_BACKOFF)
            {
                ctx.recorder
                    .pod(
                        pod,
                        path.clone(),
                        events::WARNING,
                        "Failed",
                        &format!("Error: {}", images::IMAGE_PULL_BACKOFF),
                    )
                    .await;
            }
            return Err((f.reason.to_string(), f.message));
        }
    };
    let config_error = |msg: String| async move {
        ctx.recorder
            .pod(
                pod,
                path.clone(),
                events::WARNING,
                "Failed",
                &format!("Error: {msg}"),
            )
            .await;
        Err::<(), Failure>((CREATE_CONTAINER_CONFIG_ERROR.to_string(), msg))
    };
    let eff = effective_security(pod, c);
    let image_uid = image.uid.as_ref().map(|u| u.value);
    if let Err(msg) = security::verify_run_as_non_root(pod, c, &eff, image_uid, &image.username) {
        return config_error(msg).await;
    }
    let alloc = w.ctx.alloc;
    let envs = match env::resolve(
        &w.ctx.client,
        pod,
        c,
        &w.facts.pod_ips,
        &w.ctx.cfg.node_ip.to_string(),
        &alloc,
    )
    .await
    {
        Ok(e) => e,
        Err(msg) => return config_error(msg).await,
    };
    let mounts = match vols.mounts_for(c, &envs) {
        Ok(m) => m,
        Err(e) => return config_error(e.to_string()).await,
    };
    let termination_file = match vols.termination_message_mount(c) {
        Ok(m) => m,
        Err(e) => return config_error(e.to_string()).await,
    };
    let ctx = w.ctx.clone();
    let path = container_path(&c.name, init);
    let spec = containers::Spec {
        pod,
        container: c,
        init,
        restart_count,
        node: &ctx.cfg.node_name,
        image: &image,
        env: envs,
        mounts,
        termination_file,
        security: eff,
        node_memory: ctx.node_memory,
    };
    let cfg = containers::config(&spec);
    let id = match containers::create(&ctx.cri, sandbox_id, sandbox_cfg.clone(), cfg).await {
        Ok(id) => id,
        Err(e) => return Err(runtime_failed(&ctx, pod, path, CREATE_CONTAINER_ERROR, &e).await),
    };
    ctx.recorder
        .pod(
            pod,
            path.clone(),
            events::NORMAL,
            "Created",
            &format!("Created container: {}", c.name),
        )
        .await;
    if let Err(e) = containers::start(&ctx.cri, &id).await {
        return Err(runtime_failed(&ctx, pod, path, RUN_CONTAINER_ERROR, &e).await);
    }
    ctx.recorder
        .pod(
            pod,
            path.clone(),
            events::NORMAL,
            "Started",
            &format!("Started container {}", c.name),
        )
        .await;
    let pod_ip = w.facts.pod_ips.first().cloned().unwrap_or_default();
    if let Err(msg) = hooks::post_start(&ctx.cri, c, &id, &pod_ip).await {
        ctx.recorder
            .pod(pod, path, events::WARNING, "FailedPostStartHook", &msg)
            .await;
        killing::kill_container(
            &ctx,
            pod,
            &id,
            &c.name,
            &pod_ip,
            killing::grace_seconds_spec(pod),
            Some("FailedPostStartHook".to_string()),
        )
        .await;
        return Err((POST_START_HOOK_ERROR.into(), msg));
    }
    Ok(())
}
