//! Service-account tokens for projected volumes, cached per pod and re-requested when due,
//! as kubelet's token manager does.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;
use tracing::{debug, warn};

use crate::{ObjectSource, VolumeError};

/// Tokens older than this are refreshed whatever their expiry.
const MAX_TTL: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    pod_uid: String,
    namespace: String,
    service_account: String,
    audiences: Vec<String>,
    expiration_seconds: i64,
}

#[derive(Debug, Clone)]
struct Cached {
    token: String,
    expiration: SystemTime,
}

/// Issued tokens by pod and request.
#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    tokens: Mutex<HashMap<Key, Cached>>,
}

/// One token request of a pod.
pub(crate) struct Request<'a> {
    pub namespace: &'a str,
    pub service_account: &'a str,
    pub audiences: Vec<String>,
    pub expiration_seconds: i64,
    pub pod_name: &'a str,
    pub pod_uid: &'a str,
}

impl TokenCache {
    /// The cached token, or a new one when there is none or 80% of its requested lifetime
    /// (or 24 h) has passed. A failed refresh keeps serving an unexpired token.
    pub(crate) async fn get(
        &self,
        source: &dyn ObjectSource,
        req: Request<'_>,
    ) -> Result<String, VolumeError> {
        let key = Key {
            pod_uid: req.pod_uid.to_string(),
            namespace: req.namespace.to_string(),
            service_account: req.service_account.to_string(),
            audiences: req.audiences.clone(),
            expiration_seconds: req.expiration_seconds,
        };
        let now = SystemTime::now();
        let cached = self.tokens.lock().get(&key).cloned();
        if let Some(c) = &cached
            && !requires_refresh(now, c.expiration, req.expiration_seconds)
        {
            return Ok(c.token.clone());
        }
        let fetched = source
            .service_account_token(
                req.namespace,
                req.service_account,
                &req.audiences,
                req.expiration_seconds,
                req.pod_name,
                req.pod_uid,
            )
            .await;
        match (fetched, cached) {
            (Ok((token, expiration)), _) => {
                debug!(
                    pod_uid = req.pod_uid,
                    sa = req.service_account,
                    "token issued"
                );
                self.tokens.lock().insert(
                    key,
                    Cached {
                        token: token.clone(),
                        expiration,
                    },
                );
                Ok(token)
            }
            (Err(e), None) => Err(VolumeError::Source(format!("failed to fetch token: {e}"))),
            (Err(e), Some(c)) if c.expiration <= now => Err(VolumeError::Source(format!(
                "token {}/{} expired and refresh failed: {e}",
                req.namespace, req.service_account
            ))),
            (Err(e), Some(c)) => {
                warn!(pod_uid = req.pod_uid, error = %e, "couldn't update token");
                Ok(c.token)
            }
        }
    }

    /// Drops every token of a pod (teardown).
    pub(crate) fn forget_pod(&self, pod_uid: &str) {
        self.tokens.lock().retain(|k, _| k.pod_uid != pod_uid);
    }
}

/// Upstream's `requiresRefresh` without the random jitter: older than 24 h, or within 20% of
/// the requested lifetime from expiry.
pub(crate) fn requires_refresh(now: SystemTime, expiration: SystemTime, ttl_secs: i64) -> bool {
    let ttl = Duration::from_secs(u64::try_from(ttl_secs).unwrap_or(0));
    let issued = expiration.checked_sub(ttl).unwrap_or(expiration);
    if now > issued + MAX_TTL {
        return true;
    }
    let margin = ttl / 5;
    now > expiration.checked_sub(margin).unwrap_or(expiration)
}

#[cfg(test)]
mod tests {
    use super::requires_refresh;
    use std::time::{Duration, SystemTime};

    #[test]
    fn refresh_after_eighty_percent() {
        let now = SystemTime::now();
        let exp = now + Duration::from_secs(3600);
        assert!(!requires_refresh(now, exp, 3600));
        assert!(!requires_refresh(
            now + Duration::from_secs(2879),
            exp,
            3600
        ));
        assert!(requires_refresh(now + Duration::from_secs(2881), exp, 3600));
    }
}
