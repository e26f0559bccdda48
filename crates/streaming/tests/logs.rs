//! Copying CRI log files with kubectl's options, including following a file being written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use kubehci_streaming::logs::{LogOptions, copy_log, tail_start};
use tokio::sync::mpsc;

const LOG: &str = "\
2024-01-01T00:00:01.100000000Z stdout F one
2024-01-01T00:00:02.000000000Z stderr F two
2024-01-01T00:00:03.123456789Z stdout P thr
2024-01-01T00:00:03.200000000Z stdout F ee
garbage line
2024-01-01T00:00:04Z stdout F four
";

async fn run(path: &Path, opts: LogOptions) -> String {
    let (tx, mut rx) = mpsc::channel::<Bytes>(64);
    let path = path.to_path_buf();
    let task = tokio::spawn(async move { copy_log(&path, &opts, || async { false }, tx).await });
    let mut out = Vec::new();
    while let Some(b) = rx.recv().await {
        out.extend_from_slice(&b);
    }
    task.await.unwrap().unwrap();
    String::from_utf8(out).unwrap()
}

fn write_log(content: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(content.as_bytes()).unwrap();
    f
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn joins_partial_lines_and_skips_garbage() {
    let f = write_log(LOG);
    assert_eq!(
        run(f.path(), LogOptions::default()).await,
        "one\ntwo\nthree\nfour\n"
    );
}

#[tokio::test]
async fn timestamps_prefix_every_message() {
    let f = write_log(LOG);
    let opts = LogOptions {
        timestamps: true,
        ..Default::default()
    };
    assert_eq!(
        run(f.path(), opts).await,
        "2024-01-01T00:00:01.1Z one\n2024-01-01T00:00:02Z two\n\
         2024-01-01T00:00:03.123456789Z thr2024-01-01T00:00:03.2Z ee\n\
         2024-01-01T00:00:04Z four\n"
    );
}

#[tokio::test]
async fn tail_counts_file_lines() {
    let f = write_log(LOG);
    let tail = |n| LogOptions {
        tail_lines: Some(n),
        ..Default::default()
    };
    assert_eq!(run(f.path(), tail(1)).await, "four\n");
    assert_eq!(run(f.path(), tail(0)).await, "");
    assert_eq!(run(f.path(), tail(3)).await, "ee\nfour\n");
    assert_eq!(run(f.path(), tail(100)).await, "one\ntwo\nthree\nfour\n");
    let mut file = std::fs::File::open(f.path()).unwrap();
    assert_eq!(tail_start(&mut file, 6).unwrap(), 0);
    // Without a final newline the last line still counts.
    let g = write_log("2024-01-01T00:00:01Z stdout F a\n2024-01-01T00:00:02Z stdout F b");
    assert_eq!(run(g.path(), tail(1)).await, "b\n");
}

#[tokio::test]
async fn tail_works_across_blocks() {
    let mut content = String::new();
    for i in 0..5000 {
        content.push_str(&format!("2024-01-01T00:00:01Z stdout F line {i}\n"));
    }
    let f = write_log(&content);
    let opts = LogOptions {
        tail_lines: Some(2500),
        ..Default::default()
    };
    let out = run(f.path(), opts).await;
    assert_eq!(out.lines().count(), 2500);
    assert!(out.starts_with("line 2500\n"));
    assert!(out.ends_with("line 4999\n"));
}

#[tokio::test]
async fn since_drops_older_messages() {
    let f = write_log(LOG);
    let opts = LogOptions {
        since: Some(at("2024-01-01T00:00:02Z")),
        ..Default::default()
    };
    assert_eq!(run(f.path(), opts).await, "two\nthree\nfour\n");
}

#[tokio::test]
async fn limit_bytes_cuts_mid_line() {
    let f = write_log(LOG);
    let opts = LogOptions {
        limit_bytes: Some(6),
        ..Default::default()
    };
    assert_eq!(run(f.path(), opts).await, "one\ntw");
    let opts = LogOptions {
        limit_bytes: Some(8),
        ..Default::default()
    };
    assert_eq!(run(f.path(), opts).await, "one\ntwo\n");
}

#[tokio::test]
async fn follow_streams_appended_lines_until_the_container_exits() {
    let f = write_log("2024-01-01T00:00:01Z stdout F first\n");
    let path = f.path().to_path_buf();
    let running = Arc::new(AtomicBool::new(true));
    let (tx, mut rx) = mpsc::channel::<Bytes>(64);
    let opts = LogOptions {
        follow: true,
        ..Default::default()
    };
    let r = running.clone();
    let task = tokio::spawn(async move {
        let r = r.clone();
        copy_log(
            &path,
            &opts,
            move || {
                let r = r.clone();
                async move { r.load(Ordering::SeqCst) }
            },
            tx,
        )
        .await
    });
    assert_eq!(rx.recv().await.unwrap(), "first\n");
    let mut w = std::fs::OpenOptions::new()
        .append(true)
        .open(f.path())
        .unwrap();
    // A line written in two pieces is only sent once complete.
    w.write_all(b"2024-01-01T00:00:02Z stdout F sec").unwrap();
    w.flush().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    w.write_all(b"ond\n").unwrap();
    assert_eq!(rx.recv().await.unwrap(), "second\n");
    // The container writes its last line and exits: the follow ends after that line.
    w.write_all(b"2024-01-01T00:00:03Z stdout F last\n")
        .unwrap();
    running.store(false, Ordering::SeqCst);
    let mut rest = Vec::new();
    while let Some(b) = rx.recv().await {
        rest.extend_from_slice(&b);
    }
    assert_eq!(rest, b"last\n");
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn follow_ends_when_the_reader_goes_away() {
    let f = write_log("2024-01-01T00:00:01Z stdout F first\n");
    let (tx, mut rx) = mpsc::channel::<Bytes>(1);
    let opts = LogOptions {
        follow: true,
        ..Default::default()
    };
    let path = f.path().to_path_buf();
    let task = tokio::spawn(async move { copy_log(&path, &opts, || async { true }, tx).await });
    assert_eq!(rx.recv().await.unwrap(), "first\n");
    drop(rx);
    task.await.unwrap().unwrap();
}
