//! Leader election on a `coordination.k8s.io/v1` Lease, with upstream's timings: a lease
//! of 15 s, renewed every 2 s, given up when it could not be renewed for 10 s. Only the
//! holder runs controllers; a crashed holder's lease expires and another takes it.

use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, PostParams};
use serde_json::json;

use crate::context::Error;

const LEASE_SECONDS: i64 = 15;
const RETRY: Duration = Duration::from_secs(2);
const RENEW_DEADLINE: Duration = Duration::from_secs(10);

pub struct LeaderElection {
    api: Api<Lease>,
    name: String,
    identity: String,
}

fn micro_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn lease_object(
    name: &str,
    identity: &str,
    transitions: i64,
    acquire: &str,
    rv: Option<String>,
) -> Result<Lease, Error> {
    let mut v = json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": name},
        "spec": {
            "holderIdentity": identity,
            "leaseDurationSeconds": LEASE_SECONDS,
            "acquireTime": acquire,
            "renewTime": micro_now(),
            "leaseTransitions": transitions,
        },
    });
    if let Some(rv) = rv {
        v["metadata"]["resourceVersion"] = json!(rv);
    }
    serde_json::from_value(v).map_err(|e| Error::Other(e.to_string()))
}

/// Whether the lease's holder let it lapse.
fn expired(lease: &serde_json::Value) -> bool {
    let Some(renew) = lease.pointer("/spec/renewTime").and_then(|v| v.as_str()) else {
        return true;
    };
    let Ok(renew) = chrono::DateTime::parse_from_rfc3339(renew) else {
        return true;
    };
    let secs = lease
        .pointer("/spec/leaseDurationSeconds")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(LEASE_SECONDS);
    renew + chrono::Duration::seconds(secs) < chrono::Utc::now()
}

impl LeaderElection {
    pub fn new(client: kube::Client, namespace: &str, name: &str, identity: &str) -> Self {
        Self {
            api: Api::namespaced(client, namespace),
            name: name.to_string(),
            identity: identity.to_string(),
        }
    }

    /// One attempt to acquire or renew; `Ok(true)` when we hold the lease afterwards.
    pub async fn try_acquire_or_renew(&self) -> Result<bool, Error> {
        let current = match self.api.get_opt(&self.name).await? {
            None => {
                let lease = lease_object(&self.name, &self.identity, 0, &micro_now(), None)?;
                return match self.api.create(&PostParams::default(), &lease).await {
                    Ok(_) => Ok(true),
                    Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
                    Err(e) => Err(e.into()),
                };
            }
            Some(l) => l,
        };
        let v = serde_json::to_value(&current).map_err(|e| Error::Other(e.to_string()))?;
        let holder = v
            .pointer("/spec/holderIdentity")
            .and_then(|h| h.as_str())
            .unwrap_or("");
        let ours = holder == self.identity;
        if !ours && !holder.is_empty() && !expired(&v) {
            return Ok(false);
        }
        let transitions = v
            .pointer("/spec/leaseTransitions")
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(0);
        let (transitions, acquire) = if ours {
            (
                transitions,
                v.pointer("/spec/acquireTime")
                    .and_then(|a| a.as_str())
                    .map(str::to_string)
                    .unwrap_or_else(micro_now),
            )
        } else {
            (transitions + 1, micro_now())
        };
        let lease = lease_object(
            &self.name,
            &self.identity,
            transitions,
            &acquire,
            current.metadata.resource_version.clone(),
        )?;
        match self
            .api
            .replace(&self.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Blocks until this process holds the lease.
    pub async fn wait_until_leader(&self) -> Result<(), Error> {
        loop {
            match self.try_acquire_or_renew().await {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) => tracing::debug!(error = %e, "leader election attempt failed"),
            }
            tokio::time::sleep(RETRY).await;
        }
    }

    /// Renews until a renewal could not succeed for the renew deadline; then returns
    /// `LeadershipLost`.
    pub async fn keep_renewing(&self) -> Result<(), Error> {
        let mut last_ok = Instant::now();
        loop {
            tokio::time::sleep(RETRY).await;
            match self.try_acquire_or_renew().await {
                Ok(true) => last_ok = Instant::now(),
                Ok(false) => return Err(Error::LeadershipLost),
                Err(e) => tracing::warn!(error = %e, "lease renewal failed"),
            }
            if last_ok.elapsed() > RENEW_DEADLINE {
                return Err(Error::LeadershipLost);
            }
        }
    }
}
