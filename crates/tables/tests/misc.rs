//! RBAC bindings, leases, endpoint slices, networking, policy, scheduling,
//! certificates, the default table and the Table envelope.

mod common;

use common::{ago, columns, meta, names, now, opts, texts};
use kubehci_tables::{IncludeObject, TableOptions, human_duration, set_list_meta, table};
use serde_json::{Value, json};

#[test]
fn role_bindings() {
    let rb = json!({"metadata": meta("read", 60), "roleRef": {"kind": "ClusterRole", "name": "view", "apiGroup": "rbac.authorization.k8s.io"},
        "subjects": [{"kind": "User", "name": "alice"}, {"kind": "Group", "name": "devs"}, {"kind": "User", "name": "bob"},
            {"kind": "ServiceAccount", "name": "ci", "namespace": "build"}]});
    assert_eq!(
        texts("rbac.authorization.k8s.io", "rolebindings", rb.clone()),
        [
            "read",
            "ClusterRole/view",
            "60s",
            "alice, bob",
            "devs",
            "build/ci"
        ]
    );
    assert_eq!(
        texts("rbac.authorization.k8s.io", "clusterrolebindings", rb)[1],
        "ClusterRole/view"
    );
    assert_eq!(
        columns("rbac.authorization.k8s.io", "clusterrolebindings")[3].2,
        1
    );
}

#[test]
fn leases_slices_and_networking() {
    let lease = json!({"metadata": meta("n1", 60), "spec": {"holderIdentity": "n1", "leaseDurationSeconds": 40}});
    assert_eq!(
        texts("coordination.k8s.io", "leases", lease),
        ["n1", "n1", "60s"]
    );
    assert_eq!(
        texts(
            "coordination.k8s.io",
            "leases",
            json!({"metadata": meta("x", 1), "spec": {}})
        )[1],
        ""
    );
    let es = json!({"metadata": meta("web-abc", 60), "addressType": "IPv4", "ports": [{"name": "http", "port": 80}, {"name": "x"}],
        "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2", "10.0.0.3"]}, {"addresses": ["10.0.0.4"]}]});
    assert_eq!(
        texts("discovery.k8s.io", "endpointslices", es),
        [
            "web-abc",
            "IPv4",
            "80,x",
            "10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...",
            "60s"
        ]
    );
    let empty = json!({"metadata": meta("e", 1), "addressType": "IPv6"});
    assert_eq!(
        texts("discovery.k8s.io", "endpointslices", empty)[2..4],
        ["<unset>", "<unset>"]
    );
    let np = json!({"metadata": meta("deny", 60), "spec": {"podSelector": {}}});
    assert_eq!(
        texts("networking.k8s.io", "networkpolicies", np),
        ["deny", "<none>", "60s"]
    );
    let np2 = json!({"metadata": meta("web", 60), "spec": {"podSelector": {"matchLabels": {"app": "web"}}}});
    assert_eq!(
        texts("networking.k8s.io", "networkpolicies", np2)[1],
        "app=web"
    );
    assert_eq!(
        names(&columns("networking.k8s.io", "ingresses")),
        ["Name", "Class", "Hosts", "Address", "Ports", "Age"]
    );
    let ing = json!({"metadata": meta("web", 60), "spec": {"ingressClassName": "haproxy", "tls": [{"hosts": ["a.example.com"]}],
        "rules": [{"host": "a.example.com"}, {}, {"host": "b.example.com"}, {"host": "c.example.com"}, {"host": "d.example.com"}]},
        "status": {"loadBalancer": {"ingress": [{"ip": "172.16.0.30"}]}}});
    assert_eq!(
        texts("networking.k8s.io", "ingresses", ing),
        [
            "web",
            "haproxy",
            "a.example.com,b.example.com,c.example.com + 2 more...",
            "172.16.0.30",
            "80, 443",
            "60s"
        ]
    );
    let bare = json!({"metadata": meta("b", 60), "spec": {"rules": [{}]}});
    assert_eq!(
        texts("networking.k8s.io", "ingresses", bare)[1..5],
        ["<none>", "*", "", "80"]
    );
    let ic = json!({"metadata": meta("haproxy", 60), "spec": {"controller": "kubehci.io/haproxy",
        "parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "external-lb"}}});
    assert_eq!(
        texts("networking.k8s.io", "ingressclasses", ic),
        [
            "haproxy",
            "kubehci.io/haproxy",
            "IngressParameters.k8s.example.com/external-lb",
            "60s"
        ]
    );
}

#[test]
fn policy_scheduling_certificates() {
    let pdb = json!({"metadata": meta("web", 60), "spec": {"minAvailable": "50%"}, "status": {"disruptionsAllowed": 1}});
    assert_eq!(
        common::cells("policy", "poddisruptionbudgets", pdb),
        [
            json!("web"),
            json!("50%"),
            json!("N/A"),
            json!(1),
            json!("60s")
        ]
    );
    let pdb2 = json!({"metadata": meta("db", 60), "spec": {"maxUnavailable": 1}});
    assert_eq!(
        texts("policy", "poddisruptionbudgets", pdb2)[1..4],
        ["N/A", "1", "0"]
    );
    let pc = json!({"metadata": meta("high", 60), "value": 1000000, "globalDefault": false});
    assert_eq!(
        common::cells("scheduling.k8s.io", "priorityclasses", pc),
        [
            json!("high"),
            json!(1000000),
            json!(false),
            json!("60s"),
            json!("PreemptLowerPriority")
        ]
    );
    assert_eq!(
        names(&columns(
            "certificates.k8s.io",
            "certificatesigningrequests"
        )),
        [
            "Name",
            "Age",
            "SignerName",
            "Requestor",
            "RequestedDuration",
            "Condition"
        ]
    );
    let csr = json!({"metadata": meta("csr-1", 60), "spec": {"signerName": "kubernetes.io/kube-apiserver-client", "username": "alice",
        "expirationSeconds": 86400}, "status": {"conditions": [{"type": "Approved", "status": "True"}], "certificate": "LS0t"}});
    assert_eq!(
        texts("certificates.k8s.io", "certificatesigningrequests", csr),
        [
            "csr-1",
            "60s",
            "kubernetes.io/kube-apiserver-client",
            "alice",
            "24h",
            "Approved,Issued"
        ]
    );
    let denied = json!({"metadata": meta("c2", 60), "spec": {}, "status": {"conditions": [{"type": "Approved"}, {"type": "Denied"}, {"type": "Failed"}]}});
    assert_eq!(
        texts("certificates.k8s.io", "certificatesigningrequests", denied)[2..],
        ["<none>", "", "<none>", "Denied,Failed"]
    );
    let pending = json!({"metadata": meta("c3", 60), "spec": {}});
    assert_eq!(
        texts("certificates.k8s.io", "certificatesigningrequests", pending)[5],
        "Pending"
    );
}

#[test]
fn default_table_for_resources_without_printer() {
    for (g, r) in [
        ("rbac.authorization.k8s.io", "roles"),
        ("rbac.authorization.k8s.io", "clusterroles"),
        ("", "limitranges"),
        ("apiextensions.k8s.io", "customresourcedefinitions"),
    ] {
        assert!(!kubehci_tables::has_printer(g, r));
        assert_eq!(
            columns(g, r),
            [
                ("Name".into(), "string".into(), 0),
                ("Created At".into(), "date".into(), 0)
            ]
        );
    }
    let role = json!({"metadata": {"name": "edit", "creationTimestamp": "2024-04-30T08:15:00Z"}});
    assert_eq!(
        texts("rbac.authorization.k8s.io", "roles", role),
        ["edit", "2024-04-30T08:15:00Z"]
    );
    assert_eq!(
        texts("", "limitranges", json!({"metadata": {"name": "l"}})),
        ["l", "0001-01-01T00:00:00Z"]
    );
    assert_eq!(table("", "limitranges", &[], &opts())["rows"], Value::Null);
    assert_eq!(table("", "pods", &[], &opts())["rows"], json!([]));
}

#[test]
fn envelope_and_row_objects() {
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("cfg", 60), "data": {"a": "1"}});
    let t = table("", "configmaps", std::slice::from_ref(&cm), &opts());
    assert_eq!(
        (t["kind"].as_str(), t["apiVersion"].as_str()),
        (Some("Table"), Some("meta.k8s.io/v1"))
    );
    assert_eq!(
        t["columnDefinitions"][0],
        json!({"name": "Name", "type": "string", "format": "name",
        "description": "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
        "priority": 0})
    );
    assert_eq!(
        t["rows"][0]["object"],
        json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": cm["metadata"]})
    );
    assert!(t["rows"][0].get("conditions").is_none());
    let full = table(
        "",
        "configmaps",
        std::slice::from_ref(&cm),
        &TableOptions {
            include_object: IncludeObject::Object,
            ..opts()
        },
    );
    assert_eq!(full["rows"][0]["object"], cm);
    let none = TableOptions {
        include_object: IncludeObject::None,
        no_headers: true,
        now: now(),
    };
    let mut bare = table("", "configmaps", std::slice::from_ref(&cm), &none);
    assert_eq!(
        (
            bare["rows"][0]["object"].clone(),
            bare["columnDefinitions"].clone()
        ),
        (Value::Null, Value::Null)
    );
    set_list_meta(&mut bare, "42", Some("tok"), Some(3));
    assert_eq!(
        bare["metadata"],
        json!({"resourceVersion": "42", "continue": "tok", "remainingItemCount": 3})
    );
    set_list_meta(&mut bare, "43", None, None);
    assert_eq!(bare["metadata"], json!({"resourceVersion": "43"}));
    assert_eq!(IncludeObject::parse(""), Some(IncludeObject::Metadata));
    assert_eq!(IncludeObject::parse("Object"), Some(IncludeObject::Object));
    assert_eq!(IncludeObject::parse("all"), None);
    let _ = ago(0);
}

#[test]
fn human_durations() {
    use chrono::TimeDelta;
    let cases = [
        (-3, "<invalid>"),
        (-1, "0s"),
        (0, "0s"),
        (59, "59s"),
        (119, "119s"),
        (120, "2m"),
        (200, "3m20s"),
        (599, "9m59s"),
        (600, "10m"),
        (10799, "179m"),
        (10800, "3h"),
        (11400, "3h10m"),
        (28800, "8h"),
        (172799, "47h"),
        (172800, "2d"),
        (190800, "2d5h"),
        (691200, "8d"),
        (86400 * 729, "729d"),
        (86400 * 730, "2y"),
        (86400 * 800, "2y70d"),
        (86400 * 365 * 8, "8y"),
        (86400 * 365 * 20, "20y"),
    ];
    for (secs, want) in cases {
        assert_eq!(human_duration(TimeDelta::seconds(secs)), want, "{secs}s");
    }
    assert_eq!(human_duration(TimeDelta::milliseconds(-1500)), "0s");
}
