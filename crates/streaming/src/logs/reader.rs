//! Copying a CRI log file out as the kubelet does: from the tail start, filtered by time,
//! with optional timestamps, a byte limit, and following the file while the container runs.

use std::future::Future;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use tokio::io::{AsyncBufReadExt, AsyncSeekExt, BufReader};
use tokio::sync::mpsc;

use super::{LogError, LogOptions, format_rfc3339_nano, parse_cri_line};

/// How often a followed file is checked for new lines.
const FOLLOW_POLL: Duration = Duration::from_millis(100);

/// The offset where the last `lines` lines of `file` start (a final line without newline
/// counts as a line).
pub fn tail_start(file: &mut std::fs::File, lines: u64) -> std::io::Result<u64> {
    let len = file.seek(SeekFrom::End(0))?;
    if lines == 0 {
        return Ok(len);
    }
    let mut pos = len;
    let mut found = 0u64;
    let mut block = vec![0u8; 8192];
    // The newline ending the file terminates the last line; it does not start one.
    let mut skip_last = true;
    while pos > 0 {
        let n = block.len().min(usize::try_from(pos).unwrap_or(usize::MAX));
        pos -= n as u64;
        file.seek(SeekFrom::Start(pos))?;
        file.read_exact(&mut block[..n])?;
        for i in (0..n).rev() {
            if skip_last {
                skip_last = false;
                if block[i] == b'\n' {
                    continue;
                }
            }
            if block[i] == b'\n' {
                found += 1;
                if found == lines {
                    return Ok(pos + i as u64 + 1);
                }
            }
        }
    }
    Ok(0)
}

/// What one log file line becomes on the wire, or `None` when filtered out or malformed.
fn render(line: &[u8], opts: &LogOptions) -> Option<Bytes> {
    let msg = match parse_cri_line(line) {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "skipping log line");
            return None;
        }
    };
    if let Some(since) = opts.since
        && msg.timestamp < since
    {
        return None;
    }
    let mut out = BytesMut::with_capacity(msg.content.len() + 40);
    if opts.timestamps {
        out.put_slice(format_rfc3339_nano(&msg.timestamp).as_bytes());
        out.put_u8(b' ');
    }
    out.put_slice(msg.content);
    if !msg.partial {
        out.put_u8(b'\n');
    }
    Some(out.freeze())
}

/// Sends the log at `path` to `out` as `opts` asks. With `follow`, waits for more lines while
/// `running()` says the container runs, and ends once it has exited and the file is read to
/// its end. Returns early (`Ok`) when the receiver is dropped or the byte limit is reached.
pub async fn copy_log<R, RF>(
    path: &Path,
    opts: &LogOptions,
    mut running: R,
    out: mpsc::Sender<Bytes>,
) -> Result<(), LogError>
where
    R: FnMut() -> RF,
    RF: Future<Output = bool>,
{
    let mut std_file = std::fs::File::open(path)?;
    let start = match opts.tail_lines {
        Some(n) => tail_start(&mut std_file, n)?,
        None => 0,
    };
    let mut file = tokio::fs::File::from_std(std_file);
    file.seek(SeekFrom::Start(start)).await?;
    let mut reader = BufReader::new(file);
    let mut follow = opts.follow;
    let mut left = opts.limit_bytes;
    let mut line = Vec::new();
    loop {
        let n = reader.read_until(b'\n', &mut line).await?;
        let complete = line.last() == Some(&b'\n');
        if !complete {
            if follow {
                if out.is_closed() {
                    return Ok(());
                }
                if !running().await {
                    // One more pass reads what the container wrote before it exited.
                    follow = false;
                    continue;
                }
                if n == 0 {
                    tokio::time::sleep(FOLLOW_POLL).await;
                }
                continue;
            }
            if line.is_empty() {
                return Ok(());
            }
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        if let Some(mut chunk) = render(text, opts) {
            if let Some(left) = left.as_mut() {
                let len = chunk.len() as u64;
                if len >= *left {
                    chunk.truncate(usize::try_from(*left).unwrap_or(usize::MAX));
                    let _ = out.send(chunk).await;
                    return Ok(());
                }
                *left -= len;
            }
            if out.send(chunk).await.is_err() {
                return Ok(());
            }
        }
        line.clear();
        if !complete {
            return Ok(());
        }
    }
}
