//! The ReplicationController controller: upstream runs the ReplicaSet controller's code
//! for ReplicationControllers (with a map selector), and so do we.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::ReplicaSetStatus;
use k8s_openapi::api::core::v1::{PodTemplateSpec, ReplicationController};

use crate::context::{Context, Error};
use crate::replicaset::{Selector, engine};

impl engine::Owner for ReplicationController {
    const COMPONENT: &'static str = "replication-controller";

    fn selector(&self) -> Selector {
        Selector::set(self.spec.as_ref().and_then(|s| s.selector.as_ref()))
    }

    fn replicas(&self) -> i32 {
        self.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
    }

    fn template(&self) -> Option<&PodTemplateSpec> {
        self.spec.as_ref().and_then(|s| s.template.as_ref())
    }

    fn min_ready_seconds(&self) -> i32 {
        self.spec
            .as_ref()
            .and_then(|s| s.min_ready_seconds)
            .unwrap_or(0)
    }

    fn status(&self) -> ReplicaSetStatus {
        // Same field names and types: a JSON round trip converts.
        self.status
            .as_ref()
            .and_then(|s| serde_json::to_value(s).ok())
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default()
    }
}

pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    engine::run::<ReplicationController>(ctx).await
}
