//! The API objects pod volumes project (configMaps, secrets, service-account tokens), read
//! with the node's client for the volume manager.

use std::time::{Duration, SystemTime};

use k8s_openapi::api::authentication::v1::{BoundObjectReference, TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::{ConfigMap, Secret, ServiceAccount};
use kube::api::{Api, PostParams};
use kubehci_volumes::{ObjectSource, VolumeError};

pub struct ApiObjects {
    pub client: kube::Client,
}

fn source(e: kube::Error) -> VolumeError {
    VolumeError::Source(e.to_string())
}

#[async_trait::async_trait]
impl ObjectSource for ApiObjects {
    async fn config_map(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Option<ConfigMap>, VolumeError> {
        Api::<ConfigMap>::namespaced(self.client.clone(), namespace)
            .get_opt(name)
            .await
            .map_err(source)
    }

    async fn secret(&self, namespace: &str, name: &str) -> Result<Option<Secret>, VolumeError> {
        Api::<Secret>::namespaced(self.client.clone(), namespace)
            .get_opt(name)
            .await
            .map_err(source)
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
        let api: Api<ServiceAccount> = Api::namespaced(self.client.clone(), namespace);
        let req = TokenRequest {
            metadata: Default::default(),
            spec: TokenRequestSpec {
                audiences: audiences.to_vec(),
                expiration_seconds: Some(expiration_seconds),
                bound_object_ref: Some(BoundObjectReference {
                    api_version: Some("v1".into()),
                    kind: Some("Pod".into()),
                    name: Some(pod_name.into()),
                    uid: Some(pod_uid.into()),
                }),
            },
            status: None,
        };
        let out: TokenRequest = api
            .create_subresource("token", service_account, &PostParams::default(), &req)
            .await
            .map_err(source)?;
        let status = out
            .status
            .ok_or_else(|| VolumeError::Source("TokenRequest has no status".into()))?;
        let exp = status.expiration_timestamp.0;
        let exp = SystemTime::UNIX_EPOCH + Duration::from_secs(exp.as_second().max(0) as u64);
        Ok((status.token, exp))
    }
}
