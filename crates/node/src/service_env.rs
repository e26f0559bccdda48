//! The Service link variables of a container (`{SVC}_SERVICE_HOST`, `{SVC}_PORT_80_TCP`, ...),
//! docker-links style as kubelet writes them: the pod namespace's Services (unless
//! `enableServiceLinks: false`) and always the `kubernetes` Service.

use k8s_openapi::api::core::v1::{Pod, Service};
use kube::api::{Api, ListParams};

/// The Service link variables of `svc` (docker-links style).
fn service_env(svc: &Service, out: &mut Vec<(String, String)>) {
    let Some(spec) = &svc.spec else { return };
    let Some(ip) = spec
        .cluster_ip
        .as_deref()
        .filter(|ip| !ip.is_empty() && *ip != "None")
    else {
        return;
    };
    let name = svc
        .metadata
        .name
        .clone()
        .unwrap_or_default()
        .to_uppercase()
        .replace('-', "_");
    let ports = spec.ports.clone().unwrap_or_default();
    let Some(first) = ports.first() else { return };
    out.push((format!("{name}_SERVICE_HOST"), ip.into()));
    out.push((format!("{name}_SERVICE_PORT"), first.port.to_string()));
    for p in &ports {
        if let Some(pn) = &p.name {
            out.push((
                format!(
                    "{name}_SERVICE_PORT_{}",
                    pn.to_uppercase().replace('-', "_")
                ),
                p.port.to_string(),
            ));
        }
    }
    let proto = |p: &k8s_openapi::api::core::v1::ServicePort| {
        p.protocol.clone().unwrap_or_else(|| "TCP".into())
    };
    out.push((
        format!("{name}_PORT"),
        format!("{}://{ip}:{}", proto(first).to_lowercase(), first.port),
    ));
    for p in &ports {
        let pr = proto(p);
        let prefix = format!("{name}_PORT_{}_{}", p.port, pr.to_uppercase());
        out.push((
            prefix.clone(),
            format!("{}://{ip}:{}", pr.to_lowercase(), p.port),
        ));
        out.push((format!("{prefix}_PROTO"), pr.to_lowercase()));
        out.push((format!("{prefix}_PORT"), p.port.to_string()));
        out.push((format!("{prefix}_ADDR"), ip.into()));
    }
}

pub async fn service_links(client: &kube::Client, pod: &Pod) -> Vec<(String, String)> {
    let ns = pod
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into());
    let links = pod
        .spec
        .as_ref()
        .and_then(|s| s.enable_service_links)
        .unwrap_or(true);
    let mut svcs: Vec<Service> = Vec::new();
    if links
        && let Ok(l) = Api::<Service>::namespaced(client.clone(), &ns)
            .list(&ListParams::default())
            .await
    {
        svcs.extend(l.items);
    }
    if (ns != "default" || !links)
        && let Ok(Some(k)) = Api::<Service>::namespaced(client.clone(), "default")
            .get_opt("kubernetes")
            .await
    {
        svcs.retain(|s| s.metadata.name.as_deref() != Some("kubernetes"));
        svcs.push(k);
    }
    svcs.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    let mut out = Vec::new();
    for s in &svcs {
        service_env(s, &mut out);
    }
    out
}
