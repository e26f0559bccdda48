//! Upstream's ControllerRefManager: a controller adopts orphans its selector matches and
//! releases the children it owns that its selector no longer matches. Shared by the
//! ReplicaSet/ReplicationController (claiming Pods) and Deployment (claiming ReplicaSets)
//! controllers.

use std::fmt::Debug;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::api::{Api, Patch, PatchParams};
use kube::{Resource, ResourceExt};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// What to do with one candidate child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// Ours and still selected.
    Owned,
    /// An orphan our selector matches: take it.
    Adopt,
    /// Ours but no longer selected: let it go.
    Release,
    /// Someone else's, or not for us.
    Ignore,
}

/// The controlling owner reference of an object, if any.
pub(crate) fn controller_of(meta: &ObjectMeta) -> Option<&OwnerReference> {
    meta.owner_references
        .iter()
        .flatten()
        .find(|r| r.controller == Some(true))
}

/// Decides a child's fate (`ClaimObject` upstream). `owner_deleting`: the owner has a
/// deletion timestamp (it then neither adopts nor releases).
pub(crate) fn decide(
    child: &ObjectMeta,
    owner_uid: &str,
    owner_deleting: bool,
    selected: bool,
) -> Claim {
    match controller_of(child) {
        Some(r) if r.uid == owner_uid => {
            if selected {
                Claim::Owned
            } else if owner_deleting {
                Claim::Ignore
            } else {
                Claim::Release
            }
        }
        Some(_) => Claim::Ignore,
        None => {
            if owner_deleting || child.deletion_timestamp.is_some() || !selected {
                Claim::Ignore
            } else {
                Claim::Adopt
            }
        }
    }
}

/// An owner reference making `owner` the controller of a child
/// (`metav1.NewControllerRef`: controller and blockOwnerDeletion both true).
pub(crate) fn controller_ref<K: Resource<DynamicType = ()>>(owner: &K) -> Option<OwnerReference> {
    let mut r = owner.controller_owner_ref(&())?;
    r.block_owner_deletion = Some(true);
    Some(r)
}

fn refs_value(refs: &[OwnerReference]) -> Value {
    if refs.is_empty() {
        Value::Null
    } else {
        serde_json::to_value(refs).unwrap_or(Value::Null)
    }
}

/// Adopts `child`: adds our controller reference, guarded by the child's
/// resourceVersion. `Ok(false)` when the child is gone.
pub(crate) async fn adopt<C>(
    api: &Api<C>,
    child: &C,
    owner: OwnerReference,
) -> Result<bool, kube::Error>
where
    C: Resource + Clone + DeserializeOwned + Debug,
{
    let mut refs: Vec<OwnerReference> = child.owner_references().to_vec();
    refs.retain(|r| r.uid != owner.uid);
    refs.push(owner);
    patch_refs(api, child, &refs).await
}

/// Releases `child`: removes references to `owner_uid`. `Ok(false)` when it is gone.
pub(crate) async fn release<C>(
    api: &Api<C>,
    child: &C,
    owner_uid: &str,
) -> Result<bool, kube::Error>
where
    C: Resource + Clone + DeserializeOwned + Debug,
{
    let mut refs: Vec<OwnerReference> = child.owner_references().to_vec();
    refs.retain(|r| r.uid != owner_uid);
    patch_refs(api, child, &refs).await
}

async fn patch_refs<C>(
    api: &Api<C>,
    child: &C,
    refs: &[OwnerReference],
) -> Result<bool, kube::Error>
where
    C: Resource + Clone + DeserializeOwned + Debug,
{
    let patch = json!({
        "metadata": {
            "ownerReferences": refs_value(refs),
            "resourceVersion": child.resource_version(),
            "uid": child.uid(),
        }
    });
    match api
        .patch(
            &child.name_any(),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if is_status(&e, 404) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether `e` is an API error with this HTTP code.
pub(crate) fn is_status(e: &kube::Error, code: u16) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(owner: Option<(&str, bool)>, deleting: bool) -> ObjectMeta {
        ObjectMeta {
            owner_references: owner.map(|(uid, controller)| {
                vec![OwnerReference {
                    uid: uid.into(),
                    controller: Some(controller),
                    ..Default::default()
                }]
            }),
            deletion_timestamp: deleting.then_some(
                k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                    k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
                ),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn claims_as_upstream() {
        assert_eq!(
            decide(&meta(Some(("a", true)), false), "a", false, true),
            Claim::Owned
        );
        assert_eq!(
            decide(&meta(Some(("a", true)), false), "a", false, false),
            Claim::Release
        );
        assert_eq!(
            decide(&meta(Some(("a", true)), false), "a", true, false),
            Claim::Ignore
        );
        assert_eq!(
            decide(&meta(Some(("b", true)), false), "a", false, true),
            Claim::Ignore
        );
        assert_eq!(decide(&meta(None, false), "a", false, true), Claim::Adopt);
        // A non-controller reference does not make an object owned.
        assert_eq!(
            decide(&meta(Some(("b", false)), false), "a", false, true),
            Claim::Adopt
        );
        assert_eq!(decide(&meta(None, true), "a", false, true), Claim::Ignore);
        assert_eq!(decide(&meta(None, false), "a", true, true), Claim::Ignore);
        assert_eq!(decide(&meta(None, false), "a", false, false), Claim::Ignore);
    }
}
