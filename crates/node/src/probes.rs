//! Liveness, readiness and startup probes (exec through CRI ExecSync, httpGet from the node
//! into the pod, tcpSocket) with upstream's thresholds, delays and messages. The handlers are
//! shared with lifecycle hooks.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use k8s_openapi::api::core::v1::{Container, ExecAction, HTTPGetAction, Probe, TCPSocketAction};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kubehci_runtime::cri::{Cri, api};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Liveness,
    Readiness,
    Startup,
}

impl Kind {
    pub fn title(self) -> &'static str {
        match self {
            Kind::Liveness => "Liveness",
            Kind::Readiness => "Readiness",
            Kind::Startup => "Startup",
        }
    }
    pub fn lower(self) -> &'static str {
        match self {
            Kind::Liveness => "liveness",
            Kind::Readiness => "readiness",
            Kind::Startup => "startup",
        }
    }
}

/// Outcome of one handler run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure(String),
}

fn resolve_port(c: &Container, port: &IntOrString) -> Result<u16, String> {
    match port {
        IntOrString::Int(p) => u16::try_from(*p).map_err(|_| format!("invalid port number: {p}")),
        IntOrString::String(name) => {
            if let Ok(p) = name.parse::<u16>() {
                return Ok(p);
            }
            c.ports
                .iter()
                .flatten()
                .find(|p| p.name.as_deref() == Some(name.as_str()))
                .and_then(|p| u16::try_from(p.container_port).ok())
                .ok_or_else(|| format!("couldn't find port: {name} in {}", c.name))
        }
    }
}

/// Runs an exec action in the container through CRI.
pub async fn exec(
    cri: &Cri,
    container_id: &str,
    action: &ExecAction,
    timeout: Duration,
) -> Outcome {
    let cmd = action.command.clone().unwrap_or_default();
    let mut rt = cri.runtime.clone();
    let req = api::ExecSyncRequest {
        container_id: container_id.into(),
        cmd: cmd.clone(),
        timeout: timeout.as_secs().max(1) as i64,
    };
    match tokio::time::timeout(timeout + Duration::from_secs(2), rt.exec_sync(req)).await {
        Ok(Ok(r)) => {
            let r = r.into_inner();
            if r.exit_code == 0 {
                Outcome::Success
            } else {
                let mut out = String::from_utf8_lossy(&r.stdout).into_owned();
                out.push_str(&String::from_utf8_lossy(&r.stderr));
                Outcome::Failure(out)
            }
        }
        Ok(Err(e))
            if e.message().contains("timeout") || e.code() == tonic::Code::DeadlineExceeded =>
        {
            Outcome::Failure(format!("command {:?} timed out", cmd.join(" ")))
        }
        Ok(Err(e)) => Outcome::Failure(crate::images::grpc_text(&e)),
        Err(_) => Outcome::Failure(format!("command {:?} timed out", cmd.join(" "))),
    }
}

/// An HTTP GET from the node: success for 2xx and 3xx.
pub async fn http_get(
    c: &Container,
    pod_ip: &str,
    action: &HTTPGetAction,
    timeout: Duration,
) -> Outcome {
    let port = match resolve_port(c, &action.port) {
        Ok(p) => p,
        Err(e) => return Outcome::Failure(e),
    };
    let host = action
        .host
        .clone()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| pod_ip.to_string());
    let path = action
        .path
        .clone()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "/".into());
    let scheme = action
        .scheme
        .clone()
        .unwrap_or_else(|| "HTTP".into())
        .to_lowercase();
    let hostport = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let url = format!("{scheme}://{hostport}{path}");
    if scheme == "https" {
        // No TLS client here: a TCP connect stands in for HTTPS probes.
        return match tcp_connect(&hostport, timeout).await {
            Ok(()) => Outcome::Success,
            Err(e) => Outcome::Failure(format!("Get {url:?}: {e}")),
        };
    }
    let fut = async {
        let mut s = tokio::net::TcpStream::connect(&hostport)
            .await
            .map_err(|e| {
                format!(
                    "Get {url:?}: dial tcp {hostport}: connect: {}",
                    errno_text(&e)
                )
            })?;
        let mut req = format!(
            "GET {path} HTTP/1.1\r\nHost: {hostport}\r\nUser-Agent: kube-probe/1.33\r\nAccept: */*\r\nConnection: close\r\n"
        );
        for h in action.http_headers.iter().flatten() {
            req.push_str(&format!("{}: {}\r\n", h.name, h.value));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes())
            .await
            .map_err(|e| format!("Get {url:?}: {e}"))?;
        let mut buf = vec![0u8; 1024];
        let mut got = 0;
        while got < 16 {
            let n = s
                .read(&mut buf[got..])
                .await
                .map_err(|e| format!("Get {url:?}: {e}"))?;
            if n == 0 {
                break;
            }
            got += n;
        }
        let head = String::from_utf8_lossy(&buf[..got]).into_owned();
        let code: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| format!("Get {url:?}: malformed HTTP response"))?;
        Ok::<u16, String>(code)
    };
    match tokio::time::timeout(timeout, fut).await {
        Ok(Ok(code)) if (200..400).contains(&code) => Outcome::Success,
        Ok(Ok(code)) => Outcome::Failure(format!("HTTP probe failed with statuscode: {code}")),
        Ok(Err(e)) => Outcome::Failure(e),
        Err(_) => Outcome::Failure(format!(
            "Get {url:?}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
        )),
    }
}

fn errno_text(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
        _ => e.to_string(),
    }
}

async fn tcp_connect(hostport: &str, timeout: Duration) -> Result<(), String> {
    match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(hostport)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("dial tcp {hostport}: connect: {}", errno_text(&e))),
        Err(_) => Err(format!("dial tcp {hostport}: i/o timeout")),
    }
}

pub async fn tcp(
    c: &Container,
    pod_ip: &str,
    action: &TCPSocketAction,
    timeout: Duration,
) -> Outcome {
    let port = match resolve_port(c, &action.port) {
        Ok(p) => p,
        Err(e) => return Outcome::Failure(e),
    };
    let host = action
        .host
        .clone()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| pod_ip.to_string());
    let hostport = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    match tcp_connect(&hostport, timeout).await {
        Ok(()) => Outcome::Success,
        Err(e) => Outcome::Failure(e),
    }
}

/// Runs one probe's handler.
pub async fn run(cri: &Cri, c: &Container, container_id: &str, pod_ip: &str, p: &Probe) -> Outcome {
    let timeout = Duration::from_secs(p.timeout_seconds.unwrap_or(1).max(1) as u64);
    if let Some(e) = &p.exec {
        exec(cri, container_id, e, timeout).await
    } else if let Some(h) = &p.http_get {
        http_get(c, pod_ip, h, timeout).await
    } else if let Some(t) = &p.tcp_socket {
        tcp(c, pod_ip, t, timeout).await
    } else if let Some(g) = &p.grpc {
        // No gRPC health client: a TCP connect to the port stands in.
        let a = TCPSocketAction {
            host: None,
            port: IntOrString::Int(g.port),
        };
        tcp(c, pod_ip, &a, timeout).await
    } else {
        Outcome::Failure("missing probe handler".into())
    }
}

/// Threshold state of one probe of one container instance.
#[derive(Debug, Clone)]
pub struct ProbeState {
    pub last_run: Option<Instant>,
    pub successes: i32,
    pub failures: i32,
    /// The current result: `None` until the thresholds decide.
    pub result: Option<bool>,
}

/// All probe states of a pod, keyed by (container id, kind).
#[derive(Debug, Default)]
pub struct Probes {
    pub states: HashMap<(String, Kind), ProbeState>,
}

/// What a probe round decided for one container.
#[derive(Debug, Default)]
pub struct Round {
    /// (kind, failure message) for every failed run, for Unhealthy events.
    pub failed: Vec<(Kind, String)>,
    /// The liveness or startup probe crossed its failure threshold.
    pub kill: Option<Kind>,
}

fn started_secs_ago(started_at_ns: i64) -> f64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as i64;
    (now - started_at_ns) as f64 / 1e9
}

impl Probes {
    /// The result of `kind` for a container (None: not decided).
    pub fn result(&self, id: &str, kind: Kind) -> Option<bool> {
        self.states
            .get(&(id.to_string(), kind))
            .and_then(|s| s.result)
    }

    /// Forgets containers that are gone.
    pub fn retain(&mut self, live: &[String]) {
        self.states.retain(|(id, _), _| live.contains(id));
    }

    /// Runs the probes that are due for a running container.
    pub async fn round(
        &mut self,
        cri: &Cri,
        c: &Container,
        id: &str,
        started_at_ns: i64,
        pod_ip: &str,
    ) -> Round {
        let mut out = Round::default();
        let startup_done =
            c.startup_probe.is_none() || self.result(id, Kind::Startup) == Some(true);
        let mut kinds = Vec::new();
        if !startup_done {
            kinds.push((Kind::Startup, c.startup_probe.clone()));
        } else {
            kinds.push((Kind::Liveness, c.liveness_probe.clone()));
            kinds.push((Kind::Readiness, c.readiness_probe.clone()));
        }
        for (kind, probe) in kinds {
            let Some(p) = probe else { continue };
            let key = (id.to_string(), kind);
            let st = self.states.entry(key).or_insert(ProbeState {
                last_run: None,
                successes: 0,
                failures: 0,
                result: match kind {
                    Kind::Liveness => Some(true),
                    _ => None,
                },
            });
            if started_secs_ago(started_at_ns) < p.initial_delay_seconds.unwrap_or(0) as f64 {
                continue;
            }
            let period = Duration::from_secs(p.period_seconds.unwrap_or(10).max(1) as u64);
            if st.last_run.is_some_and(|t| t.elapsed() < period) {
                continue;
            }
            st.last_run = Some(Instant::now());
            let outcome = run(cri, c, id, pod_ip, &p).await;
            match outcome {
                Outcome::Success => {
                    st.failures = 0;
                    st.successes += 1;
                    if st.successes >= p.success_threshold.unwrap_or(1).max(1) {
                        st.result = Some(true);
                    }
                }
                Outcome::Failure(msg) => {
                    st.successes = 0;
                    st.failures += 1;
                    out.failed.push((kind, msg));
                    if st.failures >= p.failure_threshold.unwrap_or(3).max(1) {
                        st.result = Some(false);
                        if matches!(kind, Kind::Liveness | Kind::Startup) {
                            out.kill = Some(kind);
                        }
                    }
                }
            }
        }
        out
    }
}
