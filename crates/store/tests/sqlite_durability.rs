//! SQLite-only guarantees: state survives a reopen, and every acknowledged write survives
//! `kill -9` of the writing process.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use kubehci_store::{Backend, Event, SqliteBackend};

/// Set in the child process: the database it writes to.
const CHILD_ENV: &str = "KUBEHCI_STORE_CRASH_CHILD_DB";
const CRASH_TEST: &str = "kill_dash_nine_keeps_acknowledged_writes";
const WRITER_TASKS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopen_restores_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    {
        let store = SqliteBackend::open(&path).unwrap();
        for i in 0..5 {
            store
                .create(&format!("/r/{i}"), i.to_string().into_bytes())
                .await
                .unwrap();
        }
        store.update("/r/0", b"zero".to_vec(), 1).await.unwrap(); // 6
        store.delete("/r/4", None).await.unwrap(); // 7
        store.compact(6).await.unwrap();
        store.update("/r/1", b"one".to_vec(), 2).await.unwrap(); // 8
    }
    let store = SqliteBackend::open(&path).unwrap();
    assert_eq!(store.path(), path);
    assert_eq!(store.current_revision().await.unwrap(), 8);
    assert_eq!(store.compacted_revision().await.unwrap(), 6);
    let list = store.list("/r/", None, None, None).await.unwrap();
    let values: Vec<_> = list
        .items
        .iter()
        .map(|kv| (kv.key.as_str(), kv.value.as_slice()))
        .collect();
    assert_eq!(
        values,
        [
            ("/r/0", b"zero".as_slice()),
            ("/r/1", b"one".as_slice()),
            ("/r/2", b"2".as_slice()),
            ("/r/3", b"3".as_slice())
        ]
    );
    assert_eq!(
        store.get("/r/4", Some(6)).await.unwrap().unwrap().value,
        b"4"
    );
    assert_eq!(
        store.get("/r/1", Some(7)).await.unwrap().unwrap().value,
        b"1"
    );
    assert!(store.get("/r/1", Some(5)).await.is_err());
    let mut stream = store.watch("/r/", 6).await.unwrap();
    let first = stream.next().await.unwrap().unwrap();
    assert!(matches!(first, Event::Delete { revision: 7, .. }));
    assert_eq!(stream.next().await.unwrap().unwrap().revision(), 8);
    assert_eq!(store.create("/r/new", vec![]).await.unwrap(), 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_writer_on_the_same_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let first = SqliteBackend::open(&path).unwrap();
    let second = SqliteBackend::open(&path).unwrap();
    assert_eq!(first.create("/a", vec![]).await.unwrap(), 1);
    assert!(matches!(
        second.create("/b", vec![]).await,
        Err(kubehci_store::StoreError::Io(_))
    ));
    assert_eq!(first.create("/c", vec![]).await.unwrap(), 2);
}

/// Kills the child on drop, so a failed assertion never leaves it running.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One acknowledged write, as printed by the child: `ACK <key> <revision> <value>`.
#[derive(Debug)]
struct Ack {
    key: String,
    revision: i64,
    value: String,
}

fn parse_ack(line: &str) -> Option<Ack> {
    let mut parts = line.strip_prefix("ACK ")?.split(' ');
    Some(Ack {
        key: parts.next()?.to_owned(),
        revision: parts.next()?.parse().ok()?,
        value: parts.next()?.to_owned(),
    })
}

#[test]
fn kill_dash_nine_keeps_acknowledged_writes() {
    if let Ok(db) = std::env::var(CHILD_ENV) {
        run_child_writer(Path::new(&db));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", CRASH_TEST, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &db)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut child = ChildGuard(child);
    let stdout = child.0.stdout.take().unwrap();
    let (lines_tx, lines) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });

    // Let the child get well into its writes, then kill it mid-stream.
    let mut acks = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while acks.len() < 1500 {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines
            .recv_timeout(left)
            .expect("child stopped acknowledging writes");
        acks.extend(parse_ack(&line));
    }
    child.0.kill().unwrap(); // SIGKILL
    child.0.wait().unwrap();
    reader.join().unwrap();
    // Lines already printed before the kill are acknowledgements too.
    acks.extend(lines.try_iter().filter_map(|line| parse_ack(&line)));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = Arc::new(SqliteBackend::open(&db).unwrap());
        let current = store.current_revision().await.unwrap();
        let max_acked = acks.iter().map(|a| a.revision).max().unwrap();
        assert!(
            current >= max_acked,
            "revision {current} < acknowledged {max_acked}"
        );
        let mut counters: BTreeMap<String, i64> = BTreeMap::new();
        for ack in &acks {
            let kv = store.get(&ack.key, None).await.unwrap();
            let kv = kv.unwrap_or_else(|| panic!("acknowledged {ack:?} is missing"));
            if ack.key.contains("/counter/") {
                // Later (unacknowledged) updates may have landed too.
                assert!(kv.mod_revision >= ack.revision, "{ack:?} lost: {kv:?}");
                let best = counters.entry(ack.key.clone()).or_default();
                *best = (*best).max(ack.revision);
            } else {
                assert_eq!(kv.mod_revision, ack.revision, "{ack:?}");
                assert_eq!(kv.value, ack.value.as_bytes(), "{ack:?}");
            }
        }
        assert_eq!(counters.len(), WRITER_TASKS);
        // History is whole: the log replays every revision up to the current one.
        let mut stream = store.watch("", 0).await.unwrap();
        for rev in 1..=current {
            assert_eq!(stream.next().await.unwrap().unwrap().revision(), rev);
        }
        assert_eq!(
            store.create("/after-crash", vec![]).await.unwrap(),
            current + 1
        );
        eprintln!(
            "{} acknowledged writes survived; revision {current}",
            acks.len()
        );
    });
}

/// The child: writes forever from several tasks (so commits are grouped) and prints an
/// `ACK` line for each write once its future resolved `Ok`.
fn run_child_writer(db: &Path) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = Arc::new(SqliteBackend::open(db).unwrap());
        let mut tasks = Vec::new();
        for task in 0..WRITER_TASKS {
            let store = Arc::clone(&store);
            tasks.push(tokio::spawn(async move {
                let counter = format!("/crash/counter/{task}");
                let mut counter_rev = store.create(&counter, b"0".to_vec()).await.unwrap();
                println!("ACK {counter} {counter_rev} 0");
                // Bounded, in case the parent died without killing us.
                for i in 0..100_000u64 {
                    let key = format!("/crash/keys/{task}/{i:06}");
                    let value = format!("v{task}-{i}");
                    let rev = store
                        .create(&key, value.clone().into_bytes())
                        .await
                        .unwrap();
                    println!("ACK {key} {rev} {value}");
                    if i % 4 == 0 {
                        let n = i.to_string();
                        counter_rev = store
                            .update(&counter, n.clone().into_bytes(), counter_rev)
                            .await
                            .unwrap();
                        println!("ACK {counter} {counter_rev} {n}");
                    }
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    });
}
