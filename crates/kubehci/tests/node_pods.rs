//! The node agent on the real containerd: registration, pods running with their own IPs,
//! logs and exec through the API server, a Deployment's pods reaching each other, adoption
//! after an agent restart, hooks and graceful termination, and clean deletion. Runs as root
//! (CI does).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::cluster::{BUSYBOX, Cluster, apply, container_id, ip_in};

#[test]
fn node_registers_runs_pods_and_cleans_up() {
    let mut c = Cluster::start();
    let node: serde_json::Value =
        serde_json::from_str(&c.server.ok(&["get", "node", &c.node_name, "-o", "json"])).unwrap();
    let st = &node["status"];
    assert_eq!(st["capacity"]["pods"], "110");
    assert!(
        st["capacity"]["cpu"]
            .as_str()
            .unwrap()
            .parse::<u32>()
            .unwrap()
            >= 1
    );
    assert!(st["capacity"]["memory"].as_str().unwrap().ends_with("Ki"));
    assert!(st["allocatable"]["ephemeral-storage"].is_string());
    assert_eq!(st["nodeInfo"]["kubeletVersion"], "v1.33.0");
    assert!(
        st["nodeInfo"]["containerRuntimeVersion"]
            .as_str()
            .unwrap()
            .starts_with("containerd://1.6")
    );
    assert_eq!(st["nodeInfo"]["operatingSystem"], "linux");
    assert!(!st["nodeInfo"]["kernelVersion"].as_str().unwrap().is_empty());
    let images = st["images"].to_string();
    assert!(images.contains(BUSYBOX), "{images}");
    assert_eq!(st["addresses"][0]["type"], "InternalIP");
    assert_eq!(st["addresses"][0]["address"], "127.0.0.1");
    let ready = st["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Ready")
        .unwrap();
    assert_eq!(ready["reason"], "KubeletReady");
    assert_eq!(ready["message"], "kubelet is posting ready status");
    let want = format!("{} 40", c.node_name);
    c.eventually(30, "the node lease", || {
        let out = c.server.kubectl(&[
            "get",
            "lease",
            "-n",
            "kube-node-lease",
            &c.node_name,
            "-o",
            "jsonpath={.spec.holderIdentity} {.spec.leaseDurationSeconds}",
        ]);
        String::from_utf8_lossy(&out.stdout) == want
    });

    // kubectl run: Running with an IP from the node's pod CIDR.
    c.server.ok(&[
        "run",
        "t",
        &format!("--image={BUSYBOX}"),
        "--overrides",
        r#"{"spec":{"terminationGracePeriodSeconds":2}}"#,
        "--",
        "sh",
        "-c",
        "echo hi; sleep 3600",
    ]);
    c.eventually(90, "pod t Running", || {
        c.pod_field("t", "{.status.phase}") == "Running"
    });
    let ip = c.pod_field("t", "{.status.podIP}");
    assert!(ip_in(&c.pod_cidr, &ip), "{ip} not in {}", c.pod_cidr);
    let pod = c.pod_json("t");
    assert_eq!(pod["status"]["qosClass"], "BestEffort");
    assert_eq!(pod["status"]["hostIP"], "127.0.0.1");
    let cs = &pod["status"]["containerStatuses"][0];
    assert_eq!(cs["ready"], true);
    assert_eq!(cs["restartCount"], 0);
    assert!(
        cs["containerID"]
            .as_str()
            .unwrap()
            .starts_with("containerd://")
    );
    assert!(cs["state"]["running"]["startedAt"].is_string());
    let conds: Vec<(String, String)> = pod["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["type"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for t in [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ] {
        assert!(
            conds.contains(&(t.to_string(), "True".to_string())),
            "{t} not True in {conds:?}"
        );
    }
    let id_t = container_id(&c, "t");
    // Logs and exec through the API server to the agent's streaming server.
    c.eventually(30, "kubectl logs t", || {
        String::from_utf8_lossy(&c.server.kubectl(&["logs", "t"]).stdout) == "hi\n"
    });
    let id_out = c.server.ok(&["exec", "t", "--", "id"]);
    assert!(id_out.starts_with("uid=0(root) gid=0(root)"), "{id_out}");
    let events = c.server.ok(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=t",
        "-o",
        "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}",
    ]);
    assert!(
        events.contains(&format!(
            "Pulled: Container image \"{BUSYBOX}\" already present on machine"
        )),
        "{events}"
    );
    assert!(events.contains("Created: Created container: t"), "{events}");
    assert!(events.contains("Started: Started container t"), "{events}");

    // A Deployment of 3 busybox httpd replicas is Ready; one pod fetches another's page.
    apply(
        &c,
        &format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n      terminationGracePeriodSeconds: 2\n      containers:\n      - name: web\n        image: {BUSYBOX}\n        command: [sh, -c, 'mkdir -p /www && echo page-of-$HOSTNAME > /www/index.html && exec httpd -f -p 8080 -h /www']\n        readinessProbe:\n          httpGet: {{port: 8080, path: /index.html}}\n          periodSeconds: 1\n"
        ),
    );
    c.eventually(120, "3 ready replicas", || {
        let out = c.server.kubectl(&[
            "get",
            "deploy",
            "web",
            "-o",
            "jsonpath={.status.readyReplicas}",
        ]);
        String::from_utf8_lossy(&out.stdout).trim() == "3"
    });
    let pods = c.server.ok(&[
        "get",
        "pods",
        "-l",
        "app=web",
        "-o",
        "jsonpath={.items[*].metadata.name}",
    ]);
    let pods: Vec<&str> = pods.split_whitespace().collect();
    assert_eq!(pods.len(), 3, "{pods:?}");
    let (web_a, web_b) = (pods[0].to_string(), pods[1].to_string());
    let ip_b = c.pod_field(&web_b, "{.status.podIP}");
    assert!(ip_in(&c.pod_cidr, &ip_b), "{ip_b} not in {}", c.pod_cidr);
    let (code, out) = c.exec(
        &container_id(&c, &web_a),
        &[
            "wget",
            "-q",
            "-O",
            "-",
            &format!("http://{ip_b}:8080/index.html"),
        ],
    );
    assert_eq!((code, out.trim()), (0, format!("page-of-{web_b}").as_str()));

    // kill -9 of the agent: the pod keeps running and is adopted, not restarted.
    let uid_t = c.pod_field("t", "{.metadata.uid}");
    c.kill_agent();
    // Deleted while the agent is down: cleaned up when it comes back.
    c.server
        .ok(&["delete", "pod", &web_b, "--grace-period=0", "--force"]);
    c.start_agent();
    std::thread::sleep(std::time::Duration::from_secs(5));
    c.eventually(60, "the agent to adopt t", || {
        c.pod_field("t", "{.status.containerStatuses[0].ready}") == "true"
    });
    assert_eq!(container_id(&c, "t"), id_t);
    assert_eq!(
        c.pod_field("t", "{.status.containerStatuses[0].restartCount}"),
        "0"
    );
    let running_t: Vec<_> = c
        .runtime_containers()
        .into_iter()
        .filter(|x| x.labels.get("io.kubernetes.pod.uid") == Some(&uid_t))
        .collect();
    assert_eq!(running_t.len(), 1, "duplicate containers: {running_t:?}");
    c.eventually(60, "the force-deleted pod's remains removed", || {
        !c.runtime_sandboxes()
            .iter()
            .any(|s| s.metadata.as_ref().map(|m| m.name.as_str()) == Some(web_b.as_str()))
    });

    // Changing a container's image restarts it with the new image.
    let image_id = c.pod_field("t", "{.status.containerStatuses[0].imageID}");
    assert!(image_id.contains("sha256:"), "{image_id}");
    c.server
        .ok(&["set", "image", "pod/t", &format!("t={image_id}")]);
    c.eventually(60, "t restarted with the new image", || {
        c.pod_field("t", "{.status.containerStatuses[0].restartCount}") == "1"
            && c.pod_field("t", "{.status.containerStatuses[0].ready}") == "true"
    });
    assert_ne!(container_id(&c, "t"), id_t);

    // Lifecycle hooks and graceful termination: postStart, then on deletion preStop and
    // SIGTERM, seen through a hostPath directory.
    let hooks = c.tmp().join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    apply(
        &c,
        &format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: graceful\nspec:\n  terminationGracePeriodSeconds: 60\n  volumes:\n  - name: h\n    hostPath: {{path: {}}}\n  containers:\n  - name: c\n    image: {BUSYBOX}\n    command: [sh, -c, 'trap \"echo term > /h/term.txt; exit 0\" TERM; while true; do sleep 1; done']\n    volumeMounts: [{{name: h, mountPath: /h}}]\n    lifecycle:\n      postStart: {{exec: {{command: [sh, -c, 'echo post > /h/poststart.txt']}}}}\n      preStop: {{exec: {{command: [sh, -c, 'echo pre > /h/prestop.txt']}}}}\n",
            hooks.display()
        ),
    );
    c.eventually(60, "graceful Running", || {
        c.pod_field("graceful", "{.status.phase}") == "Running"
    });
    assert_eq!(
        std::fs::read_to_string(hooks.join("poststart.txt")).unwrap(),
        "post\n"
    );
    c.server
        .ok(&["delete", "pod", "graceful", "--wait=true", "--timeout=90s"]);
    assert_eq!(
        std::fs::read_to_string(hooks.join("prestop.txt")).unwrap(),
        "pre\n"
    );
    assert_eq!(
        std::fs::read_to_string(hooks.join("term.txt")).unwrap(),
        "term\n"
    );

    // Deletion leaves no container, sandbox or cgroup.
    assert!(
        c.pod_cgroup_exists(&uid_t),
        "the pod cgroup exists while it runs"
    );
    c.server.ok(&[
        "delete",
        "deployment",
        "web",
        "--wait=true",
        "--timeout=90s",
    ]);
    c.server
        .ok(&["delete", "pod", "t", "--wait=true", "--timeout=90s"]);
    c.eventually(90, "the web pods gone", || {
        c.server
            .ok(&["get", "pods", "-l", "app=web", "-o", "name"])
            .trim()
            .is_empty()
    });
    c.eventually(30, "no container or sandbox left", || {
        c.runtime_containers().is_empty() && c.runtime_sandboxes().is_empty()
    });
    let left: Vec<_> =
        kubehci_node::cgroups::cgroup_dirs(&format!("{}/besteffort/pod{uid_t}", c.cgroup_root))
            .into_iter()
            .filter(|d| d.exists())
            .collect();
    assert!(left.is_empty(), "pod cgroups left: {left:?}");
    assert!(
        !c.root_dir.join("pods").join(&uid_t).exists(),
        "the pod's volume directory is left"
    );
}
