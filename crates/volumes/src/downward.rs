//! Downward API files: `fieldRef` (pod metadata) and `resourceFieldRef` (container
//! resources with a divisor), as upstream's `downwardapi.CollectData`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Container, DownwardAPIVolumeFile, ObjectFieldSelector, ResourceFieldSelector,
};
use kubehci_api::gofmt::go_quote;
use kubehci_api::quantity::{Format, Quantity};

use crate::VolumeError;
use crate::atomic_writer::{FileProjection, Payload};
use crate::manager::PodContext;

/// The payload of a downwardAPI volume or projection; every failing item is reported
/// (one message, or `[a, b]` for several, as upstream's error aggregate).
pub(crate) fn collect(
    items: &[DownwardAPIVolumeFile],
    ctx: &PodContext<'_>,
    default_mode: u32,
) -> Result<Payload, VolumeError> {
    let mut data = Payload::new();
    let mut errs = Vec::new();
    for item in items {
        let mode = item
            .mode
            .and_then(|m| u32::try_from(m).ok())
            .unwrap_or(default_mode);
        let value = if let Some(f) = &item.field_ref {
            field_value(ctx, f)
        } else if let Some(r) = &item.resource_field_ref {
            resource_value(ctx, r)
        } else {
            Ok(String::new())
        };
        match value {
            Ok(v) => {
                data.insert(
                    item.path.clone(),
                    FileProjection {
                        data: v.into_bytes(),
                        mode,
                        fs_user: None,
                    },
                );
            }
            Err(e) => errs.push(e),
        }
    }
    match errs.len() {
        0 => Ok(data),
        _ => Err(VolumeError::Invalid(aggregate(&errs))),
    }
}

/// Upstream's `utilerrors.NewAggregate(...).Error()`.
pub(crate) fn aggregate(msgs: &[String]) -> String {
    if msgs.len() == 1 {
        msgs[0].clone()
    } else {
        format!("[{}]", msgs.join(", "))
    }
}

/// `fieldpath.ExtractFieldPathAsString` for a pod.
fn field_value(ctx: &PodContext<'_>, f: &ObjectFieldSelector) -> Result<String, String> {
    let path = f.field_path.as_str();
    let meta = &ctx.pod.metadata;
    if let Some((base, key)) = split_subscript(path) {
        return match base {
            "metadata.annotations" => Ok(lookup(meta.annotations.as_ref(), key)),
            "metadata.labels" => Ok(lookup(meta.labels.as_ref(), key)),
            _ => Err(format!(
                "fieldPath {} does not support subscript",
                go_quote(path)
            )),
        };
    }
    match path {
        "metadata.annotations" => Ok(format_map(meta.annotations.as_ref())),
        "metadata.labels" => Ok(format_map(meta.labels.as_ref())),
        "metadata.name" => Ok(ctx.name.to_string()),
        "metadata.namespace" => Ok(ctx.namespace.to_string()),
        "metadata.uid" => Ok(ctx.uid.to_string()),
        _ => Err(format!("unsupported fieldPath: {path}")),
    }
}

fn lookup(m: Option<&BTreeMap<String, String>>, key: &str) -> String {
    m.and_then(|m| m.get(key)).cloned().unwrap_or_default()
}

/// `metadata.labels['key']` -> (`metadata.labels`, `key`).
fn split_subscript(path: &str) -> Option<(&str, &str)> {
    let inner = path.strip_suffix("']")?;
    let (base, key) = inner.split_once("['")?;
    Some((base, key))
}

/// Upstream's `fieldpath.FormatMap`: sorted `key="value"` lines (Go `%q` quoting), no
/// trailing newline.
pub(crate) fn format_map(m: Option<&BTreeMap<String, String>>) -> String {
    m.into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", go_quote(v)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `ExtractResourceValueByContainerNameAndNodeAllocatable`.
fn resource_value(ctx: &PodContext<'_>, r: &ResourceFieldSelector) -> Result<String, String> {
    let name = r.container_name.as_deref().unwrap_or_default();
    let spec = ctx.pod.spec.as_ref();
    let container: &Container = spec
        .into_iter()
        .flat_map(|s| {
            s.containers
                .iter()
                .chain(s.init_containers.iter().flatten())
        })
        .find(|c| c.name == name)
        .ok_or_else(|| format!("container {name} not found"))?;
    let divisor = r
        .divisor
        .as_ref()
        .and_then(|q| Quantity::parse(&q.0).ok())
        .filter(|q| !q.is_zero())
        .unwrap_or_else(|| Quantity::from_int(1, Format::DecimalSI));
    let (kind, res) = r
        .resource
        .split_once('.')
        .filter(|(k, _)| *k == "limits" || *k == "requests")
        .ok_or_else(|| format!("unsupported container resource : {}", r.resource))?;
    let known =
        matches!(res, "cpu" | "memory" | "ephemeral-storage") || res.starts_with("hugepages-");
    if !known {
        return Err(format!("unsupported container resource : {}", r.resource));
    }
    let resources = container.resources.as_ref();
    let list = if kind == "limits" {
        resources.and_then(|x| x.limits.as_ref())
    } else {
        resources.and_then(|x| x.requests.as_ref())
    };
    let mut value = list
        .and_then(|l| l.get(res))
        .and_then(|q| Quantity::parse(&q.0).ok());
    if value.is_none() && kind == "limits" {
        // Unset limits default to the node's allocatable (MergeContainerResourceLimits).
        let alloc = ctx.allocatable;
        let (amount, suffix) = match res {
            "cpu" => (alloc.cpu_millis, "m"),
            "memory" => (alloc.memory_bytes, ""),
            "ephemeral-storage" => (alloc.ephemeral_storage_bytes, ""),
            _ => (0, ""),
        };
        if amount > 0 {
            value = Quantity::parse(&format!("{amount}{suffix}")).ok();
        }
    }
    let value = value.unwrap_or_else(|| Quantity::from_int(0, Format::DecimalSI));
    let (num, den) = if res == "cpu" {
        (value.milli_value(), divisor.milli_value())
    } else {
        (value.scaled(0), divisor.scaled(0))
    };
    Ok(ceil_div(num, den).to_string())
}

fn ceil_div(a: i128, b: i128) -> i128 {
    if b <= 0 {
        return a;
    }
    let q = a / b;
    if a % b > 0 { q + 1 } else { q }
}
