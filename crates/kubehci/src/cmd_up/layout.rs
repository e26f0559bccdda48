//! Where `kubehci up` keeps everything of a cluster under its data directory.

use std::path::{Path, PathBuf};

use kubehci_runtime::containerd::ContainerdConfig;

/// The files and directories of one single-host cluster, all under `data_dir`.
#[derive(Debug, Clone)]
pub struct Layout {
    pub data_dir: PathBuf,
}

impl Layout {
    pub fn new(data_dir: &Path) -> Self {
        // Absolute, so that pid files, sockets and kubeconfigs do not depend on the cwd.
        let data_dir = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
        Layout { data_dir }
    }

    /// The API server's data dir (store, pki, component kubeconfigs).
    pub fn control_plane(&self) -> PathBuf {
        self.data_dir.join("control-plane")
    }
    pub fn ca_cert(&self) -> PathBuf {
        self.control_plane().join("pki/ca.crt")
    }
    pub fn ca_key(&self) -> PathBuf {
        self.control_plane().join("pki/ca.key")
    }
    /// The admin kubeconfig the server writes, and the copy users point KUBECONFIG at.
    pub fn server_admin_kubeconfig(&self) -> PathBuf {
        self.control_plane().join("admin.kubeconfig")
    }
    pub fn admin_kubeconfig(&self) -> PathBuf {
        self.data_dir.join("admin.kubeconfig")
    }

    pub fn node(&self) -> PathBuf {
        self.data_dir.join("node")
    }
    pub fn containerd(&self) -> ContainerdConfig {
        ContainerdConfig::new(crate::cmd_image::node_containerd_dir(&self.data_dir))
    }
    pub fn node_root(&self) -> PathBuf {
        self.node().join("agent")
    }
    pub fn node_pki(&self) -> PathBuf {
        self.node().join("pki")
    }
    pub fn node_kubeconfig(&self) -> PathBuf {
        self.node().join("node.kubeconfig")
    }
    pub fn image_cache(&self) -> PathBuf {
        self.data_dir.join("images")
    }

    pub fn run_dir(&self) -> PathBuf {
        self.data_dir.join("run")
    }
    pub fn logs_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }
    pub fn pid_file(&self, component: &str) -> PathBuf {
        self.run_dir().join(format!("{component}.pid"))
    }
    pub fn log_file(&self, component: &str) -> PathBuf {
        self.logs_dir().join(format!("{component}.log"))
    }
    /// One line the supervisor rewrites as it goes: what it is doing, or `failed: ...`.
    pub fn phase_file(&self) -> PathBuf {
        self.run_dir().join("phase")
    }
}
