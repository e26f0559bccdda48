//! Nodes, services, endpoints, events, namespaces, secrets, service accounts, config maps.

mod common;

use common::{ago, columns, meta, names, texts};
use serde_json::{Value, json};

fn node(labels: Value, unschedulable: bool, conditions: Value) -> Value {
    let mut md = meta("n1", 86400 * 3);
    md["labels"] = labels;
    json!({"metadata": md, "spec": {"unschedulable": unschedulable}, "status": {
        "conditions": conditions,
        "addresses": [{"type": "InternalIP", "address": "192.168.1.10"}, {"type": "Hostname", "address": "n1"}],
        "nodeInfo": {"kubeletVersion": "v1.33.1", "osImage": "Debian GNU/Linux 12 (bookworm)",
            "kernelVersion": "6.1.0-18-amd64", "containerRuntimeVersion": "containerd://1.7.24"}}})
}

#[test]
fn nodes() {
    assert_eq!(
        names(&columns("", "nodes")),
        [
            "Name",
            "Status",
            "Roles",
            "Age",
            "Version",
            "Internal-IP",
            "External-IP",
            "OS-Image",
            "Kernel-Version",
            "Container-Runtime"
        ]
    );
    let labels = json!({"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/": "", "kubernetes.io/role": "master"});
    let ready =
        json!([{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": "True"}]);
    assert_eq!(
        texts("", "nodes", node(labels, true, ready)),
        [
            "n1",
            "Ready,SchedulingDisabled",
            "control-plane,master",
            "3d",
            "v1.33.1",
            "192.168.1.10",
            "<none>",
            "Debian GNU/Linux 12 (bookworm)",
            "6.1.0-18-amd64",
            "containerd://1.7.24"
        ]
    );
    let t = texts(
        "",
        "nodes",
        node(
            json!({}),
            false,
            json!([{"type": "Ready", "status": "Unknown"}]),
        ),
    );
    assert_eq!(t[1..3], ["NotReady", "<none>"]);
    let mut bare = node(json!({}), false, json!([]));
    bare["status"]["nodeInfo"] = json!({});
    let t = texts("", "nodes", bare);
    assert_eq!(
        (t[1].as_str(), t[4].as_str(), t[7].as_str()),
        ("Unknown", "", "<unknown>")
    );
}

fn service(spec: Value, status: Value) -> Value {
    json!({"metadata": meta("web", 3600 * 5), "spec": spec, "status": status})
}

#[test]
fn services() {
    assert_eq!(
        names(&columns("", "services")),
        [
            "Name",
            "Type",
            "Cluster-IP",
            "External-IP",
            "Port(s)",
            "Age",
            "Selector"
        ]
    );
    let cluster = json!({"type": "ClusterIP", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
        "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}], "selector": {"k8s-app": "kube-dns", "a": "b"}});
    assert_eq!(
        texts("", "services", service(cluster, json!({}))),
        [
            "web",
            "ClusterIP",
            "10.96.0.10",
            "<none>",
            "53/UDP,53/TCP",
            "5h",
            "a=b,k8s-app=kube-dns"
        ]
    );
    let node_port = json!({"type": "NodePort", "clusterIP": "10.96.1.1", "ports": [{"port": 80, "nodePort": 30080}], "externalIPs": ["1.2.3.4"]});
    assert_eq!(
        texts("", "services", service(node_port, json!({})))[1..5],
        ["NodePort", "10.96.1.1", "1.2.3.4", "80:30080/TCP"]
    );
    let lb = json!({"type": "LoadBalancer", "clusterIPs": ["10.96.2.2"], "ports": [{"port": 443, "nodePort": 31443, "protocol": "TCP"}]});
    assert_eq!(
        texts("", "services", service(lb.clone(), json!({})))[3],
        "<pending>"
    );
    let ingress = json!({"loadBalancer": {"ingress": [{"ip": "172.16.0.20"}, {"hostname": "lb.example.com"}, {"ip": "172.16.0.20"}]}});
    assert_eq!(
        texts("", "services", service(lb.clone(), ingress.clone()))[3],
        "172.16.0.20,lb.example.com"
    );
    let mut lb_ext = lb;
    lb_ext["externalIPs"] = json!(["5.6.7.8"]);
    assert_eq!(
        texts("", "services", service(lb_ext, ingress))[3],
        "172.16.0.20,lb.example.com,5.6.7.8"
    );
    let ext = json!({"type": "ExternalName", "externalName": "db.example.com"});
    assert_eq!(
        texts("", "services", service(ext, json!({})))[1..5],
        ["ExternalName", "<none>", "db.example.com", "<none>"]
    );
    let headless = json!({"clusterIP": "None", "ports": [{"port": 80}]});
    assert_eq!(
        texts("", "services", service(headless, json!({})))[1..7],
        ["ClusterIP", "None", "<none>", "80/TCP", "5h", "<none>"]
    );
}

#[test]
fn endpoints() {
    let ep = |subsets: Value| json!({"metadata": meta("web", 60), "subsets": subsets});
    let two =
        json!([{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}], "ports": [{"port": 8080}]}]);
    assert_eq!(
        texts("", "endpoints", ep(two)),
        ["web", "10.0.0.1:8080,10.0.0.2:8080", "60s"]
    );
    let many = json!([{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}], "ports": [{"port": 80}, {"port": 443}]},
        {"addresses": [{"ip": "fd00::1"}]}]);
    assert_eq!(
        texts("", "endpoints", ep(many))[1],
        "10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 2 more..."
    );
    assert_eq!(
        texts(
            "",
            "endpoints",
            ep(json!([{"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 80}]}]))
        )[1],
        "[fd00::1]:80"
    );
    assert_eq!(
        texts("", "endpoints", json!({"metadata": meta("x", 1)}))[1],
        "<none>"
    );
}

#[test]
fn core_events() {
    assert_eq!(
        columns("", "events")
            .iter()
            .map(|c| (c.0.as_str(), c.2))
            .collect::<Vec<_>>(),
        [
            ("Last Seen", 0),
            ("Type", 0),
            ("Reason", 0),
            ("Object", 0),
            ("Subobject", 1),
            ("Source", 1),
            ("Message", 0),
            ("First Seen", 1),
            ("Count", 1),
            ("Name", 1)
        ]
    );
    let e = json!({"metadata": meta("web-1.17c", 600), "involvedObject": {"kind": "Pod", "name": "web-1", "fieldPath": "spec.containers{app}"},
        "reason": "BackOff", "message": "Back-off restarting failed container\n", "type": "Warning", "count": 4,
        "firstTimestamp": ago(600), "lastTimestamp": ago(45), "source": {"component": "kubelet", "host": "n1"}});
    assert_eq!(
        texts("", "events", e),
        [
            "45s",
            "Warning",
            "BackOff",
            "pod/web-1",
            "spec.containers{app}",
            "kubelet, n1",
            "Back-off restarting failed container",
            "10m",
            "4",
            "web-1.17c"
        ]
    );
    let new_style = json!({"metadata": meta("n.1", 90), "involvedObject": {"kind": "Node"}, "reason": "Starting",
        "type": "Normal", "eventTime": "2024-05-01T11:58:30.123456Z", "reportingController": "kube-proxy",
        "reportingInstance": "kube-proxy-n1", "series": {"count": 7, "lastObservedTime": "2024-05-01T11:59:50.000000Z"}});
    assert_eq!(
        texts("", "events", new_style),
        [
            "10s",
            "Normal",
            "Starting",
            "node",
            "",
            "kube-proxy, kube-proxy-n1",
            "",
            "89s",
            "7",
            "n.1"
        ]
    );
}

#[test]
fn events_k8s_io_and_singletons() {
    let e = json!({"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": meta("e1", 30),
        "regarding": {"kind": "Deployment", "name": "web"}, "note": "Scaled up replica set web-7d to 3",
        "reason": "ScalingReplicaSet", "type": "Normal", "eventTime": ago(30), "reportingController": "deployment-controller",
        "deprecatedSource": {"component": "deployment-controller"}});
    assert_eq!(
        texts("events.k8s.io", "events", e),
        [
            "30s",
            "Normal",
            "ScalingReplicaSet",
            "deployment/web",
            "",
            "deployment-controller",
            "Scaled up replica set web-7d to 3",
            "30s",
            "1",
            "e1"
        ]
    );
    let no_times = json!({"metadata": meta("e2", 5), "involvedObject": {}, "type": "Normal"});
    assert_eq!(texts("", "events", no_times)[..2], ["<unknown>", "Normal"]);
}

#[test]
fn namespaces_secrets_accounts_configmaps() {
    let ns = json!({"metadata": meta("team-a", 86400 * 400), "status": {"phase": "Terminating"}});
    assert_eq!(
        texts("", "namespaces", ns),
        ["team-a", "Terminating", "400d"]
    );
    assert_eq!(
        texts(
            "",
            "namespaces",
            json!({"metadata": meta("b", 86400 * 800)})
        )[1..],
        ["Active", "2y70d"]
    );
    let sec = json!({"metadata": meta("tls", 7), "type": "kubernetes.io/tls", "data": {"tls.crt": "YQ==", "tls.key": "Yg=="}});
    assert_eq!(
        texts("", "secrets", sec),
        ["tls", "kubernetes.io/tls", "2", "7s"]
    );
    assert_eq!(
        texts("", "secrets", json!({"metadata": meta("s", 7)}))[1..3],
        ["Opaque", "0"]
    );
    let sa = json!({"metadata": meta("default", 120), "secrets": [{"name": "t"}]});
    assert_eq!(texts("", "serviceaccounts", sa), ["default", "1", "2m"]);
    let cm = json!({"metadata": meta("cfg", 130), "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}});
    assert_eq!(texts("", "configmaps", cm), ["cfg", "3", "2m10s"]);
    assert_eq!(columns("", "configmaps")[1].1, "string");
}
