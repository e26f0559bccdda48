//! ControllerRevisions: the template history StatefulSets and DaemonSets keep (upstream
//! `pkg/controller/history`), shared by both controllers. A revision holds the patch
//! that restores its template (`{"spec":{"template":{..., "$patch":"replace"}}}`, which
//! `kubectl rollout undo` applies), is named `<owner>-<hash>` and carries the
//! `controller-revision-hash` label; re-applying an older template bumps that old
//! revision to the newest number instead of creating a new one.

use std::collections::{BTreeMap, HashSet};

use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use super::podstate::{controller_ref, controller_uid, is_conflict, selector_string};
use crate::context::Error;

/// The label that ties pods (and revisions) to a revision.
pub(crate) const REVISION_HASH_LABEL: &str = "controller-revision-hash";

/// Characters upstream's `rand.SafeEncodeString` maps onto (no vowels, no look-alikes).
const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// 32-bit FNV-1a.
pub(crate) fn fnv32a(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// `rand.SafeEncodeString`.
pub(crate) fn safe_encode(s: &str) -> String {
    s.bytes()
        .map(|b| char::from(SAFE_ALPHABET[usize::from(b) % SAFE_ALPHABET.len()]))
        .collect()
}

/// The hash of a revision's data and the owner's collision count.
pub(crate) fn hash(data: &Value, collision_count: i32) -> String {
    let mut bytes = serde_json::to_vec(data).unwrap_or_default();
    if collision_count > 0 {
        bytes.extend_from_slice(collision_count.to_string().as_bytes());
    }
    safe_encode(&fnv32a(&bytes).to_string())
}

/// `<prefix>-<hash>`, the prefix cut so the name stays a valid object name.
pub(crate) fn revision_name(prefix: &str, hash: &str) -> String {
    let cut: String = prefix.chars().take(223).collect();
    format!("{cut}-{hash}")
}

/// The revision data for a pod template.
pub(crate) fn template_patch(template: &PodTemplateSpec) -> Result<Value, Error> {
    let mut t = serde_json::to_value(template).map_err(|e| Error::Other(e.to_string()))?;
    if let Some(m) = t.as_object_mut() {
        m.insert("$patch".into(), json!("replace"));
    }
    Ok(json!({"spec": {"template": t}}))
}

/// The pod template a revision restores.
pub(crate) fn template_of(cr: &ControllerRevision) -> Option<PodTemplateSpec> {
    let mut t = cr.data.as_ref()?.0.pointer("/spec/template")?.clone();
    if let Some(m) = t.as_object_mut() {
        m.remove("$patch");
    }
    serde_json::from_value(t).ok()
}

/// The object whose history is kept.
pub(crate) struct Owner<'a> {
    pub meta: &'a ObjectMeta,
    pub api_version: &'a str,
    pub kind: &'a str,
    pub selector: &'a LabelSelector,
    pub template_labels: BTreeMap<String, String>,
}

impl Owner<'_> {
    fn ns(&self) -> &str {
        self.meta.namespace.as_deref().unwrap_or("default")
    }
    fn uid(&self) -> &str {
        self.meta.uid.as_deref().unwrap_or("")
    }
}

/// The owner's revisions, oldest first.
pub(crate) async fn list(
    client: &kube::Client,
    owner: &Owner<'_>,
) -> Result<Vec<ControllerRevision>, Error> {
    let api: Api<ControllerRevision> = Api::namespaced(client.clone(), owner.ns());
    let sel = selector_string(owner.selector)?;
    let lp = if sel.is_empty() {
        ListParams::default()
    } else {
        ListParams::default().labels(&sel)
    };
    let mut revs: Vec<ControllerRevision> = api
        .list(&lp)
        .await?
        .items
        .into_iter()
        .filter(|r| controller_uid(&r.metadata) == Some(owner.uid()))
        .collect();
    revs.sort_by(|a, b| {
        a.revision
            .cmp(&b.revision)
            .then_with(|| a.metadata.name.cmp(&b.metadata.name))
    });
    Ok(revs)
}

fn data_of(cr: &ControllerRevision) -> Option<&Value> {
    cr.data.as_ref().map(|d| &d.0)
}

/// Finds or creates the revision holding `data` and makes it the newest; `revisions`
/// (oldest first) is kept in step. A name taken by different data bumps
/// `collision_count`.
pub(crate) async fn ensure(
    client: &kube::Client,
    owner: &Owner<'_>,
    revisions: &mut Vec<ControllerRevision>,
    data: Value,
    collision_count: &mut i32,
) -> Result<ControllerRevision, Error> {
    let api: Api<ControllerRevision> = Api::namespaced(client.clone(), owner.ns());
    let next = revisions.iter().map(|r| r.revision).max().unwrap_or(0) + 1;
    if let Some(i) = revisions.iter().rposition(|r| data_of(r) == Some(&data)) {
        if i + 1 == revisions.len() {
            return Ok(revisions[i].clone());
        }
        let name = revisions[i].metadata.name.clone().unwrap_or_default();
        let bumped = api
            .patch(
                &name,
                &PatchParams::default(),
                &Patch::Merge(json!({"revision": next})),
            )
            .await?;
        revisions.remove(i);
        revisions.push(bumped.clone());
        return Ok(bumped);
    }
    for _ in 0..16 {
        let h = hash(&data, *collision_count);
        let mut labels = owner.template_labels.clone();
        labels.insert(REVISION_HASH_LABEL.into(), h.clone());
        let cr = ControllerRevision {
            metadata: ObjectMeta {
                name: Some(revision_name(owner.meta.name.as_deref().unwrap_or(""), &h)),
                namespace: Some(owner.ns().to_string()),
                labels: Some(labels),
                owner_references: Some(vec![controller_ref(
                    owner.meta,
                    owner.api_version,
                    owner.kind,
                )]),
                ..Default::default()
            },
            data: Some(RawExtension(data.clone())),
            revision: next,
        };
        match api.create(&PostParams::default(), &cr).await {
            Ok(created) => {
                revisions.push(created.clone());
                return Ok(created);
            }
            Err(e) if is_conflict(&e) => {
                let name = cr.metadata.name.clone().unwrap_or_default();
                let existing = api.get(&name).await?;
                if data_of(&existing) == Some(&data)
                    && controller_uid(&existing.metadata) == Some(owner.uid())
                {
                    revisions.push(existing.clone());
                    return Ok(existing);
                }
                *collision_count += 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Other("too many revision hash collisions".into()))
}

/// Deletes the oldest revisions beyond `limit`, never one in `live` (referenced by pods
/// or the owner's status).
pub(crate) async fn truncate(
    client: &kube::Client,
    owner: &Owner<'_>,
    revisions: &[ControllerRevision],
    live: &HashSet<String>,
    limit: i32,
) -> Result<(), Error> {
    let api: Api<ControllerRevision> = Api::namespaced(client.clone(), owner.ns());
    let old: Vec<&ControllerRevision> = revisions
        .iter()
        .filter(|r| !live.contains(r.metadata.name.as_deref().unwrap_or("")))
        .collect();
    let excess = old
        .len()
        .saturating_sub(usize::try_from(limit).unwrap_or(0));
    for r in old.into_iter().take(excess) {
        let name = r.metadata.name.as_deref().unwrap_or("");
        match api.delete(name, &DeleteParams::default()).await {
            Ok(_) => tracing::debug!(revision = name, "deleted old revision"),
            Err(e) if super::podstate::is_not_found(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn fnv_and_safe_encoding() {
        // FNV-1a test vectors.
        assert_eq!(fnv32a(b""), 0x811c_9dc5);
        assert_eq!(fnv32a(b"a"), 0xe40c_292c);
        assert_eq!(safe_encode("0123"), "4567");
        let d = json!({"spec": {"template": {"metadata": {"labels": {"a": "b"}}}}});
        assert_eq!(hash(&d, 0), hash(&d.clone(), 0));
        assert_ne!(hash(&d, 0), hash(&d, 1));
        assert!(hash(&d, 0).bytes().all(|b| SAFE_ALPHABET.contains(&b)));
    }

    #[test]
    fn template_round_trip() {
        let t: PodTemplateSpec = serde_json::from_value(json!({
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}))
        .unwrap();
        let data = template_patch(&t).unwrap();
        assert_eq!(data["spec"]["template"]["$patch"], "replace");
        let cr = ControllerRevision {
            data: Some(RawExtension(data)),
            ..Default::default()
        };
        assert_eq!(template_of(&cr), Some(t));
        assert_eq!(revision_name("web", "abc"), "web-abc");
    }
}
