//! The markdown report: machine description, a table of medians over runs, ratios, findings,
//! and the section it owns in BENCHMARKS.md.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;

use crate::stats::Summary;

/// The markers around the section a benchmark owns in BENCHMARKS.md.
fn markers(section: &str) -> (String, String) {
    (
        format!("<!-- kubehci-bench:{section}:start -->"),
        format!("<!-- kubehci-bench:{section}:end -->"),
    )
}

/// A one-paragraph description of this machine.
pub fn machine() -> String {
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok())
        .map_or("unknown".to_string(), |kib| {
            format!("{:.1} GiB", kib / (1024.0 * 1024.0))
        });
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|r| r.trim_start_matches([' ', '\t', ':']).trim().to_string())
        .unwrap_or_else(|| "unknown CPU".to_string());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".to_string());
    let tmp = std::env::temp_dir();
    let fs = std::process::Command::new("stat")
        .args(["-f", "-c", "%T"])
        .arg(&tmp)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    format!(
        "{nproc} CPUs ({cpu}), {mem_gib} RAM, Linux {kernel}; server data in {} ({fs} file system)",
        tmp.display()
    )
}

/// The command line as invoked, quoted for a POSIX shell where needed.
pub fn command_line() -> String {
    std::env::args()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@".contains(c))
            {
                a
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `git rev-parse --short HEAD` of the current directory, if it is a checkout.
pub fn git_revision() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

/// What a benchmark says about its own run; [`publish`] adds the rest.
pub struct About {
    /// Section heading, e.g. "API server (`kubehci-bench apiserver`)".
    pub title: String,
    /// What the processes under test are (the line after "- server: ").
    pub subject: String,
    /// Further bullet lines: how clients measure, what latency means, reference points.
    pub notes: Vec<String>,
    pub plan: String,
}

/// Renders the report of `runs` (medians over them), prints it, and replaces `section` of
/// `write` with it when a run succeeded; fails when none did.
pub fn publish(
    section: &str,
    about: About,
    binary: &Path,
    runs: &[crate::stats::Metrics],
    runs_total: usize,
    findings: &[String],
    write: Option<&Path>,
) -> anyhow::Result<()> {
    let ctx = Context {
        title: about.title,
        subject: about.subject,
        notes: about.notes,
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        machine: machine(),
        command: command_line(),
        binary: binary.display().to_string(),
        revision: git_revision(),
        runs_ok: runs.len(),
        runs_total,
        plan: about.plan,
    };
    let body = render(&ctx, &crate::stats::summarise(runs), findings);
    println!("{body}");
    match write {
        Some(path) if runs.is_empty() => {
            eprintln!(
                "kubehci-bench: no run succeeded; not writing {}",
                path.display()
            );
        }
        Some(path) => {
            write_section(path, section, &body)?;
            eprintln!("kubehci-bench: wrote {}", path.display());
        }
        None => {}
    }
    anyhow::ensure!(!runs.is_empty(), "no run succeeded");
    Ok(())
}

struct Context {
    /// Section heading, e.g. "API server (`kubehci-bench apiserver`)".
    pub title: String,
    /// What the processes under test are (the line after "- server: ").
    pub subject: String,
    /// Further bullet lines: how clients measure, what latency means, reference points.
    pub notes: Vec<String>,
    pub date: String,
    pub machine: String,
    pub command: String,
    pub binary: String,
    pub revision: Option<String>,
    pub runs_ok: usize,
    pub runs_total: usize,
    pub plan: String,
}

/// The markdown body (without section markers).
fn render(ctx: &Context, summary: &[Summary], findings: &[String]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## {}\n", ctx.title);
    let _ = writeln!(s, "- date: {}", ctx.date);
    let _ = writeln!(s, "- machine: {}", ctx.machine);
    let _ = writeln!(s, "- command: `{}`", ctx.command);
    let _ = writeln!(
        s,
        "- server: `{}`{} (built from that checkout's working tree), {}",
        ctx.binary,
        ctx.revision
            .as_ref()
            .map(|r| format!(" at `{r}`"))
            .unwrap_or_default(),
        ctx.subject
    );
    let _ = writeln!(s, "- plan: {}", ctx.plan);
    let _ = writeln!(
        s,
        "- runs: {} of {} succeeded; each run starts fresh processes in a new temporary \
         directory. The table gives the median over runs and the range (min-max).",
        ctx.runs_ok, ctx.runs_total
    );
    for n in &ctx.notes {
        let _ = writeln!(s, "- {n}");
    }
    // One table per group, groups in the order they first appear.
    let mut groups: Vec<&str> = Vec::new();
    for m in summary {
        if !groups.contains(&m.group) {
            groups.push(m.group);
        }
    }
    for group in groups {
        let _ = writeln!(
            s,
            "\n| {group} | median | min | max | unit |\n|---|---:|---:|---:|---|"
        );
        for m in summary.iter().filter(|m| m.group == group) {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                m.name,
                m.unit.format(m.median),
                m.unit.format(m.min),
                m.unit.format(m.max),
                m.unit.label()
            );
        }
    }
    if !findings.is_empty() {
        let _ = writeln!(s, "\n### Findings\n");
        for f in findings {
            let _ = writeln!(s, "- {}", f.replace('\n', "\n  "));
        }
    }
    s
}

/// Replaces the benchmark's `section` of `path` (between its markers) or appends it; creates
/// the file with a short header when it does not exist.
pub fn write_section(path: &Path, section_name: &str, body: &str) -> anyhow::Result<()> {
    let (start, end) = markers(section_name);
    let section = format!("{start}\n{}\n{end}\n", body.trim_end());
    let current = match std::fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::from(
            "# Benchmarks\n\n\
             Measured numbers, produced by `crates/bench` (`kubehci-bench`). Each section \
             is rewritten by the command it names; nothing here is estimated or copied \
             from elsewhere. Build first with \
             `cargo build --release -p kubehci -p kubehci-bench`.\n\n",
        ),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let updated = match (current.find(&start), current.find(&end)) {
        (Some(a), Some(b)) if a < b => {
            let after = &current[b + end.len()..];
            let after = after.strip_prefix('\n').unwrap_or(after);
            format!("{}{section}{after}", &current[..a])
        }
        _ => {
            let sep = if current.is_empty() || current.ends_with("\n\n") {
                ""
            } else if current.ends_with('\n') {
                "\n"
            } else {
                "\n\n"
            };
            format!("{current}{sep}{section}")
        }
    };
    std::fs::write(path, updated).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_is_replaced_in_place() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let p = dir.path().join("B.md");
        std::fs::write(&p, "# B\n\nintro\n").unwrap_or_else(|e| panic!("{e}"));
        write_section(&p, "x", "one").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            &p,
            std::fs::read_to_string(&p).unwrap_or_default() + "\n## other\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        write_section(&p, "x", "two").unwrap_or_else(|e| panic!("{e}"));
        let s = std::fs::read_to_string(&p).unwrap_or_default();
        let (start, end) = markers("x");
        assert_eq!(
            s,
            format!("# B\n\nintro\n\n{start}\ntwo\n{end}\n\n## other\n")
        );
    }
}
