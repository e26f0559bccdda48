//! Running one containerd per node: start it with our own config, wait for CRI, and tear it
//! down so that nothing it made survives (sandboxes, shims, mounts, cgroups).

mod cleanup;
mod config;
mod teardown;

use std::fs::OpenOptions;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};

pub use config::{ContainerdConfig, MAX_SOCKET_PATH, render_config};

use crate::RuntimeError;
use crate::cri::api::VersionRequest;

/// The containerd binary Debian installs.
pub const CONTAINERD_BIN: &str = "/usr/bin/containerd";

/// How long `start` waits for CRI to answer.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A containerd this process started (or adopted). Tear it down with [`Containerd::teardown`];
/// dropping one this process started without that still kills it and cleans up, synchronously
/// and best-effort. Dropping an adopted one leaves it running.
pub struct Containerd {
    cfg: ContainerdConfig,
    socket: PathBuf,
    pid: u32,
    child: Option<Child>,
    torn_down: bool,
}

impl std::fmt::Debug for Containerd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Containerd")
            .field("state_dir", &self.cfg.state_dir)
            .field("pid", &self.pid)
            .finish()
    }
}

impl Containerd {
    /// Renders `state_dir/config.toml`, spawns containerd (logging to `state_dir/containerd.log`)
    /// and waits until its CRI service answers `Version`.
    pub async fn start(cfg: ContainerdConfig) -> Result<Containerd, RuntimeError> {
        cfg.check_socket_paths()?;
        for dir in [
            &cfg.state_dir,
            &cfg.cni_conf_dir,
            &cfg.root_dir(),
            &cfg.run_dir(),
        ] {
            std::fs::create_dir_all(dir)
                .map_err(RuntimeError::io("cannot create", dir.as_path()))?;
        }
        let socket = cfg.socket();
        if let Ok(old) = Containerd::adopt(cfg.clone()) {
            return Err(RuntimeError::Start {
                reason: format!(
                    "a containerd (pid {}) already runs for {}",
                    old.pid,
                    cfg.state_dir.display()
                ),
                log: cfg.log_file(),
            });
        }
        let _ = std::fs::remove_file(&socket);
        let config_file = cfg.config_file();
        std::fs::write(&config_file, render_config(&cfg))
            .map_err(RuntimeError::io("cannot write", &config_file))?;
        let log_path = cfg.log_file();
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(RuntimeError::io("cannot open", &log_path))?;
        let log2 = log
            .try_clone()
            .map_err(RuntimeError::io("cannot open", &log_path))?;
        let child = Command::new(CONTAINERD_BIN)
            .arg("--config")
            .arg(&config_file)
            .env("PATH", search_path())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .process_group(0)
            .spawn()
            .map_err(|source| RuntimeError::MissingProgram {
                program: CONTAINERD_BIN.to_string(),
                package: "containerd",
                source,
            })?;
        let pid = child.id();
        let pid_file = cfg.pid_file();
        let mut me = Containerd {
            cfg,
            socket,
            pid,
            child: Some(child),
            torn_down: false,
        };
        std::fs::write(&pid_file, format!("{pid}\n"))
            .map_err(RuntimeError::io("cannot write", &pid_file))?;
        tracing::debug!(pid, socket = %me.socket.display(), "containerd started");
        me.wait_ready().await?;
        Ok(me)
    }

    /// Connects to a containerd that `start` launched earlier (possibly from another process),
    /// found through `state_dir/containerd.pid`.
    pub fn adopt(cfg: ContainerdConfig) -> Result<Containerd, RuntimeError> {
        let pid_file = cfg.pid_file();
        let pid = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
            .filter(|pid| cleanup::is_containerd_for(*pid, &cfg.config_file()))
            .ok_or_else(|| RuntimeError::NotRunning(cfg.state_dir.clone()))?;
        Ok(Containerd {
            socket: cfg.socket(),
            cfg,
            pid,
            child: None,
            torn_down: false,
        })
    }

    /// The gRPC (and CRI) socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// containerd's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &ContainerdConfig {
        &self.cfg
    }

    async fn wait_ready(&mut self) -> Result<(), RuntimeError> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(self.start_error(format!("containerd exited ({status})")));
            }
            if self.socket.exists()
                && let Ok(mut cri) = crate::cri::connect(&self.socket).await
            {
                match cri.runtime.version(VersionRequest::default()).await {
                    Ok(_) => return Ok(()),
                    // containerd answers but its CRI plugin did not load: waiting will not help.
                    Err(s) if s.code() == tonic::Code::Unimplemented => {
                        return Err(
                            self.start_error("containerd's CRI plugin did not load".to_string())
                        );
                    }
                    Err(_) => {}
                }
            }
            if Instant::now() > deadline {
                return Err(
                    self.start_error(format!("CRI did not answer within {START_TIMEOUT:?}"))
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn start_error(&self, reason: String) -> RuntimeError {
        let log = self.cfg.log_file();
        let tail = std::fs::read_to_string(&log)
            .map(|s| {
                s.lines()
                    .rev()
                    .take(8)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default();
        RuntimeError::Start {
            reason: format!("{reason}\n{tail}"),
            log,
        }
    }

    /// Stops and removes every pod sandbox through CRI (so no shim, container, network
    /// namespace or mount survives), stops containerd, unmounts anything left under the state
    /// directory and removes the pods' cgroups.
    pub async fn teardown(mut self) -> Result<(), RuntimeError> {
        self.torn_down = true;
        let child = self.child.take();
        teardown::teardown(&self.cfg, self.pid, child).await
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        if self.torn_down || self.child.is_none() {
            return;
        }
        let cfg = self.cfg.clone();
        let pid = self.pid;
        let child = self.child.take();
        // CRI calls are async: run them on a runtime of their own, on a thread of their own, so
        // this works inside and outside a tokio runtime (and while a test panics).
        let worker = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            match rt {
                Ok(rt) => rt.block_on(async move {
                    tokio::time::timeout(
                        Duration::from_secs(60),
                        teardown::teardown(&cfg, pid, child),
                    )
                    .await
                }),
                Err(e) => Ok(Err(RuntimeError::Teardown(format!(
                    "no runtime for teardown: {e}"
                )))),
            }
        });
        let outcome = worker.join();
        if !matches!(outcome, Ok(Ok(Ok(())))) {
            tracing::warn!(
                pid = self.pid,
                "containerd teardown on drop incomplete; killing what is left"
            );
            let _ = kill_process_pid(self.pid, Signal::KILL);
            cleanup::sweep(&self.cfg, &teardown::Leftovers::default());
        }
    }
}

fn kill_process_pid(pid: u32, sig: Signal) -> Result<(), rustix::io::Errno> {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(Pid::from_raw)
        .ok_or(rustix::io::Errno::SRCH)?;
    kill_process(pid, sig)
}

/// PATH for containerd: it finds containerd-shim-runc-v2 and runc through it.
fn search_path() -> String {
    let mut path = std::env::var("PATH").unwrap_or_default();
    for dir in [
        "/usr/local/sbin",
        "/usr/local/bin",
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
    ] {
        if !path.split(':').any(|p| p == dir) {
            if !path.is_empty() {
                path.push(':');
            }
            path.push_str(dir);
        }
    }
    path
}
