//! Test support: a fake API-object source, a temp node root that unmounts everything under
//! it when dropped, and pod builders.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{ConfigMap, Container, Pod, PodSpec, Secret, Volume};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kubehci_volumes::{ObjectSource, VolumeError, VolumeManager};
use parking_lot::Mutex;

/// A token request the fake saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenTokenRequest {
    pub namespace: String,
    pub service_account: String,
    pub audiences: Vec<String>,
    pub expiration_seconds: i64,
    pub pod_name: String,
    pub pod_uid: String,
}

/// API objects in memory; tokens are `token-<n>` and expire after `token_lifetime`.
#[derive(Default)]
pub struct FakeSource {
    pub config_maps: Mutex<BTreeMap<(String, String), ConfigMap>>,
    pub secrets: Mutex<BTreeMap<(String, String), Secret>>,
    pub token_requests: Mutex<Vec<SeenTokenRequest>>,
    pub token_lifetime: Mutex<Option<Duration>>,
    pub fail_tokens: Mutex<bool>,
    issued: AtomicUsize,
}

impl FakeSource {
    pub fn put_config_map(&self, ns: &str, name: &str, data: &[(&str, &str)]) {
        let cm = ConfigMap {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some(ns.into()),
                ..Default::default()
            },
            data: Some(
                data.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            ..Default::default()
        };
        self.config_maps.lock().insert((ns.into(), name.into()), cm);
    }

    pub fn put_secret(&self, ns: &str, name: &str, data: &[(&str, &[u8])]) {
        let s = Secret {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some(ns.into()),
                ..Default::default()
            },
            data: Some(
                data.iter()
                    .map(|(k, v)| (k.to_string(), ByteString(v.to_vec())))
                    .collect(),
            ),
            ..Default::default()
        };
        self.secrets.lock().insert((ns.into(), name.into()), s);
    }
}

#[async_trait::async_trait]
impl ObjectSource for FakeSource {
    async fn config_map(&self, ns: &str, name: &str) -> Result<Option<ConfigMap>, VolumeError> {
        if name == "api-down" {
            return Err(VolumeError::Source("connection refused".into()));
        }
        Ok(self
            .config_maps
            .lock()
            .get(&(ns.into(), name.into()))
            .cloned())
    }

    async fn secret(&self, ns: &str, name: &str) -> Result<Option<Secret>, VolumeError> {
        Ok(self.secrets.lock().get(&(ns.into(), name.into())).cloned())
    }

    async fn service_account_token(
        &self,
        namespace: &str,
        service_account: &str,
        audiences: &[String],
        expiration_seconds: i64,
        pod_name: &str,
        pod_uid: &str,
    ) -> Result<(String, SystemTime), VolumeError> {
        if *self.fail_tokens.lock() {
            return Err(VolumeError::Source(format!(
                "serviceaccounts \"{service_account}\" not found"
            )));
        }
        self.token_requests.lock().push(SeenTokenRequest {
            namespace: namespace.into(),
            service_account: service_account.into(),
            audiences: audiences.to_vec(),
            expiration_seconds,
            pod_name: pod_name.into(),
            pod_uid: pod_uid.into(),
        });
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let lifetime = self.token_lifetime.lock().unwrap_or(Duration::from_secs(
            u64::try_from(expiration_seconds).unwrap_or(3600),
        ));
        Ok((format!("token-{n}"), SystemTime::now() + lifetime))
    }
}

/// A node root in a temp dir (mode 0755 so other uids can traverse it). Dropping it unmounts
/// everything mounted below it, then removes it.
pub struct TempRoot {
    pub dir: tempfile::TempDir,
}

impl TempRoot {
    pub fn new() -> TempRoot {
        let dir = tempfile::Builder::new()
            .prefix("kubehci-volumes-test")
            .tempdir()
            .expect("tempdir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        TempRoot { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for TempRoot {
    fn drop(&mut self) {
        for _ in 0..8 {
            let mounts = mounts_under(self.dir.path());
            if mounts.is_empty() {
                break;
            }
            for m in mounts {
                let _ = rustix::mount::unmount(&m, rustix::mount::UnmountFlags::DETACH);
            }
        }
    }
}

/// Mount points at or below `dir` (mountinfo field 5), deepest first.
pub fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut v: Vec<PathBuf> = text
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(PathBuf::from)
        .filter(|p| p.starts_with(dir))
        .collect();
    v.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    v
}

/// A manager over `root` with a fresh fake source.
pub fn manager(root: &TempRoot) -> (VolumeManager, Arc<FakeSource>) {
    let source = Arc::new(FakeSource::default());
    (
        VolumeManager::new(root.path().to_path_buf(), source.clone()),
        source,
    )
}

/// A pod `ns/web` with uid `uid`, one container `app`, and `volumes` given as JSON.
pub fn pod(uid: &str, volumes: serde_json::Value) -> Pod {
    let volumes: Vec<Volume> = serde_json::from_value(volumes).expect("volumes");
    Pod {
        metadata: ObjectMeta {
            name: Some("web".into()),
            namespace: Some("ns".into()),
            uid: Some(uid.into()),
            ..Default::default()
        },
        spec: Some(PodSpec {
            containers: vec![Container {
                name: "app".into(),
                ..Default::default()
            }],
            volumes: Some(volumes),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A container from JSON.
pub fn container(v: serde_json::Value) -> Container {
    serde_json::from_value(v).expect("container")
}

pub fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).expect("stat").permissions().mode() & 0o7777
}

pub fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

/// The one failure message of a set-up error.
pub fn failure(err: VolumeError) -> (String, String) {
    match err {
        VolumeError::SetUp(f) if f.len() == 1 => (f[0].volume.clone(), f[0].message.clone()),
        other => panic!("expected one volume failure, got {other:?}"),
    }
}
