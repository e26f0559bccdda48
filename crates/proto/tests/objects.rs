//! Hand-built protobuf bodies of common objects, decoded to upstream JSON.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Enc, envelope, meta, time};
use kubehci_proto::decode_envelope;
use serde_json::{Value, json};

fn decode(body: &[u8]) -> Value {
    decode_envelope(body).unwrap().2
}

#[test]
fn namespace() {
    let obj = Enc::new()
        .msg(1, meta("demo"))
        .msg(2, Enc::new())
        .msg(3, Enc::new().string(1, ""));
    let (api_version, kind, v) = decode_envelope(&envelope("v1", "Namespace", obj)).unwrap();
    assert_eq!((api_version.as_str(), kind.as_str()), ("v1", "Namespace"));
    assert_eq!(
        v,
        json!({"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": "demo"},
               "spec": {}, "status": {}})
    );
    // Go's TypeMeta order: kind, then apiVersion, then the object's fields.
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["kind", "apiVersion", "metadata", "spec", "status"]);
}

#[test]
fn configmap_with_sorted_data_and_last_entry_winning() {
    let obj = Enc::new()
        .msg(1, meta("cfg").entry(11, "app", "web"))
        .entry(2, "b", "two")
        .entry(2, "a", "first")
        .entry(2, "a", "1")
        .boolean(4, false);
    let v = decode(&envelope("v1", "ConfigMap", obj));
    assert_eq!(
        v,
        json!({"kind": "ConfigMap", "apiVersion": "v1",
               "metadata": {"name": "cfg", "labels": {"app": "web"}},
               "immutable": false, "data": {"a": "1", "b": "two"}})
    );
    let keys: Vec<&String> = v["data"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["a", "b"]);
}

#[test]
fn secret_bytes_are_base64() {
    let obj = Enc::new()
        .msg(1, meta("s1"))
        .bytes_entry(2, "password", b"s3cr3t")
        .bytes_entry(2, "empty", b"")
        .bytes_entry(2, "bin", &[0, 255, 1])
        .string(3, "Opaque");
    assert_eq!(
        decode(&envelope("v1", "Secret", obj)),
        json!({"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "s1"},
               "data": {"bin": "AP8B", "empty": "", "password": "czNjcjN0"},
               "type": "Opaque"})
    );
}

fn labels(e: Enc) -> Enc {
    e.entry(11, "app", "web")
}

#[test]
fn deployment_like_kubectl_create_deployment() {
    let container = Enc::new()
        .string(1, "busybox")
        .string(2, "busybox")
        .msg(8, Enc::new())
        .string(13, "")
        .string(14, "")
        .boolean(16, false);
    let pod_spec = Enc::new()
        .msg(2, container)
        .string(3, "")
        .boolean(11, false);
    let spec = Enc::new()
        .int(1, 0)
        .msg(2, Enc::new().entry(1, "app", "web"))
        .msg(
            3,
            Enc::new()
                .msg(1, labels(Enc::new().msg(8, Enc::new())))
                .msg(2, pod_spec),
        )
        .msg(4, Enc::new().string(1, ""))
        .int(5, 0)
        .boolean(7, false);
    let obj = Enc::new()
        .msg(1, labels(meta("web")))
        .msg(2, spec)
        .msg(3, Enc::new().int(1, 0).int(2, 0));
    assert_eq!(
        decode(&envelope("apps/v1", "Deployment", obj)),
        json!({"kind": "Deployment", "apiVersion": "apps/v1",
               "metadata": {"name": "web", "labels": {"app": "web"}},
               "spec": {
                   "replicas": 0,
                   "selector": {"matchLabels": {"app": "web"}},
                   "template": {
                       "metadata": {"labels": {"app": "web"}},
                       "spec": {"containers": [
                           {"name": "busybox", "image": "busybox", "resources": {}}]}},
                   "strategy": {}},
               "status": {}})
    );
}

#[test]
fn service_int_or_string_target_ports() {
    let port = |name: &str, port: i64, target: Enc| {
        Enc::new()
            .string(1, name)
            .string(2, "TCP")
            .int(3, port)
            .msg(4, target)
            .int(5, 0)
    };
    let spec = Enc::new()
        .msg(
            1,
            port("http", 80, Enc::new().int(1, 0).int(2, 8080).string(3, "")),
        )
        .msg(
            1,
            port(
                "https",
                443,
                Enc::new().int(1, 1).int(2, 0).string(3, "https"),
            ),
        )
        .msg(1, port("", 0, Enc::new()))
        .entry(2, "app", "web")
        .string(4, "ClusterIP");
    let obj = Enc::new()
        .msg(1, meta("svc"))
        .msg(2, spec)
        .msg(3, Enc::new().msg(1, Enc::new()));
    assert_eq!(
        decode(&envelope("v1", "Service", obj)),
        json!({"kind": "Service", "apiVersion": "v1", "metadata": {"name": "svc"},
               "spec": {
                   "ports": [
                       {"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080},
                       {"name": "https", "protocol": "TCP", "port": 443, "targetPort": "https"},
                       {"protocol": "TCP", "port": 0, "targetPort": 0}],
                   "selector": {"app": "web"},
                   "type": "ClusterIP"},
               "status": {"loadBalancer": {}}})
    );
}

#[test]
fn self_subject_access_review() {
    let attrs = Enc::new()
        .string(1, "default")
        .string(2, "get")
        .string(3, "")
        .string(4, "")
        .string(5, "pods")
        .string(6, "")
        .string(7, "");
    let obj = Enc::new()
        .msg(1, Enc::new().msg(8, Enc::new()))
        .msg(2, Enc::new().msg(1, attrs))
        .msg(
            3,
            Enc::new()
                .boolean(1, false)
                .boolean(4, false)
                .string(2, "")
                .string(3, ""),
        );
    assert_eq!(
        decode(&envelope(
            "authorization.k8s.io/v1",
            "SelfSubjectAccessReview",
            obj
        )),
        json!({"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
               "metadata": {},
               "spec": {"resourceAttributes":
                   {"namespace": "default", "verb": "get", "resource": "pods"}},
               "status": {"allowed": false}})
    );
}

#[test]
fn pod_times_and_zero_rules() {
    let security = Enc::new().int(4, 0).boolean(5, false).boolean(6, false);
    let container = Enc::new()
        .string(1, "c")
        .msg(
            6,
            Enc::new()
                .string(1, "")
                .int(2, 0)
                .int(3, 0)
                .string(4, "TCP"),
        )
        .msg(
            8,
            Enc::new().msg(
                1,
                Enc::new()
                    .string(1, "cpu")
                    .msg(2, Enc::new().string(1, "500m")),
            ),
        )
        .msg(15, security);
    let empty_dir = Enc::new().string(1, "").msg(2, Enc::new().string(1, "1Gi"));
    let spec = Enc::new()
        .msg(
            1,
            Enc::new()
                .string(1, "tmp")
                .msg(2, Enc::new().msg(2, empty_dir)),
        )
        .msg(2, container)
        .int(4, 0)
        .boolean(11, false)
        .msg(14, Enc::new());
    let obj = Enc::new()
        .msg(
            1,
            Enc::new()
                .string(1, "p")
                .msg(8, time(1_704_164_645, 999_999_999)),
        )
        .msg(2, spec);
    assert_eq!(
        decode(&envelope("v1", "Pod", obj)),
        json!({"kind": "Pod", "apiVersion": "v1",
               "metadata": {"name": "p", "creationTimestamp": "2024-01-02T03:04:05Z"},
               "spec": {
                   "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}],
                   "containers": [{
                       "name": "c",
                       "ports": [{"containerPort": 0, "protocol": "TCP"}],
                       "resources": {"limits": {"cpu": "500m"}},
                       "securityContext": {"runAsUser": 0, "runAsNonRoot": false,
                                           "readOnlyRootFilesystem": false}}],
                   "terminationGracePeriodSeconds": 0,
                   "securityContext": {}}})
    );
}

#[test]
fn pointer_string_zero_is_kept() {
    let obj = Enc::new()
        .msg(1, meta("claim"))
        .msg(2, Enc::new().string(3, "").string(5, ""));
    assert_eq!(
        decode(&envelope("v1", "PersistentVolumeClaim", obj)),
        json!({"kind": "PersistentVolumeClaim", "apiVersion": "v1",
               "metadata": {"name": "claim"}, "spec": {"storageClassName": ""}})
    );
}

#[test]
fn micro_time_lease() {
    let spec = Enc::new()
        .string(1, "holder")
        .int(2, 15)
        .msg(3, time(1_704_164_645, 123_456_789))
        .msg(4, Enc::new());
    let obj = Enc::new().msg(1, meta("l")).msg(2, spec);
    assert_eq!(
        decode(&envelope("coordination.k8s.io/v1", "Lease", obj)),
        json!({"kind": "Lease", "apiVersion": "coordination.k8s.io/v1",
               "metadata": {"name": "l"},
               "spec": {"holderIdentity": "holder", "leaseDurationSeconds": 15,
                        "acquireTime": "2024-01-02T03:04:05.123456Z"}})
    );
}
