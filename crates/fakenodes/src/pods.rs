//! Running the pods bound to the fake nodes: one watch of all bound pods (filtered here
//! by node name), and status writes and deletions done concurrently, at most
//! [`MAX_WRITES`] at a time, never twice at once for the same pod and step.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use futures::StreamExt as _;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, Patch, PatchParams, Preconditions};
use kube::runtime::{WatchStreamExt as _, watcher};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::ipam::Ipam;
use crate::node::NodeSet;
use crate::podstatus::{self, Placement};
use crate::{EXIT_CODE_ANNOTATION, Error, RUN_SECONDS_ANNOTATION, Settings};

/// Status writes and deletions in flight at once.
const MAX_WRITES: usize = 64;
/// Attempts of one write before giving up (the next watch event tries again).
const ATTEMPTS: u32 = 5;

/// What is done to a pod.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Post the Running/Ready status.
    Run(Placement),
    /// Post the ended status with this exit code, after a delay.
    Finish(i32),
    /// Remove a pod that is being deleted (grace period 0).
    Finalize,
}

impl Step {
    fn kind(&self) -> u8 {
        match self {
            Step::Run(_) => 0,
            Step::Finish(_) => 1,
            Step::Finalize => 2,
        }
    }
}

struct Runner {
    client: kube::Client,
    nodes: Arc<NodeSet>,
    settings: Arc<Settings>,
    ipam: Ipam,
    /// Pods (uid) whose end is already scheduled.
    ending: HashSet<String>,
    /// (uid, step kind) being written.
    busy: Arc<Mutex<HashSet<(String, u8)>>>,
    permits: Arc<Semaphore>,
    /// Pods seen since the watch (re)started its listing.
    listed: Option<HashSet<String>>,
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn str_at<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

/// How long the pod runs and how it ends, if it runs to completion.
fn run_to_completion(pod: &Value, job_run: Duration) -> Option<(Duration, i32)> {
    let policy = match str_at(pod, "/spec/restartPolicy") {
        "" => "Always",
        p => p,
    };
    if policy == "Always" {
        return None;
    }
    let annotation = |k: &str| pod.pointer("/metadata/annotations").and_then(|a| a.get(k));
    let secs = annotation(RUN_SECONDS_ANNOTATION)
        .and_then(Value::as_str)
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64);
    let owned_by_job = pod
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|refs| refs.iter().any(|r| r["kind"] == "Job"));
    let run = secs.or(owned_by_job.then_some(job_run))?;
    // A kubelet restarts failed containers of OnFailure pods: only Never pods fail.
    let code = annotation(EXIT_CODE_ANNOTATION)
        .and_then(Value::as_str)
        .and_then(|s| s.trim().parse::<i32>().ok())
        .filter(|_| policy == "Never")
        .unwrap_or(0);
    Some((run, code))
}

/// Time left until a pod that started at `startTime` has run for `run`.
fn remaining(pod: &Value, run: Duration) -> Duration {
    let started = DateTime::parse_from_rfc3339(str_at(pod, "/status/startTime"))
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|_| Utc::now());
    let elapsed = (Utc::now() - started).to_std().unwrap_or_default();
    run.saturating_sub(elapsed)
}

impl Runner {
    fn observe(&mut self, pod: &Pod) {
        let Ok(v) = serde_json::to_value(pod) else {
            return;
        };
        let Some(node) = self.nodes.get(str_at(&v, "/spec/nodeName")).cloned() else {
            return;
        };
        let uid = str_at(&v, "/metadata/uid").to_string();
        if let Some(listed) = self.listed.as_mut() {
            listed.insert(uid.clone());
        }
        if v.pointer("/metadata/deletionTimestamp").is_some() {
            self.forget(&uid);
            self.start(uid, v, Step::Finalize, Duration::ZERO);
            return;
        }
        if matches!(str_at(&v, "/status/phase"), "Succeeded" | "Failed") {
            self.forget(&uid);
            return;
        }
        let pod_ip = match str_at(&v, "/status/podIP").parse() {
            Ok(ip) => {
                self.ipam.adopt(&uid, node.index, ip);
                ip
            }
            Err(_) if v.pointer("/spec/hostNetwork") == Some(&json!(true)) => node.ip,
            Err(_) => self.ipam.assign(&uid, node.index),
        };
        if !podstatus::is_running_ready(&v) {
            let place = Placement {
                pod_ip,
                host_ip: node.ip,
            };
            self.start(uid, v, Step::Run(place), Duration::ZERO);
            return;
        }
        if let Some((run, code)) = run_to_completion(&v, self.settings.job_run)
            && self.ending.insert(uid.clone())
        {
            let delay = remaining(&v, run);
            self.start(uid, v, Step::Finish(code), delay);
        }
    }

    fn forget(&mut self, uid: &str) {
        self.ipam.release(uid);
        self.ending.remove(uid);
    }

    fn start(&self, uid: String, pod: Value, step: Step, delay: Duration) {
        let key = (uid, step.kind());
        {
            let Ok(mut busy) = self.busy.lock() else {
                return;
            };
            if !busy.insert(key.clone()) {
                return;
            }
        }
        let (client, busy, permits) =
            (self.client.clone(), self.busy.clone(), self.permits.clone());
        tokio::spawn(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if let Ok(_permit) = permits.acquire_owned().await {
                write(&client, &pod, step).await;
            }
            if let Ok(mut busy) = busy.lock() {
                busy.remove(&key);
            }
        });
    }
}

async fn write(client: &kube::Client, pod: &Value, step: Step) {
    let (ns, name, uid) = (
        str_at(pod, "/metadata/namespace"),
        str_at(pod, "/metadata/name"),
        str_at(pod, "/metadata/uid"),
    );
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    let mut backoff = Duration::from_millis(100);
    for attempt in 1..=ATTEMPTS {
        let r = match step {
            Step::Run(place) => {
                let patch = json!({"status": podstatus::running(pod, place, &now())});
                api.patch_status(name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                    .map(drop)
            }
            Step::Finish(code) => finish(&api, pod, name, uid, code).await,
            Step::Finalize => {
                let dp = DeleteParams {
                    grace_period_seconds: Some(0),
                    preconditions: Some(Preconditions {
                        uid: Some(uid.to_string()),
                        resource_version: None,
                    }),
                    ..Default::default()
                };
                api.delete(name, &dp).await.map(drop)
            }
        };
        match r {
            Ok(()) => return,
            // Gone, or replaced by another pod of the same name: nothing to do.
            Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => return,
            Err(e) if attempt == ATTEMPTS => {
                tracing::warn!(pod = %format!("{ns}/{name}"), ?step, error = %e, "fake pod update failed");
            }
            Err(_) => {
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
        }
    }
}

/// Ends a pod, unless it is no longer the same pod or already ended.
async fn finish(
    api: &Api<Pod>,
    pod: &Value,
    name: &str,
    uid: &str,
    code: i32,
) -> Result<(), kube::Error> {
    let current = api.get(name).await?;
    let same = current.metadata.uid.as_deref() == Some(uid);
    let phase = current.status.as_ref().and_then(|s| s.phase.as_deref());
    if !same
        || current.metadata.deletion_timestamp.is_some()
        || matches!(phase, Some("Succeeded" | "Failed"))
    {
        return Ok(());
    }
    let current = serde_json::to_value(&current).unwrap_or_else(|_| pod.clone());
    let patch = json!({"status": podstatus::finished(&current, code, &now())});
    api.patch_status(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(drop)
}

/// Watches every bound pod and runs those on our nodes, until the watch ends.
pub(crate) async fn run(
    client: kube::Client,
    nodes: Arc<NodeSet>,
    settings: Arc<Settings>,
) -> Result<(), Error> {
    let api: Api<Pod> = Api::all(client.clone());
    let cfg = watcher::Config::default().fields("spec.nodeName!=");
    let mut events = watcher(api, cfg).default_backoff().boxed();
    let mut runner = Runner {
        client,
        nodes,
        settings,
        ipam: Ipam::default(),
        ending: HashSet::new(),
        busy: Arc::new(Mutex::new(HashSet::new())),
        permits: Arc::new(Semaphore::new(MAX_WRITES)),
        listed: None,
    };
    while let Some(ev) = events.next().await {
        match ev {
            Ok(watcher::Event::Init) => runner.listed = Some(HashSet::new()),
            Ok(watcher::Event::InitApply(p) | watcher::Event::Apply(p)) => runner.observe(&p),
            Ok(watcher::Event::InitDone) => {
                // Pods that vanished while the watch was down.
                if let Some(listed) = runner.listed.take() {
                    let stale: Vec<String> = runner
                        .ending
                        .iter()
                        .chain(runner.ipam.uids())
                        .filter(|u| !listed.contains(*u))
                        .cloned()
                        .collect();
                    for uid in stale {
                        runner.forget(&uid);
                    }
                }
            }
            Ok(watcher::Event::Delete(p)) => {
                if let Some(uid) = p.metadata.uid.as_deref() {
                    runner.forget(uid);
                }
            }
            Err(e) => tracing::debug!(error = %e, "pod watch"),
        }
    }
    Err(Error::Stopped("pod watch"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_pods_run_to_completion() {
        let job = Duration::from_secs(1);
        let mut p = json!({"metadata": {"ownerReferences": [{"kind": "Job", "name": "j"}]},
                           "spec": {"restartPolicy": "Never"}});
        assert_eq!(run_to_completion(&p, job), Some((job, 0)));
        p["metadata"]["annotations"] =
            json!({RUN_SECONDS_ANNOTATION: "0.5", EXIT_CODE_ANNOTATION: "2"});
        assert_eq!(
            run_to_completion(&p, job),
            Some((Duration::from_millis(500), 2))
        );
        p["spec"]["restartPolicy"] = json!("OnFailure");
        assert_eq!(
            run_to_completion(&p, job),
            Some((Duration::from_millis(500), 0))
        );
        p["spec"]["restartPolicy"] = json!("Always");
        assert_eq!(run_to_completion(&p, job), None);
        let plain = json!({"metadata": {}, "spec": {"restartPolicy": "Never"}});
        assert_eq!(run_to_completion(&plain, job), None);
    }

    #[test]
    fn remaining_run_time() {
        let p = json!({"status": {"startTime": "2000-01-01T00:00:00Z"}});
        assert_eq!(remaining(&p, Duration::from_secs(5)), Duration::ZERO);
        let fresh = json!({"status": {}});
        assert!(remaining(&fresh, Duration::from_secs(5)) > Duration::from_secs(4));
    }
}
