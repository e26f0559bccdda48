//! Processes of a cluster: spawning them with logs and pid files, finding and stopping them.

use std::fs::OpenOptions;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rustix::process::{Pid, Signal, kill_process};

/// Spawns `cmd` with stdin closed and stdout/stderr appended to `log`; writes `pid_file`.
pub fn spawn_logged(mut cmd: Command, log: &Path, pid_file: &Path) -> anyhow::Result<Child> {
    let out = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("cannot open {}", log.display()))?;
    let err = out.try_clone()?;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .with_context(|| format!("cannot start {:?}", cmd.get_program()))?;
    std::fs::write(pid_file, format!("{}\n", child.id()))
        .with_context(|| format!("cannot write {}", pid_file.display()))?;
    Ok(child)
}

/// The pid in `pid_file` when that process is alive and is a kubehci process.
pub fn running_pid(pid_file: &Path) -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(pid_file)
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (is_alive(pid) && is_kubehci(pid)).then_some(pid)
}

/// The process exists and is not a zombie.
pub fn is_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, r)| !r.trim_start().starts_with(['Z', 'X']))
        })
        .unwrap_or(false)
}

fn is_kubehci(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .ok()
        .and_then(|c| {
            c.split(|b| *b == 0)
                .next()
                .map(|a| String::from_utf8_lossy(a).into_owned())
        })
        .is_some_and(|argv0| {
            argv0
                .rsplit('/')
                .next()
                .is_some_and(|n| n.starts_with("kubehci"))
        })
}

pub fn signal(pid: u32, sig: Signal) {
    if let Some(p) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
        let _ = kill_process(p, sig);
    }
}

/// SIGTERM, wait up to `grace`, then SIGKILL; waits until the process is gone.
pub async fn stop_pid(pid: u32, grace: Duration) {
    signal(pid, Signal::TERM);
    let deadline = Instant::now() + grace;
    while is_alive(pid) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if is_alive(pid) {
        tracing::warn!(pid, "did not stop on SIGTERM; killing it");
        signal(pid, Signal::KILL);
        let deadline = Instant::now() + Duration::from_secs(10);
        while is_alive(pid) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Stops a child this process spawned (and reaps it).
pub async fn stop_child(child: &mut Child, grace: Duration) {
    signal(child.id(), Signal::TERM);
    let deadline = Instant::now() + grace;
    loop {
        if !matches!(child.try_wait(), Ok(None)) {
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The error a kubehci process printed last (`Error: ...`), else the last line of its log.
pub fn last_error(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .rev()
        .find_map(|l| l.strip_prefix("Error: "))
        .or_else(|| text.lines().rev().find(|l| !l.trim().is_empty()))
        .unwrap_or("no output")
        .to_string()
}
