//! A small store benchmark: sequential creates, concurrent creates from 16 tasks, and a
//! list of 5,000 keys, for both backends; each figure is the median of a few rounds.
//!
//! `cargo run --release -p kubehci-store --example store_bench`

use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use kubehci_store::{Backend, MemoryBackend, SqliteBackend};

const ROUNDS: usize = 5;
const SEQUENTIAL: usize = 500;
const TASKS: usize = 16;
const PER_TASK: usize = 200;
const LIST_KEYS: usize = 5_000;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn value() -> Vec<u8> {
    // About the size of a small pod object.
    vec![b'x'; 1_500]
}

async fn sequential_creates(store: &dyn Backend, round: usize) -> Result<f64> {
    let start = Instant::now();
    for i in 0..SEQUENTIAL {
        store.create(&format!("/seq/{round}/{i}"), value()).await?;
    }
    Ok(SEQUENTIAL as f64 / start.elapsed().as_secs_f64())
}

async fn concurrent_creates(store: Arc<dyn Backend>, round: usize) -> Result<f64> {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            for i in 0..PER_TASK {
                store
                    .create(&format!("/con/{round}/{t}/{i}"), value())
                    .await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok((TASKS * PER_TASK) as f64 / start.elapsed().as_secs_f64())
}

async fn list_latency_ms(store: &dyn Backend) -> Result<f64> {
    let start = Instant::now();
    let list = store.list("/list/", None, None, None).await?;
    anyhow::ensure!(list.items.len() == LIST_KEYS, "listed {}", list.items.len());
    Ok(start.elapsed().as_secs_f64() * 1_000.0)
}

async fn run(name: &str, store: Arc<dyn Backend>) -> Result<()> {
    let mut sequential = Vec::new();
    let mut concurrent = Vec::new();
    for round in 0..ROUNDS {
        sequential.push(sequential_creates(store.as_ref(), round).await?);
        concurrent.push(concurrent_creates(Arc::clone(&store), round).await?);
    }
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            for i in (t..LIST_KEYS).step_by(TASKS) {
                store.create(&format!("/list/{i:05}"), value()).await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let mut lists = Vec::new();
    for _ in 0..ROUNDS {
        lists.push(list_latency_ms(store.as_ref()).await?);
    }
    println!(
        "{name:>7}: sequential {:>9.0} creates/s | {TASKS} tasks {:>9.0} creates/s | \
         list {LIST_KEYS} keys {:>7.1} ms",
        median(sequential),
        median(concurrent),
        median(lists)
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    run("memory", Arc::new(MemoryBackend::new())).await?;
    let dir = tempfile::tempdir()?;
    let sqlite = SqliteBackend::open(dir.path().join("bench.db"))?;
    run("sqlite", Arc::new(sqlite)).await?;
    Ok(())
}
