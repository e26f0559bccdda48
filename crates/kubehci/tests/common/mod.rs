//! Test harness: starts the real `kubehci server` binary on a free loopback port in a
//! temporary data directory, and drives the real kubectl 1.33 against it. Everything is
//! torn down on drop, also when a test fails.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod cluster;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The versioned kubectl 1.33 binary that sits beside the machine's kubectl.
pub fn kubectl_path() -> PathBuf {
    if let Ok(p) = std::env::var("KUBECTL") {
        return PathBuf::from(p);
    }
    let which = Command::new("sh")
        .arg("-c")
        .arg("readlink -f \"$(command -v kubectl)\"")
        .output()
        .expect("sh");
    let real = String::from_utf8_lossy(&which.stdout).trim().to_string();
    let dir = Path::new(&real)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("/usr/local/bin"));
    let v = dir.join("kubectl.1.33");
    if v.exists() {
        v
    } else {
        PathBuf::from("kubectl")
    }
}

pub struct Server {
    pub child: Child,
    pub dir: PathBuf,
    pub addr: String,
    _tmp: Option<tempfile::TempDir>,
}

impl Server {
    /// Starts a server in a new temporary directory.
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    /// Starts a server in a new temporary directory with extra `kubehci server` flags
    /// (e.g. `--node-monitor-grace-period 4`).
    pub fn start_with(extra: &[&str]) -> Server {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().to_path_buf();
        let mut s = Server::start_in_with(&dir, "127.0.0.1:0", extra);
        s._tmp = Some(tmp);
        s
    }

    /// Starts (or restarts) a server on an existing data directory.
    pub fn start_in(dir: &Path, listen: &str) -> Server {
        Server::start_in_with(dir, listen, &[])
    }

    pub fn start_in_with(dir: &Path, listen: &str, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kubehci"))
            .args(["server", "--data-dir"])
            .arg(dir)
            .args(["--listen", listen])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn kubehci server");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut addr = String::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            match lines.next() {
                Some(Ok(l)) => {
                    if let Some(a) = l.strip_prefix("kubehci API server listening on https://") {
                        addr = a.trim().to_string();
                        break;
                    }
                }
                _ => break,
            }
        }
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        assert!(!addr.is_empty(), "server did not report its address");
        Server {
            child,
            dir: dir.to_path_buf(),
            addr,
            _tmp: None,
        }
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.join("admin.kubeconfig")
    }

    /// Runs kubectl with the admin kubeconfig; returns the output.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_with(&self.kubeconfig(), args, None)
    }

    pub fn kubectl_with(&self, kubeconfig: &Path, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new(kubectl_path());
        cmd.arg("--kubeconfig").arg(kubeconfig).args(args);
        cmd.env_remove("KUBECONFIG");
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn kubectl");
        if let Some(input) = stdin {
            use std::io::Write as _;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.as_bytes())
                .expect("write stdin");
        }
        child.wait_with_output().expect("kubectl output")
    }

    /// Runs kubectl and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    /// Runs kubectl with stdin and asserts success.
    pub fn ok_stdin(&self, args: &[&str], input: &str) -> String {
        let out = self.kubectl_with(&self.kubeconfig(), args, Some(input));
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    /// Runs kubectl expecting failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            !out.status.success(),
            "kubectl {args:?} unexpectedly succeeded: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).to_string()
    }

    /// Starts `kubehci fake-nodes` with `count` nodes of the given capacity; they stop
    /// when the returned handle drops.
    pub fn fake_nodes(&self, count: u32, cpu: &str, memory: &str, extra: &[&str]) -> FakeNodes {
        let child = Command::new(env!("CARGO_BIN_EXE_kubehci"))
            .args(["fake-nodes", "--kubeconfig"])
            .arg(self.kubeconfig())
            .args([
                "--count",
                &count.to_string(),
                "--cpu",
                cpu,
                "--memory",
                memory,
            ])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn kubehci fake-nodes");
        FakeNodes { child }
    }

    /// Polls `f` every 100 ms until it returns true or `secs` pass.
    pub fn eventually(&self, secs: u64, what: &str, mut f: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if f() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("timed out after {secs}s waiting for {what}");
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// A kube-rs client with the admin credentials.
    pub async fn client(&self) -> kube::Client {
        let kc = kube::config::Kubeconfig::read_from(self.kubeconfig()).expect("kubeconfig");
        let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
            .await
            .expect("config");
        kube::Client::try_from(cfg).expect("client")
    }
}

/// A running `kubehci fake-nodes` process.
pub struct FakeNodes {
    pub child: Child,
}

impl Drop for FakeNodes {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
