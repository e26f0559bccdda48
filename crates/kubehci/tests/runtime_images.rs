//! `kubehci image load` against a real containerd: OCI archives (the built-in images) and
//! `docker save` archives are imported into the `k8s.io` namespace; mistakes get a one-line
//! cause and what to do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use kubehci_runtime::containerd::{Containerd, ContainerdConfig};
use sha2::{Digest, Sha256};

fn kubehci(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubehci"))
        .args(args)
        .output()
        .expect("run kubehci")
}

fn images_in(socket: &Path) -> Vec<String> {
    let out = Command::new("ctr")
        .arg("--address")
        .arg(socket)
        .args(["-n", "k8s.io", "images", "ls", "-q"])
        .output()
        .expect("ctr");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// A `docker save` archive of a one-layer image holding /hello.txt.
fn docker_archive(path: &Path, tag: &str) {
    let mut layer = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(6);
    h.set_mode(0o644);
    h.set_mtime(1);
    layer
        .append_data(&mut h, "hello.txt", &b"hello\n"[..])
        .unwrap();
    let layer = layer.into_inner().unwrap();
    let diff_id = format!("{:x}", Sha256::digest(&layer));
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": { "Cmd": ["/hello.txt"] },
        "rootfs": { "type": "layers", "diff_ids": [format!("sha256:{diff_id}")] },
    }))
    .unwrap();
    let config_id = format!("{:x}", Sha256::digest(&config));
    let manifest = serde_json::to_vec(&serde_json::json!([{
        "Config": format!("{config_id}.json"),
        "RepoTags": [tag],
        "Layers": [format!("{diff_id}/layer.tar")],
    }]))
    .unwrap();
    let mut out = tar::Builder::new(std::fs::File::create(path).unwrap());
    for (name, data) in [
        (format!("{config_id}.json"), config),
        (format!("{diff_id}/layer.tar"), layer),
        ("manifest.json".to_string(), manifest),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        out.append_data(&mut h, name, data.as_slice()).unwrap();
    }
    out.finish().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_load_imports_oci_and_docker_archives() -> anyhow::Result<()> {
    let dir = tempfile::Builder::new()
        .prefix("khimg")
        .tempdir_in("/tmp")?;
    let ctd = Containerd::start(ContainerdConfig::new(dir.path().join("ctd"))).await?;
    let socket = ctd.socket().to_str().unwrap().to_string();

    let archives = kubehci_runtime::images::build_builtin(&dir.path().join("cache"))?;
    let busybox = archives
        .iter()
        .find(|p| p.ends_with("busybox.tar"))
        .unwrap();
    let out = kubehci(&[
        "image",
        "load",
        busybox.to_str().unwrap(),
        "--containerd-socket",
        &socket,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Loaded image: kubehci.local/busybox:1.35\n"
    );

    let docker = dir.path().join("hello.tar");
    docker_archive(&docker, "example.local/hello:1");
    let out = kubehci(&[
        "image",
        "load",
        docker.to_str().unwrap(),
        "--containerd-socket",
        &socket,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Loaded image: example.local/hello:1\n"
    );

    let listed = images_in(ctd.socket());
    assert!(
        listed.contains(&"kubehci.local/busybox:1.35".to_string()),
        "{listed:?}"
    );
    assert!(
        listed.contains(&"example.local/hello:1".to_string()),
        "{listed:?}"
    );

    // CRI (what the node agent uses) sees the imported image too.
    let mut cri = kubehci_runtime::connect(ctd.socket()).await?;
    let status = cri
        .images
        .image_status(kubehci_runtime::cri::api::ImageStatusRequest {
            image: Some(kubehci_runtime::cri::api::ImageSpec {
                image: "example.local/hello:1".to_string(),
                ..Default::default()
            }),
            verbose: false,
        })
        .await?
        .into_inner();
    assert!(
        status.image.is_some(),
        "CRI does not see example.local/hello:1"
    );

    // Not an image archive: one line, with the cause and what to do.
    let junk = dir.path().join("junk.tar");
    std::fs::write(&junk, b"this is not a tar file")?;
    let out = kubehci(&[
        "image",
        "load",
        junk.to_str().unwrap(),
        "--containerd-socket",
        &socket,
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("could not be imported") && err.contains("docker save"),
        "{err}"
    );
    ctd.teardown().await?;
    Ok(())
}

#[test]
fn image_load_explains_missing_file_and_missing_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let out = kubehci(&[
        "image",
        "load",
        "/nonexistent/image.tar",
        "--data-dir",
        data_dir,
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/nonexistent/image.tar: no such file") && err.contains("docker save"),
        "{err}"
    );

    let file = dir.path().join("x.tar");
    std::fs::write(&file, b"x").unwrap();
    let out = kubehci(&[
        "image",
        "load",
        file.to_str().unwrap(),
        "--data-dir",
        data_dir,
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let socket = format!("{data_dir}/node/containerd/containerd.sock");
    assert!(err.contains(&socket) && err.contains("kubehci up"), "{err}");
}

/// Runs `kubehci down` on drop, so a failing test leaves no cluster behind.
struct UpGuard {
    dir: std::path::PathBuf,
}

impl Drop for UpGuard {
    fn drop(&mut self) {
        let _ = kubehci(&["down", "--data-dir", self.dir.to_str().unwrap()]);
    }
}

fn kubectl(kubeconfig: &Path, args: &[&str]) -> Output {
    Command::new("/usr/lib/google-cloud-sdk/bin/kubectl.1.33")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .output()
        .expect("kubectl")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn kubehci_processes_in(dir: &Path) -> Vec<String> {
    let needle = dir.to_str().unwrap();
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if e.file_name()
            .to_str()
            .is_none_or(|n| n.parse::<u32>().is_err())
        {
            continue;
        }
        let Ok(raw) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&raw).replace('\0', " ");
        let zombie = std::fs::read_to_string(e.path().join("stat"))
            .map(|s| {
                s.rsplit_once(')')
                    .is_some_and(|(_, r)| r.trim_start().starts_with('Z'))
            })
            .unwrap_or(true);
        if cmd.contains(needle) && !zombie {
            found.push(cmd);
        }
    }
    found
}

#[test]
fn up_runs_a_ready_node_with_its_own_credentials_and_down_removes_everything() {
    let tmp = tempfile::Builder::new()
        .prefix("khup")
        .tempdir_in("/tmp")
        .unwrap();
    let dir = tmp.path().join("cluster");
    let d = dir.to_str().unwrap().to_string();
    let _guard = UpGuard { dir: dir.clone() };
    let listen = format!("127.0.0.1:{}", free_port());
    let up = kubehci(&[
        "up",
        "--data-dir",
        &d,
        "--listen",
        &listen,
        "--timeout",
        "120",
    ]);
    let stdout = String::from_utf8_lossy(&up.stdout).to_string();
    assert!(
        up.status.success(),
        "up failed: {stdout}\n{}",
        String::from_utf8_lossy(&up.stderr)
    );
    let admin = dir.join("admin.kubeconfig");
    assert!(
        stdout.contains(&format!("export KUBECONFIG={}", admin.display())),
        "{stdout}"
    );
    assert!(
        stdout.contains("kubectl get nodes") && stdout.contains("kubehci.local/busybox:1.35"),
        "{stdout}"
    );

    // One Ready node, named after the host.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_ascii_lowercase();
    let nodes = kubectl(&admin, &["get", "nodes", "--no-headers"]);
    let nodes = String::from_utf8_lossy(&nodes.stdout).to_string();
    assert_eq!(nodes.lines().count(), 1, "{nodes}");
    assert!(
        nodes.starts_with(&format!("{host} ")) && nodes.contains(" Ready "),
        "{nodes}"
    );

    // The node's containerd has the built-in images (what `ctr -n k8s.io i ls` shows).
    let listed = images_in(&dir.join("node/containerd/containerd.sock"));
    assert!(
        listed.contains(&"kubehci.local/pause:3.10".to_string()),
        "{listed:?}"
    );
    assert!(
        listed.contains(&"kubehci.local/busybox:1.35".to_string()),
        "{listed:?}"
    );

    // The node agent authenticates as system:node:<host> in system:nodes, not as the admin.
    let kc: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(dir.join("node/node.kubeconfig")).unwrap())
            .unwrap();
    assert_eq!(
        kc["users"][0]["name"].as_str().unwrap(),
        format!("system:node:{host}")
    );
    let cert_b64 = kc["users"][0]["user"]["client-certificate-data"]
        .as_str()
        .unwrap();
    let cert = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "echo {cert_b64} | base64 -d | openssl x509 -noout -subject -nameopt RFC2253"
        ))
        .output()
        .unwrap();
    let subject = String::from_utf8_lossy(&cert.stdout).to_string();
    assert!(
        subject.contains(&format!("CN=system:node:{host}")) && subject.contains("O=system:nodes"),
        "{subject}"
    );

    // A second `up` reports the running cluster.
    let again = kubehci(&["up", "--data-dir", &d, "--listen", &listen]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(String::from_utf8_lossy(&again.stdout).contains("already running"));

    // A pod runs (sandbox, pod network, busybox).
    let pod = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"t"},"spec":{"automountServiceAccountToken":false,
        "containers":[{"name":"c","image":"kubehci.local/busybox:1.35","command":["sh","-c","echo hi; sleep 3600"]}]}}"#;
    let pod_file = tmp.path().join("pod.json");
    std::fs::write(&pod_file, pod).unwrap();
    let created = kubectl(&admin, &["apply", "-f", pod_file.to_str().unwrap()]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let waited = kubectl(
        &admin,
        &[
            "wait",
            "pod/t",
            "--for=jsonpath={.status.phase}=Running",
            "--timeout=90s",
        ],
    );
    assert!(
        waited.status.success(),
        "pod not Running: {}",
        String::from_utf8_lossy(&waited.stderr)
    );
    // The acceptance path of the README: logs and exec through the API server to the node.
    // (`echo` may not have run yet when the pod turns Running: poll for a while.)
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let logs = loop {
        let out = kubectl(&admin, &["logs", "t"]);
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        if !text.is_empty() || std::time::Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(logs, "hi\n");
    let id = kubectl(&admin, &["exec", "t", "--", "id"]);
    let id = String::from_utf8_lossy(&id.stdout).to_string();
    assert!(id.starts_with("uid=0(root) gid=0(root)"), "{id}");
    let socket = dir.join("node/containerd/containerd.sock");
    assert!(!kubehci_processes_in(&dir).is_empty());
    let bridges: Vec<String> = std::fs::read_dir(dir.join("node/containerd/cni/net.d"))
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(e.path()).ok()?).ok()?;
            v["plugins"]
                .as_array()?
                .iter()
                .find_map(|p| p["bridge"].as_str().map(str::to_string))
        })
        .collect();
    assert!(!bridges.is_empty());

    let down = kubehci(&["down", "--data-dir", &d]);
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    assert!(String::from_utf8_lossy(&down.stdout).contains("kubehci is down"));
    assert!(!dir.exists(), "{} still exists", dir.display());
    assert_eq!(
        kubehci_processes_in(&dir),
        Vec::<String>::new(),
        "processes (containerd, shims, agent) left"
    );
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mounts.contains(&d), "mounts left under {d}");
    for b in &bridges {
        assert!(
            !Path::new("/sys/class/net").join(b).exists(),
            "bridge {b} left behind"
        );
    }
    assert!(!socket.exists());

    let again = kubehci(&["down", "--data-dir", &d]);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("Nothing to do"));
}

#[test]
fn up_reports_why_the_cluster_did_not_start() {
    let tmp = tempfile::Builder::new()
        .prefix("khupf")
        .tempdir_in("/tmp")
        .unwrap();
    let dir = tmp.path().join("cluster");
    let d = dir.to_str().unwrap().to_string();
    let _guard = UpGuard { dir: dir.clone() };
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = busy.local_addr().unwrap().to_string();
    let up = kubehci(&[
        "up",
        "--data-dir",
        &d,
        "--listen",
        &listen,
        "--timeout",
        "60",
    ]);
    assert!(!up.status.success());
    let err = String::from_utf8_lossy(&up.stderr);
    assert!(
        err.contains("the cluster did not start") && err.contains("Address already in use"),
        "{err}"
    );
    assert!(err.contains("kubehci down"), "{err}");
    let down = kubehci(&["down", "--data-dir", &d]);
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    assert!(!dir.exists());
    assert_eq!(kubehci_processes_in(&dir), Vec::<String>::new());
}
