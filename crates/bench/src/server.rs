//! A `kubehci server` child process in a temporary directory. Dropping the guard kills the
//! process and removes the directory, also when a benchmark phase fails or is interrupted.

use std::fs::File;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

pub struct ServerProcess {
    child: Child,
    pub pid: u32,
    pub addr: String,
    pub data_dir: PathBuf,
    pub log_path: PathBuf,
    pub startup: Duration,
    // Last: removed after the process is gone (fields drop in declaration order, and `Drop`
    // below runs first anyway).
    _tmp: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts `kubehci server` on a free loopback port (the kernel picks it: `:0`) in a fresh
    /// temporary directory and waits (at most `timeout`) for its "listening" line.
    pub fn start(binary: &Path, timeout: Duration) -> anyhow::Result<ServerProcess> {
        Self::start_with(binary, timeout, &[])
    }

    /// [`ServerProcess::start`] with extra `kubehci server` flags.
    pub fn start_with(
        binary: &Path,
        timeout: Duration,
        extra: &[&str],
    ) -> anyhow::Result<ServerProcess> {
        let tmp = tempfile::Builder::new()
            .prefix("kubehci-bench-")
            .tempdir()
            .context("cannot create a temporary directory")?;
        let data_dir = tmp.path().join("data");
        let log_path = tmp.path().join("server.log");
        let log = File::create(&log_path).context("cannot create the server log")?;
        let began = Instant::now();
        let mut child = Command::new(binary)
            .arg("server")
            .arg("--data-dir")
            .arg(&data_dir)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let pid = child.id();
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the server's stdout is not piped");
        };
        // Build the guard now so that every early return below cleans up.
        let mut server = ServerProcess {
            child,
            pid,
            addr: String::new(),
            data_dir,
            log_path,
            startup: Duration::ZERO,
            _tmp: tmp,
        };
        let (tx, rx) = mpsc::channel::<String>();
        // Reads the server's stdout until it closes (the server exits), so the child never
        // blocks on a full pipe.
        std::thread::spawn(move || {
            let prefix = "kubehci API server listening on https://";
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent && let Some(a) = line.strip_prefix(prefix) {
                    let _ = tx.send(a.trim().to_string());
                    sent = true;
                }
            }
        });
        match rx.recv_timeout(timeout) {
            Ok(addr) => {
                server.addr = addr;
                server.startup = began.elapsed();
            }
            Err(e) => {
                let tail = server.log_tail(20);
                bail!("the server did not report its address ({e}); its log ends with:\n{tail}");
            }
        }
        let kubeconfig = server.kubeconfig();
        let deadline = Instant::now() + timeout;
        while !kubeconfig.exists() {
            if Instant::now() > deadline {
                bail!("{} did not appear", kubeconfig.display());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.data_dir.join("admin.kubeconfig")
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// `VmRSS` and `VmHWM` of the server, in KiB.
    pub fn memory_kib(&self) -> anyhow::Result<(u64, u64)> {
        memory_kib(self.pid)
    }

    /// CPU time (user + system) the server has used so far, in seconds.
    pub fn cpu_seconds(&self) -> anyhow::Result<f64> {
        cpu_seconds(self.pid)
    }

    /// Size of the data directory (store files), in bytes.
    pub fn data_bytes(&self) -> u64 {
        fn walk(p: &Path) -> u64 {
            let Ok(rd) = std::fs::read_dir(p) else {
                return 0;
            };
            rd.flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => walk(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        }
        walk(&self.data_dir)
    }

    /// The last `n` lines of the server's stderr log.
    pub fn log_tail(&self, n: usize) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Lines of the server log at WARN or ERROR level (the server runs with RUST_LOG=warn, so
    /// that is every line but continuation lines).
    pub fn log_problems(&self) -> Vec<String> {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        text.lines()
            .filter(|l| l.contains("WARN") || l.contains("ERROR") || l.contains("panicked"))
            .map(str::to_string)
            .collect()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU time (user + system) process `pid` has used so far, in seconds.
pub fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat =
        std::fs::read_to_string(format!("/proc/{pid}/stat")).context("cannot read /proc stat")?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .context("malformed /proc stat")?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| -> anyhow::Result<f64> {
        f.get(i)
            .context("short /proc stat")?
            .parse::<f64>()
            .context("bad /proc stat field")
    };
    // `rest` starts at field 3 (state), so field n is at index n - 3.
    Ok((ticks(11)? + ticks(12)?) / clock_ticks())
}

/// `VmRSS` and `VmHWM` of process `pid`, in KiB.
pub fn memory_kib(pid: u32) -> anyhow::Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("cannot read /proc/{pid}/status"))?;
    let field = |name: &str| -> anyhow::Result<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("no {name} in /proc/{pid}/status"))
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

/// Another `kubehci` child process (controller manager, scheduler, fake nodes), killed on drop.
pub struct Component {
    child: Child,
    pub pid: u32,
    pub name: &'static str,
}

impl Component {
    /// Starts `binary args...` with stderr appended to `log`.
    pub fn start(
        binary: &Path,
        name: &'static str,
        args: &[&std::ffi::OsStr],
        log: &Path,
    ) -> anyhow::Result<Component> {
        let log = File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        let child = Command::new(binary)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        Ok(Component {
            pid: child.id(),
            child,
            name,
        })
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Component {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Clock ticks per second for /proc times (`getconf CLK_TCK`; 100 on Linux in practice).
fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
            .filter(|t| *t > 0.0)
            .unwrap_or(100.0)
    })
}
