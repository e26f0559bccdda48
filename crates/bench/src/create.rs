//! Creating many pods from concurrent clients, recording when each create request started.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context as _;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, PostParams};

/// Creates `make(0..total)` with `clients` concurrent workers; returns each pod's name and the
/// moment its create request started.
pub async fn pods_concurrently(
    api: &Api<Pod>,
    total: usize,
    clients: usize,
    make: fn(usize) -> anyhow::Result<Pod>,
) -> anyhow::Result<HashMap<String, Instant>> {
    let created: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..clients {
        let (api, created, next) = (api.clone(), created.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return Ok::<(), anyhow::Error>(());
                }
                let p = make(i)?;
                let name = p.metadata.name.clone().unwrap_or_default();
                let t = Instant::now();
                api.create(&PostParams::default(), &p).await?;
                if let Ok(mut c) = created.lock() {
                    c.insert(name, t);
                }
            }
        }));
    }
    for w in workers {
        w.await.context("create worker")??;
    }
    Ok(created.lock().map(|c| c.clone()).unwrap_or_default())
}
