//! Containers on the real node agent and containerd: restarts with CrashLoopBackOff
//! back-off, readiness and liveness probes, absent images, init containers, env from
//! configMap/fieldRef/resourceFieldRef, volumes with fsGroup, memory limits (OOMKilled),
//! activeDeadlineSeconds and runAsNonRoot. Runs as root (CI does).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::cluster::{BUSYBOX, Cluster, apply, pod_yaml};

#[test]
fn restarts_probes_images_and_container_config() {
    let c = Cluster::start();
    apply(
        &c,
        &pod_yaml(
            "crash",
            &format!(
                "  containers:\n  - name: c\n    image: {BUSYBOX}\n    command: [sh, -c, 'echo crashing; exit 1']\n"
            ),
        ),
    );
    apply(
        &c,
        &pod_yaml(
            "unready",
            &format!(
                "  containers:\n  - name: c\n    image: {BUSYBOX}\n    command: [sleep, '3600']\n    readinessProbe:\n      exec: {{command: [cat, /nonexistent]}}\n      periodSeconds: 1\n"
            ),
        ),
    );
    apply(
        &c,
        &pod_yaml(
            "live",
            &format!(
                "  containers:\n  - name: c\n    image: {BUSYBOX}\n    command: [sleep, '3600']\n    livenessProbe:\n      tcpSocket: {{port: 9999}}\n      periodSeconds: 1\n      failureThreshold: 2\n"
            ),
        ),
    );
    apply(
        &c,
        &pod_yaml(
            "noimage",
            "  containers:\n  - name: c\n    image: kubehci.local/absent:1.0\n",
        ),
    );
    apply(
        &c,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  greeting: hello\n",
    );
    apply(
        &c,
        &pod_yaml(
            "setup",
            &format!(
                "  restartPolicy: Never\n  securityContext: {{runAsUser: 1000, fsGroup: 2000, supplementalGroups: [3000]}}\n  volumes:\n  - name: data\n    emptyDir: {{}}\n  - name: conf\n    configMap: {{name: cfg}}\n  initContainers:\n  - name: init\n    image: {BUSYBOX}\n    command: [sh, -c, 'echo from-init > /data/init.txt']\n    volumeMounts: [{{name: data, mountPath: /data}}]\n  containers:\n  - name: main\n    image: {BUSYBOX}\n    command: [sh, -c, 'echo \"$GREETING $POD_NAME $MEM $(cat /data/init.txt) $(cat /conf/greeting)\" > /data/out.txt; stat -c %u:%g /data/out.txt; cat /data/out.txt']\n    env:\n    - name: GREETING\n      valueFrom: {{configMapKeyRef: {{name: cfg, key: greeting}}}}\n    - name: POD_NAME\n      valueFrom: {{fieldRef: {{fieldPath: metadata.name}}}}\n    - name: MEM\n      valueFrom: {{resourceFieldRef: {{resource: limits.memory, divisor: 1Mi}}}}\n    resources: {{limits: {{memory: 64Mi}}}}\n    volumeMounts: [{{name: data, mountPath: /data}}, {{name: conf, mountPath: /conf}}]\n  - name: locked\n    image: {BUSYBOX}\n    command: [sh, -c, 'touch /x 2>/dev/null && echo writable || echo read-only; id -G; grep CapEff /proc/self/status']\n    securityContext: {{readOnlyRootFilesystem: true, capabilities: {{drop: [ALL]}}}}\n"
            ),
        ),
    );
    apply(
        &c,
        &pod_yaml(
            "nonroot",
            &format!(
                "  securityContext: {{runAsNonRoot: true}}\n  containers:\n  - name: c\n    image: {BUSYBOX}\n    command: [sleep, '3600']\n"
            ),
        ),
    );
    apply(
        &c,
        &pod_yaml(
            "oom",
            &format!(
                "  restartPolicy: Never\n  containers:\n  - name: c\n    image: {BUSYBOX}\n    command: [sh, -c, 'head -c 300m /dev/zero | tail']\n    resources: {{limits: {{memory: 32Mi}}}}\n"
            ),
        ),
    );

    apply(
        &c,
        &pod_yaml(
            "deadline",
            &format!(
                "  activeDeadlineSeconds: 3\n  containers:\n  - name: c\n    image: {BUSYBOX}\n    command: [sleep, '3600']\n"
            ),
        ),
    );

    apply(
        &c,
        &pod_yaml(
            "sidecar",
            &format!(
                "  initContainers:\n  - name: side\n    image: {BUSYBOX}\n    restartPolicy: Always\n    command: [sleep, '3600']\n  containers:\n  - name: main\n    image: {BUSYBOX}\n    command: [sleep, '3600']\n"
            ),
        ),
    );

    // exit 1: CrashLoopBackOff with a growing restart count.
    c.eventually(90, "crash in CrashLoopBackOff", || {
        c.pod_field(
            "crash",
            "{.status.containerStatuses[0].state.waiting.reason}",
        ) == "CrashLoopBackOff"
    });
    let pod = c.pod_json("crash");
    let cs = &pod["status"]["containerStatuses"][0];
    assert_eq!(pod["status"]["phase"], "Running");
    let msg = cs["state"]["waiting"]["message"].as_str().unwrap();
    assert!(
        msg.starts_with("back-off 10s restarting failed container=c pod=crash_default("),
        "{msg}"
    );
    assert_eq!(cs["lastState"]["terminated"]["exitCode"], 1);
    assert_eq!(cs["lastState"]["terminated"]["reason"], "Error");
    let first = cs["restartCount"].as_i64().unwrap();
    assert!(first >= 1);
    c.eventually(90, "the restart count to grow", || {
        c.pod_field("crash", "{.status.containerStatuses[0].restartCount}")
            .parse::<i64>()
            .unwrap_or(0)
            > first
    });

    assert_eq!(c.server.ok(&["logs", "crash", "--previous"]), "crashing\n");

    // A failing readiness probe keeps the pod out of Ready.
    c.eventually(60, "unready Running with an Unhealthy event", || {
        c.pod_field("unready", "{.status.phase}") == "Running"
            && c.server
                .ok(&[
                    "get",
                    "events",
                    "--field-selector",
                    "involvedObject.name=unready,reason=Unhealthy",
                    "-o",
                    "name",
                ])
                .contains("event")
    });
    let pod = c.pod_json("unready");
    let ready = pod["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Ready")
        .unwrap()
        .clone();
    assert_eq!(ready["status"], "False");
    assert_eq!(ready["reason"], "ContainersNotReady");
    assert_eq!(ready["message"], "containers with unready status: [c]");
    assert_eq!(pod["status"]["containerStatuses"][0]["ready"], false);

    // A failing liveness probe restarts the container.
    c.eventually(90, "live restarted", || {
        c.pod_field("live", "{.status.containerStatuses[0].restartCount}")
            .parse::<i64>()
            .unwrap_or(0)
            >= 1
    });
    let events = c.server.ok(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=live",
        "-o",
        "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}",
    ]);
    assert!(
        events.contains("Killing: Container c failed liveness probe, will be restarted"),
        "{events}"
    );
    assert!(
        events.contains("Unhealthy: Liveness probe failed: dial tcp"),
        "{events}"
    );

    // An absent image: ErrImagePull, then ImagePullBackOff, saying how to import it.
    c.eventually(60, "noimage ImagePullBackOff", || {
        c.pod_field(
            "noimage",
            "{.status.containerStatuses[0].state.waiting.reason}",
        ) == "ImagePullBackOff"
    });
    let msg = c.pod_field(
        "noimage",
        "{.status.containerStatuses[0].state.waiting.message}",
    );
    assert!(
        msg.starts_with("Back-off pulling image \"kubehci.local/absent:1.0\""),
        "{msg}"
    );
    assert!(msg.contains("kubehci image load"), "{msg}");
    let events = c.server.ok(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=noimage",
        "-o",
        "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}",
    ]);
    assert!(events.contains("Failed: Error: ErrImagePull"), "{events}");
    assert_eq!(c.pod_field("noimage", "{.status.phase}"), "Pending");

    // Init container, env from configMap/fieldRef/resourceFieldRef, emptyDir with fsGroup,
    // configMap volume; restartPolicy Never ends Succeeded.
    c.eventually(60, "setup Succeeded", || {
        c.pod_field("setup", "{.status.phase}") == "Succeeded"
    });
    let pod = c.pod_json("setup");
    assert_eq!(
        pod["status"]["initContainerStatuses"][0]["state"]["terminated"]["reason"],
        "Completed"
    );
    assert_eq!(
        pod["status"]["containerStatuses"][0]["state"]["terminated"]["reason"],
        "Completed"
    );
    assert_eq!(
        pod["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"],
        0
    );
    let ready = pod["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Ready")
        .unwrap()
        .clone();
    assert_eq!(
        (ready["status"].as_str(), ready["reason"].as_str()),
        (Some("False"), Some("PodCompleted"))
    );
    let logs = c.server.ok(&["logs", "setup", "-c", "main"]);
    assert_eq!(logs, "1000:2000\nhello setup 64 from-init hello\n");

    // A memory limit is enforced: the container is OOMKilled and the pod Failed.
    c.eventually(60, "oom Failed", || {
        c.pod_field("oom", "{.status.phase}") == "Failed"
    });
    assert_eq!(
        c.pod_field(
            "oom",
            "{.status.containerStatuses[0].state.terminated.reason}"
        ),
        "OOMKilled"
    );
    assert_eq!(c.pod_field("oom", "{.status.qosClass}"), "Burstable");

    // activeDeadlineSeconds: the pod fails with upstream's reason and message.
    c.eventually(60, "deadline Failed", || {
        c.pod_field("deadline", "{.status.phase}") == "Failed"
    });
    assert_eq!(
        c.pod_field("deadline", "{.status.reason}: {.status.message}"),
        "DeadlineExceeded: Pod was active on the node longer than the specified deadline"
    );

    let locked = c.server.ok(&["logs", "setup", "-c", "locked"]);
    let lines: Vec<&str> = locked.lines().collect();
    assert_eq!(lines[0], "read-only", "{locked}");
    let groups: Vec<&str> = lines[1].split_whitespace().collect();
    assert!(
        groups.contains(&"2000") && groups.contains(&"3000"),
        "{locked}"
    );
    assert_eq!(
        lines[2].split_whitespace().nth(1),
        Some("0000000000000000"),
        "{locked}"
    );

    // A sidecar (restartable init container) runs beside the main container.
    c.eventually(60, "sidecar Ready", || {
        c.pod_field(
            "sidecar",
            "{.status.conditions[?(@.type==\"Ready\")].status}",
        ) == "True"
    });
    let pod = c.pod_json("sidecar");
    assert!(pod["status"]["initContainerStatuses"][0]["state"]["running"].is_object());
    assert!(pod["status"]["containerStatuses"][0]["state"]["running"].is_object());

    // runAsNonRoot with an image that runs as root.
    c.eventually(60, "nonroot refused", || {
        c.pod_field(
            "nonroot",
            "{.status.containerStatuses[0].state.waiting.reason}",
        ) == "CreateContainerConfigError"
    });
    let msg = c.pod_field(
        "nonroot",
        "{.status.containerStatuses[0].state.waiting.message}",
    );
    let uid = c.pod_field("nonroot", "{.metadata.uid}");
    assert_eq!(
        msg,
        format!(
            "container has runAsNonRoot and image will run as root (pod: \"nonroot_default({uid})\", container: c)"
        )
    );
}
