//! The containerd configuration kubehci runs with: one containerd per node, everything of it
//! under one state directory so that several can run side by side on one host.

use std::path::{Path, PathBuf};

use crate::RuntimeError;
use crate::images::PAUSE_IMAGE;

/// Unix socket paths longer than this do not fit `sockaddr_un.sun_path` (108 bytes with NUL).
pub const MAX_SOCKET_PATH: usize = 107;

/// Where one containerd keeps everything and which CNI it uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerdConfig {
    /// Everything of this containerd lives under it: config.toml, root, state, socket, log.
    pub state_dir: PathBuf,
    /// Where containerd's CRI plugin reads CNI network configs (the node agent writes them).
    pub cni_conf_dir: PathBuf,
    /// Where the CNI plugin binaries are (Debian: /usr/lib/cni).
    pub cni_bin_dir: PathBuf,
    /// The image of every pod sandbox.
    pub sandbox_image: String,
}

impl ContainerdConfig {
    /// Defaults for a containerd under `state_dir`: CNI configs in `state_dir/cni/net.d`,
    /// Debian's CNI plugins, kubehci's pause image.
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        let state_dir = state_dir.into();
        ContainerdConfig {
            cni_conf_dir: state_dir.join("cni/net.d"),
            cni_bin_dir: PathBuf::from("/usr/lib/cni"),
            sandbox_image: PAUSE_IMAGE.to_string(),
            state_dir,
        }
    }

    /// The gRPC socket (CRI and containerd's own API).
    pub fn socket(&self) -> PathBuf {
        self.state_dir.join("containerd.sock")
    }

    /// The rendered config file.
    pub fn config_file(&self) -> PathBuf {
        self.state_dir.join("config.toml")
    }

    /// containerd's stdout/stderr.
    pub fn log_file(&self) -> PathBuf {
        self.state_dir.join("containerd.log")
    }

    /// The pid of the running containerd (written by `Containerd::start`).
    pub fn pid_file(&self) -> PathBuf {
        self.state_dir.join("containerd.pid")
    }

    /// containerd's persistent root (content store, snapshots, metadata).
    pub fn root_dir(&self) -> PathBuf {
        self.state_dir.join("root")
    }

    /// containerd's volatile state (shim bundles, fifos, network namespaces).
    pub fn run_dir(&self) -> PathBuf {
        self.state_dir.join("state")
    }

    /// runc's state root; runc adds the containerd namespace (`k8s.io`) below it.
    pub fn runc_root(&self) -> PathBuf {
        self.state_dir.join("runc")
    }

    /// Fails when a socket under the state directory would be longer than the kernel allows.
    pub fn check_socket_paths(&self) -> Result<(), RuntimeError> {
        // The ttrpc socket is the longest one containerd makes here.
        let ttrpc = ttrpc_socket(&self.socket());
        let len = ttrpc.as_os_str().len();
        if len > MAX_SOCKET_PATH {
            return Err(RuntimeError::SocketPathTooLong { path: ttrpc, len });
        }
        Ok(())
    }
}

fn ttrpc_socket(grpc: &Path) -> PathBuf {
    let mut s = grpc.as_os_str().to_owned();
    s.push(".ttrpc");
    PathBuf::from(s)
}

/// A TOML basic string holding `s`.
fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn toml_path(p: &Path) -> String {
    toml_str(&p.to_string_lossy())
}

/// The config.toml (version 2, containerd 1.6+) for `cfg`. Pure: the golden test pins it.
///
/// Nothing in it is global to the host: root, state, both sockets, runc's root, `opt` and the
/// CRI network namespaces all live under `state_dir`; metrics and debug endpoints are off; the
/// streaming server binds an ephemeral port on loopback. Cgroups are managed by runc through
/// cgroupfs (no systemd), which works on cgroup v1 and v2. `restrict_oom_score_adj` keeps pods'
/// oom_score_adj at or above containerd's own: lowering it needs CAP_SYS_RESOURCE, which
/// hosts that are themselves containers (and this CI machine) do not grant.
pub fn render_config(cfg: &ContainerdConfig) -> String {
    let cri = "plugins.\"io.containerd.grpc.v1.cri\"";
    let mut t = String::new();
    t.push_str("# Written by kubehci; rewritten on every start.\n");
    t.push_str("version = 2\n");
    t.push_str(&format!("root = {}\n", toml_path(&cfg.root_dir())));
    t.push_str(&format!("state = {}\n", toml_path(&cfg.run_dir())));
    t.push_str("oom_score = 0\n");
    t.push_str(concat!(
        "disabled_plugins = [\"io.containerd.snapshotter.v1.aufs\", ",
        "\"io.containerd.snapshotter.v1.btrfs\", \"io.containerd.snapshotter.v1.devmapper\", ",
        "\"io.containerd.snapshotter.v1.zfs\"]\n\n",
    ));
    t.push_str(&format!(
        "[grpc]\n  address = {}\n  uid = 0\n  gid = 0\n\n",
        toml_path(&cfg.socket())
    ));
    t.push_str(&format!(
        "[ttrpc]\n  address = {}\n\n",
        toml_path(&ttrpc_socket(&cfg.socket()))
    ));
    t.push_str("[debug]\n  address = \"\"\n  level = \"info\"\n\n");
    t.push_str("[metrics]\n  address = \"\"\n\n");
    t.push_str(&format!(
        "[plugins.\"io.containerd.internal.v1.opt\"]\n  path = {}\n\n",
        toml_path(&cfg.state_dir.join("opt"))
    ));
    t.push_str(&format!("[{cri}]\n"));
    t.push_str(&format!(
        "  sandbox_image = {}\n",
        toml_str(&cfg.sandbox_image)
    ));
    t.push_str("  stream_server_address = \"127.0.0.1\"\n");
    t.push_str("  stream_server_port = \"0\"\n");
    t.push_str("  enable_tls_streaming = false\n");
    t.push_str("  enable_selinux = false\n");
    t.push_str("  disable_apparmor = true\n");
    t.push_str("  disable_cgroup = false\n");
    t.push_str("  restrict_oom_score_adj = true\n");
    t.push_str("  netns_mounts_under_state_dir = true\n");
    t.push_str("  max_container_log_line_size = 16384\n\n");
    t.push_str(&format!("[{cri}.containerd]\n"));
    t.push_str("  snapshotter = \"overlayfs\"\n");
    t.push_str("  default_runtime_name = \"runc\"\n\n");
    t.push_str(&format!("[{cri}.containerd.runtimes.runc]\n"));
    t.push_str("  runtime_type = \"io.containerd.runc.v2\"\n\n");
    t.push_str(&format!("[{cri}.containerd.runtimes.runc.options]\n"));
    t.push_str("  SystemdCgroup = false\n");
    t.push_str(&format!("  Root = {}\n\n", toml_path(&cfg.runc_root())));
    t.push_str(&format!("[{cri}.cni]\n"));
    t.push_str(&format!("  bin_dir = {}\n", toml_path(&cfg.cni_bin_dir)));
    t.push_str(&format!("  conf_dir = {}\n", toml_path(&cfg.cni_conf_dir)));
    t.push_str("  max_conf_num = 1\n");
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_config() {
        let mut cfg = ContainerdConfig::new("/run/k/ctd");
        cfg.cni_conf_dir = PathBuf::from("/etc/kubehci/net.d");
        let want = include_str!("testdata/config.golden.toml");
        assert_eq!(render_config(&cfg), want);
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(toml_str("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000A\"");
    }

    #[test]
    fn long_state_dir_is_refused() {
        let long = format!("/tmp/{}", "x".repeat(90));
        let err = ContainerdConfig::new(long)
            .check_socket_paths()
            .unwrap_err();
        assert!(err.to_string().contains("107-byte"), "{err}");
        ContainerdConfig::new("/tmp/short")
            .check_socket_paths()
            .unwrap();
    }
}
