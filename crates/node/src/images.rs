//! Image presence and pulls by `imagePullPolicy`, with kubelet's events, its per-pod pull
//! back-off, and a hint to import images on nodes without a registry.

use std::time::Instant;

use k8s_openapi::api::core::v1::{Container, Pod};
use kubehci_runtime::cri::{Cri, api};

use crate::backoff::Backoff;
use crate::events::{self, Recorder};

pub const ERR_IMAGE_PULL: &str = "ErrImagePull";
pub const IMAGE_PULL_BACKOFF: &str = "ImagePullBackOff";
pub const ERR_IMAGE_NEVER_PULL: &str = "ErrImageNeverPull";

/// A pull failure: the waiting reason and message for the container status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullFailure {
    pub reason: &'static str,
    pub message: String,
}

/// How to get an image onto a node that cannot pull it.
pub fn import_hint(image: &str) -> String {
    format!(
        "image {image:?} is not present on the node and could not be pulled; import it into the node's containerd with `kubehci image load FILE.tar`"
    )
}

/// Go gRPC's error text.
pub fn grpc_text(s: &tonic::Status) -> String {
    format!("rpc error: code = {:?} desc = {}", s.code(), s.message())
}

/// The image as present in the runtime.
pub async fn status(cri: &Cri, image: &str) -> Result<Option<api::Image>, tonic::Status> {
    let mut images = cri.images.clone();
    Ok(images
        .image_status(api::ImageStatusRequest {
            image: Some(api::ImageSpec {
                image: image.into(),
                ..Default::default()
            }),
            verbose: false,
        })
        .await?
        .into_inner()
        .image)
}

/// The node's images for `status.images` (largest first, at most 50 as upstream).
pub async fn node_images(cri: &Cri) -> Vec<k8s_openapi::api::core::v1::ContainerImage> {
    let mut images = cri.images.clone();
    let Ok(list) = images
        .list_images(api::ListImagesRequest { filter: None })
        .await
    else {
        return Vec::new();
    };
    let mut list = list.into_inner().images;
    list.sort_by_key(|i| std::cmp::Reverse(i.size));
    list.into_iter()
        .take(50)
        .map(|i| {
            let mut names = i.repo_digests.clone();
            names.extend(i.repo_tags.clone());
            k8s_openapi::api::core::v1::ContainerImage {
                names: Some(names),
                size_bytes: Some(i.size as i64),
            }
        })
        .collect()
}

fn default_policy(image: &str) -> &'static str {
    let last = image.rsplit('/').next().unwrap_or(image);
    if image.contains('@') {
        "IfNotPresent"
    } else {
        match last.split_once(':') {
            Some((_, "latest")) | None => "Always",
            Some(_) => "IfNotPresent",
        }
    }
}

/// Makes sure `c.image` is present; returns the runtime's image.
pub async fn ensure(
    cri: &Cri,
    recorder: &Recorder,
    backoff: &mut Backoff,
    pod: &Pod,
    c: &Container,
    init: bool,
    already_backing_off: bool,
) -> Result<api::Image, PullFailure> {
    let image = c.image.clone().unwrap_or_default();
    let policy = c
        .image_pull_policy
        .clone()
        .unwrap_or_else(|| default_policy(&image).into());
    let path = events::container_path(&c.name, init);
    let present = status(cri, &image).await.map_err(|e| PullFailure {
        reason: ERR_IMAGE_PULL,
        message: grpc_text(&e),
    })?;
    if let Some(img) = &present
        && policy != "Always"
    {
        recorder
            .pod(
                pod,
                path,
                events::NORMAL,
                "Pulled",
                &format!("Container image {image:?} already present on machine"),
            )
            .await;
        return Ok(img.clone());
    }
    if present.is_none() && policy == "Never" {
        let msg = format!("Container image {image:?} is not present with pull policy of Never");
        recorder
            .pod(pod, path, events::WARNING, ERR_IMAGE_NEVER_PULL, &msg)
            .await;
        return Err(PullFailure {
            reason: ERR_IMAGE_NEVER_PULL,
            message: msg,
        });
    }
    let key = format!(
        "{}_{}",
        pod.metadata.uid.as_deref().unwrap_or_default(),
        image
    );
    if backoff.in_backoff_since_update(&key) {
        let msg = format!("Back-off pulling image {image:?}");
        if !already_backing_off {
            recorder
                .pod(pod, path, events::NORMAL, "BackOff", &msg)
                .await;
        }
        return Err(PullFailure {
            reason: IMAGE_PULL_BACKOFF,
            message: format!("{msg}: {}", import_hint(&image)),
        });
    }
    recorder
        .pod(
            pod,
            path.clone(),
            events::NORMAL,
            "Pulling",
            &format!("Pulling image {image:?}"),
        )
        .await;
    let started = Instant::now();
    let mut images = cri.images.clone();
    let pulled = images
        .pull_image(api::PullImageRequest {
            image: Some(api::ImageSpec {
                image: image.clone(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await;
    match pulled {
        Ok(_) => {
            let took = started.elapsed();
            let img = status(cri, &image).await.ok().flatten();
            let size = img.as_ref().map(|i| i.size).unwrap_or(0);
            recorder
                .pod(
                    pod,
                    path,
                    events::NORMAL,
                    "Pulled",
                    &format!(
                        "Successfully pulled image {image:?} in {}ms ({}ms including waiting). Image size: {size} bytes.",
                        took.as_millis(),
                        took.as_millis()
                    ),
                )
                .await;
            backoff.gc();
            img.ok_or_else(|| PullFailure {
                reason: ERR_IMAGE_PULL,
                message: import_hint(&image),
            })
        }
        Err(e) if present.is_some() => {
            // Policy Always with the image already here: run what we have.
            tracing::debug!(error = %e, image, "pull failed; using the present image");
            present.ok_or_else(|| PullFailure {
                reason: ERR_IMAGE_PULL,
                message: grpc_text(&e),
            })
        }
        Err(e) => {
            let text = grpc_text(&e);
            recorder
                .pod(
                    pod,
                    path.clone(),
                    events::WARNING,
                    "Failed",
                    &format!("Failed to pull image {image:?}: {text}"),
                )
                .await;
            recorder
                .pod(
                    pod,
                    path,
                    events::WARNING,
                    "Failed",
                    &format!("Error: {ERR_IMAGE_PULL}"),
                )
                .await;
            backoff.next(&key);
            Err(PullFailure {
                reason: ERR_IMAGE_PULL,
                message: format!("{text}; {}", import_hint(&image)),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policies() {
        assert_eq!(default_policy("busybox"), "Always");
        assert_eq!(default_policy("busybox:latest"), "Always");
        assert_eq!(default_policy("kubehci.local/busybox:1.35"), "IfNotPresent");
        assert_eq!(default_policy("localhost:5000/x"), "Always");
    }
}
