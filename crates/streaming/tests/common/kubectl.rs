//! Running the real kubectl against a kubeconfig.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use tokio::io::AsyncWriteExt as _;

pub const KUBECTL: &str = "/usr/lib/google-cloud-sdk/bin/kubectl.1.33";
pub const KUBECTL_OLD: &str = "/usr/lib/google-cloud-sdk/bin/kubectl.1.27";

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub async fn kubectl_with(bin: &str, kc: &Path, args: &[&str], stdin: Option<&str>) -> Result<Out> {
    let mut cmd = tokio::process::Command::new(bin);
    cmd.arg("--kubeconfig")
        .arg(kc)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn()?;
    if let Some(input) = stdin {
        let mut w = child.stdin.take().context("stdin")?;
        w.write_all(input.as_bytes()).await?;
        drop(w);
    }
    let out = tokio::time::timeout(Duration::from_secs(90), child.wait_with_output())
        .await
        .with_context(|| format!("kubectl {args:?} did not finish"))??;
    Ok(Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

pub async fn kubectl(kc: &Path, args: &[&str]) -> Result<Out> {
    kubectl_with(KUBECTL, kc, args, None).await
}

pub async fn ok(kc: &Path, args: &[&str]) -> Result<String> {
    let o = kubectl(kc, args).await?;
    ensure!(
        o.code == 0,
        "kubectl {args:?} failed ({}): {}",
        o.code,
        o.stderr
    );
    Ok(o.stdout)
}
