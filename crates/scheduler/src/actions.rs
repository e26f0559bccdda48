//! The scheduler's writes, run off the scheduling loop with bounded concurrency: bindings
//! (`pods/binding`), the PodScheduled condition and nominatedNodeName (`pods/status`),
//! preemption (DisruptionTarget condition, then delete) and events.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{ObjectReference, Pod};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::sync::mpsc::UnboundedSender;

use crate::podinfo::PodInfo;
use crate::status::truncate_message;
use crate::watch::Input;

/// How many API writes may be in flight at once.
const IN_FLIGHT: usize = 64;

#[derive(Clone)]
pub struct Actions {
    client: kube::Client,
    recorder: Recorder,
    scheduler_name: String,
    sem: Arc<Semaphore>,
    tx: UnboundedSender<Input>,
}

fn reference(p: &PodInfo) -> ObjectReference {
    ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("Pod".into()),
        name: Some(p.name.clone()),
        namespace: Some(p.namespace.clone()),
        uid: Some(p.uid.clone()),
        resource_version: p.pod.metadata.resource_version.clone(),
        ..Default::default()
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The condition to merge, unless the pod already carries it (upstream's
/// `UpdatePodCondition` ignores the times when comparing).
fn condition_patch(
    pod: &Pod,
    type_: &str,
    status: &str,
    reason: &str,
    message: &str,
) -> Option<Value> {
    let current = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == type_));
    if let Some(c) = current
        && c.status == status
        && c.reason.as_deref() == Some(reason)
        && c.message.as_deref() == Some(message)
    {
        return None;
    }
    let transition = match current {
        Some(c) if c.status == status => c
            .last_transition_time
            .as_ref()
            .map(|t| json!(t))
            .unwrap_or_else(|| json!(now())),
        _ => json!(now()),
    };
    Some(json!({
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "lastProbeTime": null,
        "lastTransitionTime": transition,
    }))
}

impl Actions {
    pub fn new(
        client: kube::Client,
        identity: &str,
        scheduler_name: &str,
        tx: UnboundedSender<Input>,
    ) -> Self {
        let reporter = Reporter {
            controller: scheduler_name.to_string(),
            instance: Some(identity.to_string()),
        };
        Self {
            recorder: Recorder::new(client.clone(), reporter),
            client,
            scheduler_name: scheduler_name.to_string(),
            sem: Arc::new(Semaphore::new(IN_FLIGHT)),
            tx,
        }
    }

    fn pods(&self, ns: &str) -> Api<Pod> {
        Api::namespaced(self.client.clone(), ns)
    }

    async fn event(
        &self,
        pod: &PodInfo,
        type_: EventType,
        reason: &str,
        action: &str,
        note: String,
        related: Option<ObjectReference>,
    ) {
        let ev = Event {
            type_,
            reason: reason.into(),
            note: Some(truncate_message(&note)),
            action: action.into(),
            secondary: related,
        };
        if let Err(e) = self.recorder.publish(&ev, &reference(pod)).await {
            tracing::debug!(pod = %pod.key(), error = %e, "cannot record event");
        }
    }

    /// Binds `pod` to `node`; reports the outcome back to the loop.
    pub fn bind(&self, pod: Arc<PodInfo>, node: String) {
        let this = self.clone();
        tokio::spawn(async move {
            let _permit = this.sem.acquire().await;
            let binding = json!({
                "apiVersion": "v1",
                "kind": "Binding",
                "metadata": {"name": pod.name, "namespace": pod.namespace, "uid": pod.uid},
                "target": {"apiVersion": "v1", "kind": "Node", "name": node},
            });
            let res: Result<Value, _> = this
                .pods(&pod.namespace)
                .create_subresource("binding", &pod.name, &PostParams::default(), &binding)
                .await;
            match res {
                Ok(_) => {
                    let _ = this.tx.send(Input::Bound(pod.uid.clone()));
                    let note = format!("Successfully assigned {} to {node}", pod.key());
                    this.event(&pod, EventType::Normal, "Scheduled", "Binding", note, None)
                        .await;
                }
                Err(e) => {
                    tracing::info!(pod = %pod.key(), %node, error = %e, "binding failed");
                    let _ = this.tx.send(Input::BindFailed(pod.uid.clone()));
                }
            }
        });
    }

    /// Records a failed attempt: the PodScheduled=False condition (and nominatedNodeName
    /// when `nominate` is given; `Some("")` clears it) and a FailedScheduling event.
    pub fn failed(
        &self,
        pod: Arc<PodInfo>,
        reason: &'static str,
        message: String,
        nominate: Option<String>,
    ) {
        let this = self.clone();
        tokio::spawn(async move {
            let _permit = this.sem.acquire().await;
            let msg = truncate_message(&message);
            let cond = condition_patch(&pod.pod, "PodScheduled", "False", reason, &msg);
            let nnn = nominate.filter(|n| *n != pod.nominated_node);
            if cond.is_some() || nnn.is_some() {
                let mut status = serde_json::Map::new();
                if let Some(c) = cond {
                    status.insert("conditions".into(), json!([c]));
                }
                if let Some(n) = nnn {
                    status.insert(
                        "nominatedNodeName".into(),
                        if n.is_empty() { Value::Null } else { json!(n) },
                    );
                }
                let patch = json!({"status": status});
                if let Err(e) = this
                    .pods(&pod.namespace)
                    .patch_status(
                        &pod.name,
                        &PatchParams::default(),
                        &Patch::Strategic(&patch),
                    )
                    .await
                {
                    tracing::debug!(pod = %pod.key(), error = %e, "cannot update pod status");
                }
            }
            this.event(
                &pod,
                EventType::Warning,
                "FailedScheduling",
                "Scheduling",
                msg,
                None,
            )
            .await;
        });
    }

    /// Deletes `victims` to make room on `node` for `preemptor`, and clears the
    /// nominations of lower-priority pods nominated there.
    pub fn preempt(
        &self,
        preemptor: Arc<PodInfo>,
        node: String,
        victims: Vec<Arc<PodInfo>>,
        demoted: Vec<Arc<PodInfo>>,
    ) {
        for victim in victims {
            let this = self.clone();
            let preemptor = preemptor.clone();
            let node = node.clone();
            tokio::spawn(async move {
                let _permit = this.sem.acquire().await;
                let api = this.pods(&victim.namespace);
                let message = format!(
                    "{}: preempting to accommodate a higher priority pod",
                    this.scheduler_name
                );
                let cond = condition_patch(
                    &victim.pod,
                    "DisruptionTarget",
                    "True",
                    "PreemptionByScheduler",
                    &message,
                );
                if let Some(c) = cond {
                    let patch = json!({"status": {"conditions": [c]}});
                    if let Err(e) = api
                        .patch_status(
                            &victim.name,
                            &PatchParams::default(),
                            &Patch::Strategic(&patch),
                        )
                        .await
                    {
                        tracing::debug!(pod = %victim.key(), error = %e, "cannot mark victim");
                    }
                }
                match api.delete(&victim.name, &DeleteParams::default()).await {
                    Ok(_) => {
                        let note = format!("Preempted by pod {} on node {node}", preemptor.uid);
                        this.event(
                            &victim,
                            EventType::Normal,
                            "Preempted",
                            "Preempting",
                            note,
                            Some(reference(&preemptor)),
                        )
                        .await;
                    }
                    Err(e) => {
                        tracing::info!(pod = %victim.key(), error = %e, "cannot delete victim")
                    }
                }
            });
        }
        for pod in demoted {
            let this = self.clone();
            tokio::spawn(async move {
                let _permit = this.sem.acquire().await;
                let patch = json!({"status": {"nominatedNodeName": null}});
                if let Err(e) = this
                    .pods(&pod.namespace)
                    .patch_status(&pod.name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                {
                    tracing::debug!(pod = %pod.key(), error = %e, "cannot clear nomination");
                }
            });
        }
    }
}
