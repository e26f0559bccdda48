//! Payloads of configMap, secret and projected volumes (upstream `MakePayload` and the
//! projected plugin's `collectData`).

use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, KeyToPath, ProjectedVolumeSource, Secret, SecretVolumeSource,
};

use crate::atomic_writer::{FileProjection, Payload};
use crate::downward::aggregate;
use crate::manager::{PodContext, mode_or_default};
use crate::token::{Request, TokenCache};
use crate::{ObjectSource, VolumeError};

/// A configMap volume: the object's keys (or `items`), empty when it is optional and absent.
pub(crate) async fn config_map_volume(
    source: &dyn ObjectSource,
    ctx: &PodContext<'_>,
    src: &ConfigMapVolumeSource,
) -> Result<Payload, VolumeError> {
    let optional = src.optional.unwrap_or(false);
    let cm = fetch_config_map(source, ctx, &src.name, optional).await?;
    config_map_payload(
        src.items.as_deref(),
        &cm,
        mode_or_default(src.default_mode),
        optional,
    )
    .map_err(VolumeError::Invalid)
}

/// A secret volume: the object's keys (or `items`), empty when it is optional and absent.
pub(crate) async fn secret_volume(
    source: &dyn ObjectSource,
    ctx: &PodContext<'_>,
    src: &SecretVolumeSource,
) -> Result<Payload, VolumeError> {
    let optional = src.optional.unwrap_or(false);
    let name = src.secret_name.as_deref().unwrap_or_default();
    let secret = fetch_secret(source, ctx, name, optional).await?;
    secret_payload(
        src.items.as_deref(),
        &secret,
        mode_or_default(src.default_mode),
        optional,
    )
    .map_err(VolumeError::Invalid)
}

async fn fetch_config_map(
    source: &dyn ObjectSource,
    ctx: &PodContext<'_>,
    name: &str,
    optional: bool,
) -> Result<ConfigMap, VolumeError> {
    match source.config_map(ctx.namespace, name).await? {
        Some(cm) => Ok(cm),
        None if optional => Ok(ConfigMap::default()),
        None => Err(VolumeError::NotFound {
            kind: "configmap",
            name: name.to_string(),
        }),
    }
}

async fn fetch_secret(
    source: &dyn ObjectSource,
    ctx: &PodContext<'_>,
    name: &str,
    optional: bool,
) -> Result<Secret, VolumeError> {
    match source.secret(ctx.namespace, name).await? {
        Some(s) => Ok(s),
        None if optional => Ok(Secret::default()),
        None => Err(VolumeError::NotFound {
            kind: "secret",
            name: name.to_string(),
        }),
    }
}

fn file(data: Vec<u8>, mode: u32) -> FileProjection {
    FileProjection {
        data,
        mode,
        fs_user: None,
    }
}

fn item_mode(item: &KeyToPath, default_mode: u32) -> u32 {
    item.mode
        .and_then(|m| u32::try_from(m).ok())
        .unwrap_or(default_mode)
}

/// Upstream `configmap.MakePayload`: `data` and `binaryData`, or the listed `items`.
fn config_map_payload(
    items: Option<&[KeyToPath]>,
    cm: &ConfigMap,
    default_mode: u32,
    optional: bool,
) -> Result<Payload, String> {
    let lookup = |key: &str| -> Option<Vec<u8>> {
        cm.data
            .as_ref()
            .and_then(|d| d.get(key))
            .map(|s| s.clone().into_bytes())
            .or_else(|| {
                cm.binary_data
                    .as_ref()
                    .and_then(|d| d.get(key))
                    .map(|b| b.0.clone())
            })
    };
    let mut payload = Payload::new();
    match items.filter(|i| !i.is_empty()) {
        None => {
            for (k, v) in cm.data.iter().flatten() {
                payload.insert(k.clone(), file(v.clone().into_bytes(), default_mode));
            }
            for (k, v) in cm.binary_data.iter().flatten() {
                payload.insert(k.clone(), file(v.0.clone(), default_mode));
            }
        }
        Some(items) => {
            for item in items {
                match lookup(&item.key) {
                    Some(data) => {
                        payload
                            .insert(item.path.clone(), file(data, item_mode(item, default_mode)));
                    }
                    None if optional => {}
                    None => {
                        return Err(format!(
                            "configmap references non-existent config key: {}",
                            item.key
                        ));
                    }
                }
            }
        }
    }
    Ok(payload)
}

/// Upstream `secret.MakePayload`.
fn secret_payload(
    items: Option<&[KeyToPath]>,
    secret: &Secret,
    default_mode: u32,
    optional: bool,
) -> Result<Payload, String> {
    let mut payload = Payload::new();
    match items.filter(|i| !i.is_empty()) {
        None => {
            for (k, v) in secret.data.iter().flatten() {
                payload.insert(k.clone(), file(v.0.clone(), default_mode));
            }
        }
        Some(items) => {
            for item in items {
                match secret.data.as_ref().and_then(|d| d.get(&item.key)) {
                    Some(data) => {
                        payload.insert(
                            item.path.clone(),
                            file(data.0.clone(), item_mode(item, default_mode)),
                        );
                    }
                    None if optional => {}
                    None => {
                        return Err(format!("references non-existent secret key: {}", item.key));
                    }
                }
            }
        }
    }
    Ok(payload)
}

/// The projected plugin's `collectData`: one payload from every source; failures are
/// collected and reported together.
pub(crate) async fn projected_volume(
    source: &dyn ObjectSource,
    tokens: &TokenCache,
    ctx: &PodContext<'_>,
    volume: &str,
    src: &ProjectedVolumeSource,
) -> Result<Payload, VolumeError> {
    let default_mode = mode_or_default(src.default_mode);
    let mut payload = Payload::new();
    let mut errs: Vec<String> = Vec::new();
    for s in src.sources.iter().flatten() {
        let part: Result<Payload, String> = if let Some(p) = &s.secret {
            let optional = p.optional.unwrap_or(false);
            match fetch_secret(source, ctx, &p.name, optional).await {
                Ok(secret) => secret_payload(p.items.as_deref(), &secret, default_mode, optional),
                Err(e) => Err(e.to_string()),
            }
        } else if let Some(p) = &s.config_map {
            let optional = p.optional.unwrap_or(false);
            match fetch_config_map(source, ctx, &p.name, optional).await {
                Ok(cm) => config_map_payload(p.items.as_deref(), &cm, default_mode, optional),
                Err(e) => Err(e.to_string()),
            }
        } else if let Some(p) = &s.downward_api {
            crate::downward::collect(p.items.as_deref().unwrap_or_default(), ctx, default_mode)
                .map_err(|e| e.to_string())
        } else if let Some(p) = &s.service_account_token {
            token_file(source, tokens, ctx, p, default_mode)
                .await
                .map_err(|e| e.to_string())
        } else {
            Err(format!(
                "projected volume {volume}: source type is not supported by the kubehci node agent"
            ))
        };
        match part {
            Ok(p) => payload.extend(p),
            Err(e) => errs.push(e),
        }
    }
    if errs.is_empty() {
        Ok(payload)
    } else {
        Err(VolumeError::Invalid(aggregate(&errs)))
    }
}

/// A service-account token file: mode 0600 when the pod has an fsGroup or all containers
/// share a runAsUser (then owned by that user; fsGroup ownership later makes it 0640),
/// otherwise the volume's defaultMode.
async fn token_file(
    source: &dyn ObjectSource,
    tokens: &TokenCache,
    ctx: &PodContext<'_>,
    p: &k8s_openapi::api::core::v1::ServiceAccountTokenProjection,
    default_mode: u32,
) -> Result<Payload, VolumeError> {
    let spec = ctx.pod.spec.as_ref();
    let service_account = spec
        .and_then(|s| s.service_account_name.as_deref())
        .filter(|s| !s.is_empty())
        .unwrap_or("default");
    let audiences = p
        .audience
        .iter()
        .filter(|a| !a.is_empty())
        .cloned()
        .collect();
    let token = tokens
        .get(
            source,
            Request {
                namespace: ctx.namespace,
                service_account,
                audiences,
                expiration_seconds: p.expiration_seconds.unwrap_or(3600),
                pod_name: ctx.name,
                pod_uid: ctx.uid,
            },
        )
        .await?;
    let mode = if ctx.fs_user.is_some() || ctx.fs_group.is_some() {
        0o600
    } else {
        default_mode
    };
    let mut out = Payload::new();
    out.insert(
        p.path.clone(),
        FileProjection {
            data: token.into_bytes(),
            mode,
            fs_user: ctx.fs_user,
        },
    );
    Ok(out)
}
