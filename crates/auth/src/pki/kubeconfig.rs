//! kubeconfig files like the ones kubeadm writes (`admin.conf`).

use base64::Engine as _;
use serde_json::{Value, json};

use super::CertKey;
use crate::error::{AuthError, Result};

/// What goes into a single-cluster, single-user kubeconfig.
#[derive(Debug, Clone, Default)]
pub struct Kubeconfig {
    /// Cluster entry name, e.g. `kubernetes`.
    pub cluster_name: String,
    /// `https://host:port`.
    pub server: String,
    /// The CA bundle clients verify the server with (PEM).
    pub ca_pem: String,
    /// User entry name, e.g. `kubernetes-admin`.
    pub user_name: String,
    /// Client certificate credentials.
    pub client: Option<CertKey>,
    /// Bearer token credentials (used when `client` is `None`, or in addition to it).
    pub token: Option<String>,
    /// Default namespace of the context.
    pub namespace: Option<String>,
}

impl Kubeconfig {
    /// `<user>@<cluster>`, kubeadm's context name.
    pub fn context_name(&self) -> String {
        format!("{}@{}", self.user_name, self.cluster_name)
    }

    /// The kubeconfig as a JSON value (same structure as the YAML).
    pub fn to_value(&self) -> Value {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
        let mut user = serde_json::Map::new();
        if let Some(c) = &self.client {
            user.insert("client-certificate-data".into(), b64(&c.cert_pem).into());
            user.insert("client-key-data".into(), b64(&c.key_pem).into());
        }
        if let Some(t) = &self.token {
            user.insert("token".into(), t.clone().into());
        }
        let mut context = json!({ "cluster": self.cluster_name });
        if let Some(ns) = &self.namespace {
            context["namespace"] = ns.clone().into();
        }
        context["user"] = self.user_name.clone().into();
        json!({
            "apiVersion": "v1",
            "clusters": [{
                "cluster": {
                    "certificate-authority-data": b64(&self.ca_pem),
                    "server": self.server,
                },
                "name": self.cluster_name,
            }],
            "contexts": [{ "context": context, "name": self.context_name() }],
            "current-context": self.context_name(),
            "kind": "Config",
            "preferences": {},
            "users": [{ "name": self.user_name, "user": Value::Object(user) }],
        })
    }
}

/// The kubeconfig YAML text.
pub fn kubeconfig_yaml(config: &Kubeconfig) -> Result<String> {
    serde_yaml::to_string(&config.to_value()).map_err(|e| AuthError::Kubeconfig(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_has_kubeadm_shape() {
        let k = Kubeconfig {
            cluster_name: "kubernetes".into(),
            server: "https://127.0.0.1:6443".into(),
            ca_pem: "CA".into(),
            user_name: "kubernetes-admin".into(),
            client: Some(CertKey {
                cert_pem: "C".into(),
                key_pem: "K".into(),
            }),
            ..Default::default()
        };
        let y = kubeconfig_yaml(&k).unwrap_or_default();
        let v: Value = serde_yaml::from_str(&y).unwrap_or_default();
        assert_eq!(v["current-context"], "kubernetes-admin@kubernetes");
        assert_eq!(
            v["clusters"][0]["cluster"]["certificate-authority-data"],
            "Q0E="
        );
        assert_eq!(v["users"][0]["user"]["client-certificate-data"], "Qw==");
        assert_eq!(v["users"][0]["user"]["client-key-data"], "Sw==");
        assert_eq!(v["contexts"][0]["context"]["user"], "kubernetes-admin");
        assert!(y.starts_with("apiVersion: v1\n"));
    }
}
