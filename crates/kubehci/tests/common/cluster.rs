//! A one-node cluster on the real parts: `kubehci server` (with controllers and scheduler),
//! a containerd of its own with the built-in images, and a `kubehci node` agent holding a node
//! certificate issued by the server's CA. Everything is torn down on drop, also when a test
//! fails: the agent is killed, containerd removes every sandbox and stops, and the node's CNI
//! bridge, IPAM state and pod cgroups are removed.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use kubehci_runtime::containerd::{Containerd, ContainerdConfig};

use super::Server;

/// The built-in busybox image.
pub const BUSYBOX: &str = "kubehci.local/busybox:1.35";

/// `kubectl apply -f -` of `yaml`.
pub fn apply(c: &Cluster, yaml: &str) {
    c.server.ok_stdin(&["apply", "-f", "-"], yaml);
}

/// A pod manifest (label `app: NAME`, 2 s grace) with `body` appended to its spec.
pub fn pod_yaml(name: &str, body: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels:\n    app: {name}\nspec:\n  terminationGracePeriodSeconds: 2\n{body}"
    )
}

/// Whether `ip` is inside `cidr`.
pub fn ip_in(cidr: &str, ip: &str) -> bool {
    let net: ipnet::Ipv4Net = cidr.parse().unwrap();
    ip.parse::<std::net::Ipv4Addr>()
        .map(|a| net.contains(&a))
        .unwrap_or(false)
}

/// The runtime id of a pod's first container.
pub fn container_id(c: &Cluster, pod: &str) -> String {
    c.pod_field(pod, "{.status.containerStatuses[0].containerID}")
        .trim_start_matches("containerd://")
        .to_string()
}

static NEXT: AtomicU32 = AtomicU32::new(0);

pub struct Cluster {
    pub server: Server,
    pub rt: tokio::runtime::Runtime,
    pub containerd: Option<Containerd>,
    pub socket: PathBuf,
    pub node_name: String,
    pub pod_cidr: String,
    pub cgroup_root: String,
    pub root_dir: PathBuf,
    pub agent: Option<Child>,
    agent_args: Vec<String>,
    tmp: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Where the built-in image archives are cached between test runs.
fn image_cache() -> PathBuf {
    std::env::temp_dir().join("kubehci-test-image-cache")
}

impl Cluster {
    pub fn start() -> Cluster {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let pid = std::process::id();
        // A /16 of its own per cluster: bridges of concurrent tests must not overlap.
        let slot = (pid.wrapping_mul(7).wrapping_add(n * 13)) % 150 + 50;
        let cluster_cidr = format!("10.{slot}.0.0/16");
        let server = Server::start_with(&["--cluster-cidr", &cluster_cidr]);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let node_name = format!("node-{pid}-{n}");
        let pod_cidr = format!("10.{slot}.0.0/24");
        let cgroup_root = format!("/kubehci-test-{node_name}");
        let tmp = tempfile::Builder::new()
            .prefix("khn")
            .tempdir_in("/tmp")
            .unwrap();
        let base = tmp.path().to_path_buf();
        let mut ccfg = ContainerdConfig::new(base.join("ctd"));
        ccfg.cni_conf_dir = base.join("net.d");
        let containerd = rt
            .block_on(Containerd::start(ccfg))
            .expect("start containerd");
        let socket = containerd.socket().to_path_buf();
        rt.block_on(kubehci_runtime::images::ensure_builtin(
            &socket,
            &image_cache(),
        ))
        .expect("import the built-in images");

        // The node's identity and serving certificate from the cluster CA.
        let pki = server.dir.join("pki");
        let ca = kubehci_auth::pki::ClusterCa::load(&pki.join("ca.crt"), &pki.join("ca.key"))
            .expect("CA");
        let user = format!("system:node:{node_name}");
        let client = ca.issue_client(&user, &["system:nodes"]).unwrap();
        let kc = kubehci_auth::pki::Kubeconfig {
            cluster_name: "kubernetes".into(),
            server: format!("https://{}", server.addr),
            ca_pem: ca.cert_pem().to_string(),
            user_name: user,
            client: Some(client),
            token: None,
            namespace: None,
        };
        let kc_path = base.join("node.kubeconfig");
        std::fs::write(&kc_path, kubehci_auth::pki::kubeconfig_yaml(&kc).unwrap()).unwrap();
        let serving = ca
            .issue_serving(
                &node_name,
                std::slice::from_ref(&node_name),
                &["127.0.0.1".parse().unwrap()],
            )
            .unwrap();
        std::fs::write(base.join("kubelet.crt"), &serving.cert_pem).unwrap();
        std::fs::write(base.join("kubelet.key"), &serving.key_pem).unwrap();
        std::fs::write(base.join("ca.crt"), ca.cert_pem()).unwrap();

        let root_dir = base.join("root");
        let p = |x: PathBuf| x.to_string_lossy().into_owned();
        let agent_args: Vec<String> = vec![
            "node".into(),
            "--kubeconfig".into(),
            p(kc_path),
            "--node-name".into(),
            node_name.clone(),
            "--containerd-socket".into(),
            p(socket.clone()),
            "--root-dir".into(),
            p(root_dir.clone()),
            "--node-ip".into(),
            "127.0.0.1".into(),
            "--listen".into(),
            format!("127.0.0.1:{}", free_port()),
            "--tls-cert".into(),
            p(base.join("kubelet.crt")),
            "--tls-key".into(),
            p(base.join("kubelet.key")),
            "--client-ca".into(),
            p(base.join("ca.crt")),
            "--pod-cidr".into(),
            pod_cidr.clone(),
            "--cni-conf-dir".into(),
            p(base.join("net.d")),
            "--pod-log-dir".into(),
            p(base.join("logs")),
            "--cgroup-root".into(),
            cgroup_root.clone(),
        ];
        let mut c = Cluster {
            server,
            rt,
            containerd: Some(containerd),
            socket,
            node_name,
            pod_cidr,
            cgroup_root,
            root_dir,
            agent: None,
            agent_args,
            tmp,
        };
        c.start_agent();
        c.wait_node_ready();
        let assigned = c.server.ok(&[
            "get",
            "node",
            &c.node_name,
            "-o",
            "jsonpath={.spec.podCIDR}",
        ]);
        if !assigned.trim().is_empty() {
            c.pod_cidr = assigned.trim().to_string();
        }
        c
    }

    /// Starts (or restarts) the node agent.
    pub fn start_agent(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_kubehci"))
            .args(&self.agent_args)
            .env(
                "RUST_LOG",
                std::env::var("NODE_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn kubehci node");
        self.agent = Some(child);
    }

    /// `kill -9` of the node agent.
    pub fn kill_agent(&mut self) {
        if let Some(mut c) = self.agent.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn wait_node_ready(&self) {
        let node = self.node_name.clone();
        self.server.eventually(120, "the node to be Ready", || {
            let out = self.server.kubectl(&[
                "get",
                "node",
                &node,
                "-o",
                "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
            ]);
            String::from_utf8_lossy(&out.stdout).trim() == "True"
        });
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// A CRI client to the node's containerd.
    pub fn cri(&self) -> kubehci_runtime::cri::Cri {
        self.block_on(kubehci_runtime::cri::connect(&self.socket))
            .expect("CRI")
    }

    /// A jsonpath of a pod (empty when absent).
    pub fn pod_field(&self, pod: &str, jsonpath: &str) -> String {
        let out = self
            .server
            .kubectl(&["get", "pod", pod, "-o", &format!("jsonpath={jsonpath}")]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The pod as JSON.
    pub fn pod_json(&self, pod: &str) -> serde_json::Value {
        let out = self.server.kubectl(&["get", "pod", pod, "-o", "json"]);
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
    }

    /// Polls until `f` holds, up to `secs`.
    pub fn eventually(&self, secs: u64, what: &str, mut f: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if f() {
                return;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!("timed out after {secs}s waiting for {what}");
    }

    /// Runs a command in a container through CRI ExecSync: (exit code, stdout).
    pub fn exec(&self, container_id: &str, cmd: &[&str]) -> (i32, String) {
        let cri = self.cri();
        let mut r = cri.runtime.clone();
        let out = self
            .block_on(r.exec_sync(kubehci_runtime::cri::api::ExecSyncRequest {
                container_id: container_id.into(),
                cmd: cmd.iter().map(|s| s.to_string()).collect(),
                timeout: 20,
            }))
            .expect("ExecSync")
            .into_inner();
        (
            out.exit_code,
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    /// Every container id the node's containerd holds (any state).
    pub fn runtime_containers(&self) -> Vec<kubehci_runtime::cri::api::Container> {
        let cri = self.cri();
        let mut r = cri.runtime.clone();
        self.block_on(
            r.list_containers(kubehci_runtime::cri::api::ListContainersRequest { filter: None }),
        )
        .expect("ListContainers")
        .into_inner()
        .containers
    }

    pub fn runtime_sandboxes(&self) -> Vec<kubehci_runtime::cri::api::PodSandbox> {
        let cri = self.cri();
        let mut r = cri.runtime.clone();
        self.block_on(
            r.list_pod_sandbox(kubehci_runtime::cri::api::ListPodSandboxRequest { filter: None }),
        )
        .expect("ListPodSandbox")
        .into_inner()
        .items
    }

    /// Whether any cgroup directory of the pod exists under the node's cgroup root.
    pub fn pod_cgroup_exists(&self, uid: &str) -> bool {
        let root = self.cgroup_root.clone();
        [
            format!("{root}/pod{uid}"),
            format!("{root}/burstable/pod{uid}"),
            format!("{root}/besteffort/pod{uid}"),
        ]
        .iter()
        .any(|p| kubehci_node::cgroups::exists(p))
    }

    pub fn tmp(&self) -> &Path {
        self.tmp.path()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.kill_agent();
        // Volume mounts (tmpfs for projected/secret volumes) of pods still there.
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let prefix = self.tmp.path().to_string_lossy().into_owned();
        let mut points: Vec<&str> = mounts
            .lines()
            .filter_map(|l| l.split(' ').nth(4))
            .filter(|p| p.starts_with(&prefix))
            .collect();
        points.sort_by_key(|p| std::cmp::Reverse(p.len()));
        for p in points {
            let _ = rustix::mount::unmount(p, rustix::mount::UnmountFlags::DETACH);
        }
        if let Some(c) = self.containerd.take()
            && let Err(e) = self.rt.block_on(c.teardown())
        {
            eprintln!("containerd teardown: {e}");
        }
        let bridge = kubehci_node::cni::bridge_name(&self.node_name);
        let _ = Command::new("ip")
            .args(["link", "del", &bridge])
            .stderr(Stdio::null())
            .status();
        let left = kubehci_node::cgroups::remove(&self.cgroup_root);
        if !left.is_empty() {
            eprintln!("cgroups left behind: {left:?}");
        }
    }
}
