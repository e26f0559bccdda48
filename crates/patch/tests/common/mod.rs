//! A hand-built schema shaped like upstream's apps/v1 Deployment OpenAPI: enough of
//! ObjectMeta, DeploymentSpec, PodSpec and Container to exercise every list and map kind.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use kubehci_patch::{PatchError, apply, update_managed_fields};
use kubehci_schema::{ListType, NodeId, NodeKind, ScalarType, SchemaNode, Schemas};
use serde_json::{Value, json};

pub struct Builder {
    pub s: Schemas,
}

impl Builder {
    fn add(&mut self, kind: NodeKind, f: impl FnOnce(&mut SchemaNode)) -> NodeId {
        let mut n = SchemaNode::of(kind);
        f(&mut n);
        self.s.add(n)
    }

    fn scalar(&mut self, t: ScalarType) -> NodeId {
        self.add(NodeKind::Scalar(t), |_| {})
    }

    fn object(&mut self, props: &[(&str, NodeId)], f: impl FnOnce(&mut SchemaNode)) -> NodeId {
        self.object_req(props, &[], f)
    }

    fn object_req(
        &mut self,
        props: &[(&str, NodeId)],
        required: &[&str],
        f: impl FnOnce(&mut SchemaNode),
    ) -> NodeId {
        let properties: BTreeMap<String, NodeId> =
            props.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        let required = required.iter().map(|r| r.to_string()).collect();
        self.add(
            NodeKind::Object {
                properties,
                additional: None,
                required,
            },
            f,
        )
    }

    fn map_of(&mut self, v: NodeId) -> NodeId {
        self.add(
            NodeKind::Object {
                properties: BTreeMap::new(),
                additional: Some(v),
                required: vec![],
            },
            |_| {},
        )
    }

    fn array(&mut self, items: NodeId, f: impl FnOnce(&mut SchemaNode)) -> NodeId {
        self.add(NodeKind::Array { items }, f)
    }

    fn keyed(&mut self, items: NodeId, strategy: &str, merge_key: &str, keys: &[&str]) -> NodeId {
        self.array(items, |n| {
            n.patch_strategy = Some(strategy.into());
            n.patch_merge_key = Some(merge_key.into());
            n.list_type = Some(ListType::Map(keys.iter().map(|k| k.to_string()).collect()));
        })
    }
}

/// Schemas plus the Deployment root.
pub fn deployment_schema() -> (Schemas, NodeId) {
    let mut b = Builder { s: Schemas::new() };
    let string = b.scalar(ScalarType::String);
    let int = b.scalar(ScalarType::Integer);
    let boolean = b.scalar(ScalarType::Boolean);
    let int_or_string = b.scalar(ScalarType::IntOrString);
    let any = b.add(NodeKind::Any, |_| {});
    let string_map = b.map_of(string);

    // ObjectMeta
    let owner_ref = b.object(
        &[
            ("apiVersion", string),
            ("kind", string),
            ("name", string),
            ("uid", string),
        ],
        |_| {},
    );
    let owner_refs = b.keyed(owner_ref, "merge", "uid", &["uid"]);
    let finalizers = b.array(string, |n| {
        n.patch_strategy = Some("merge".into());
        n.list_type = Some(ListType::Set);
    });
    let managed_fields = b.array(any, |n| n.list_type = Some(ListType::Atomic));
    let meta = b.object(
        &[
            ("name", string),
            ("namespace", string),
            ("uid", string),
            ("resourceVersion", string),
            ("generation", int),
            ("creationTimestamp", string),
            ("labels", string_map),
            ("annotations", string_map),
            ("finalizers", finalizers),
            ("ownerReferences", owner_refs),
            ("managedFields", managed_fields),
        ],
        |n| n.definition = Some("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta".into()),
    );

    // Container
    let port = {
        let protocol = b.add(NodeKind::Scalar(ScalarType::String), |n| {
            n.default = Some(json!("TCP"))
        });
        b.object(
            &[
                ("containerPort", int),
                ("protocol", protocol),
                ("name", string),
                ("hostPort", int),
            ],
            |_| {},
        )
    };
    let ports = b.keyed(
        port,
        "merge",
        "containerPort",
        &["containerPort", "protocol"],
    );
    let env_var = b.object(
        &[("name", string), ("value", string), ("valueFrom", any)],
        |_| {},
    );
    let env = b.keyed(env_var, "merge", "name", &["name"]);
    let atomic_strings = b.array(string, |n| n.list_type = Some(ListType::Atomic));
    let resource_map = b.map_of(int_or_string);
    let resources = b.object(
        &[("limits", resource_map), ("requests", resource_map)],
        |_| {},
    );
    let container = b.object(
        &[
            ("name", string),
            ("image", string),
            ("imagePullPolicy", string),
            ("command", atomic_strings),
            ("args", atomic_strings),
            ("env", env),
            ("ports", ports),
            ("resources", resources),
        ],
        |_| {},
    );
    let containers = b.keyed(container, "merge", "name", &["name"]);

    // Volumes
    let empty_dir = b.object(&[("medium", string), ("sizeLimit", int_or_string)], |_| {});
    let host_path = b.object(&[("path", string), ("type", string)], |_| {});
    let config_map = b.object(&[("name", string)], |_| {});
    let volume = b.object(
        &[
            ("name", string),
            ("emptyDir", empty_dir),
            ("hostPath", host_path),
            ("configMap", config_map),
        ],
        |_| {},
    );
    let volumes = b.keyed(volume, "merge,retainKeys", "name", &["name"]);
    let tolerations = b.array(any, |n| n.list_type = Some(ListType::Atomic));

    let pod_spec = b.object_req(
        &[
            ("containers", containers),
            ("initContainers", containers),
            ("volumes", volumes),
            ("nodeSelector", string_map),
            ("tolerations", tolerations),
            ("restartPolicy", string),
        ],
        &["containers"],
        |n| n.default = Some(json!({})),
    );
    let template_meta = b.object(
        &[("labels", string_map), ("annotations", string_map)],
        |n| n.default = Some(json!({})),
    );
    let template = b.object(&[("metadata", template_meta), ("spec", pod_spec)], |n| {
        n.default = Some(json!({}))
    });
    let match_expressions = b.array(any, |n| n.list_type = Some(ListType::Atomic));
    let selector = b.object(
        &[
            ("matchLabels", string_map),
            ("matchExpressions", match_expressions),
        ],
        |n| {
            n.map_atomic = true;
        },
    );
    let rolling = b.object(
        &[
            ("maxSurge", int_or_string),
            ("maxUnavailable", int_or_string),
        ],
        |_| {},
    );
    let strategy = b.object(&[("type", string), ("rollingUpdate", rolling)], |n| {
        n.patch_strategy = Some("retainKeys".into());
        n.default = Some(json!({}));
    });
    let spec = b.object_req(
        &[
            ("replicas", int),
            ("paused", boolean),
            ("minReadySeconds", int),
            ("selector", selector),
            ("strategy", strategy),
            ("template", template),
        ],
        &["selector", "template"],
        |n| n.default = Some(json!({})),
    );
    let status = b.object(
        &[
            ("replicas", int),
            ("readyReplicas", int),
            ("observedGeneration", int),
        ],
        |_| {},
    );
    let root = b.object(
        &[
            ("apiVersion", string),
            ("kind", string),
            ("metadata", meta),
            ("spec", spec),
            ("status", status),
        ],
        |n| n.definition = Some("io.k8s.api.apps.v1.Deployment".into()),
    );
    b.s.register_gvk("apps", "v1", "Deployment", root);
    (b.s, root)
}

/// A Deployment with one `nginx` container.
pub fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}
            }
        }
    })
}

pub const T0: &str = "2024-01-01T00:00:00Z";
pub const T1: &str = "2024-01-01T00:01:00Z";
pub const T2: &str = "2024-01-01T00:02:00Z";
pub const T3: &str = "2024-01-01T00:03:00Z";

/// `metadata.managedFields` of an object.
pub fn managed(obj: &Value) -> Vec<Value> {
    obj.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The entry of one manager.
pub fn entry<'a>(entries: &'a [Value], manager: &str) -> &'a Value {
    entries
        .iter()
        .find(|e| e["manager"] == manager)
        .unwrap_or_else(|| panic!("no managedFields entry for {manager}: {entries:?}"))
}

/// Server-side apply against the Deployment schema.
pub fn ssa(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
    now: &str,
) -> Result<Value, PatchError> {
    let (s, root) = deployment_schema();
    apply(live, applied, manager, force, Some((&s, root)), now)
}

/// Managed-fields tracking of an `apps/v1` non-apply write against the Deployment schema.
pub fn track(old: Option<&Value>, new: &mut Value, manager: &str, now: &str) {
    let (s, root) = deployment_schema();
    update_managed_fields(old, new, manager, None, "apps/v1", now, Some((&s, root)));
}
