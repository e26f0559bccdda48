//! Throughput of the algorithm alone: 5,000 ReplicaSet pods (default spreading) onto 100
//! nodes, each pod assumed on its node before the next, as the loop does.

use std::time::Instant;

use serde_json::json;

use super::{cache, info, node, pod, with};
use crate::framework::{Algorithm, Nominated, Outcome};

#[test]
fn five_thousand_pods_on_a_hundred_nodes() {
    let nodes = (0..100)
        .map(|i| node(&format!("n{i:03}"), "32", "64Gi"))
        .collect();
    let mut c = cache(nodes, vec![]);
    let nominated = Nominated::new();
    let mut algo = Algorithm::default();
    let start = Instant::now();
    for i in 0..5000 {
        let p = with(
            pod(&format!("p{i}"), "100m", "128Mi"),
            "/metadata/ownerReferences",
            json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs",
                    "uid": "rs-1", "controller": true}]),
        );
        let p = info(p);
        match algo.schedule(&p, &c, &nominated) {
            Outcome::Scheduled(n) => c.assume(p, &n),
            other => panic!("pod {i}: {other:?}"),
        }
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!("5000 pods in {secs:.2}s = {:.0} pods/s", 5000.0 / secs);
    let counts: Vec<usize> = c.real_nodes().map(|n| n.pod_count()).collect();
    assert_eq!(counts.iter().sum::<usize>(), 5000);
    assert!(counts.iter().all(|n| *n == 50), "even spread: {counts:?}");
}
