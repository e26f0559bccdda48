//! Compaction: what stays readable and watchable, and the compactor helpers.

use std::sync::Arc;
use std::time::Duration;

use kubehci_store::{Backend, Event, StoreError, compact_keeping, spawn_compactor};

use super::{next_event, v};

pub async fn compaction_bounds_reads_and_watches(store: Arc<dyn Backend>) {
    for i in 0..6 {
        store.create(&format!("/c/{i}"), v("x")).await.unwrap();
    }
    store.compact(4).await.unwrap();
    assert_eq!(store.compacted_revision().await.unwrap(), 4);

    match store.get("/c/0", Some(3)).await {
        Err(StoreError::Compacted {
            requested,
            compacted,
        }) => assert_eq!((requested, compacted), (3, 4)),
        other => panic!("expected Compacted, got {other:?}"),
    }
    assert!(matches!(
        store.list("/c/", None, None, Some(1)).await,
        Err(StoreError::Compacted { .. })
    ));
    assert!(matches!(
        store.watch("/c/", 3).await.err(),
        Some(StoreError::Compacted {
            requested: 3,
            compacted: 4
        })
    ));
    // At the compacted revision everything still works.
    assert_eq!(
        store
            .list("/c/", None, None, Some(4))
            .await
            .unwrap()
            .items
            .len(),
        4
    );
    let mut stream = store.watch("/c/", 4).await.unwrap();
    assert_eq!(next_event(&mut stream).await.revision(), 5);
    assert_eq!(next_event(&mut stream).await.revision(), 6);

    assert!(matches!(
        store.compact(7).await,
        Err(StoreError::FutureRevision {
            requested: 7,
            current: 6
        })
    ));
    // Compacting below the compacted revision is a no-op.
    store.compact(2).await.unwrap();
    assert_eq!(store.compacted_revision().await.unwrap(), 4);
    store.compact(6).await.unwrap();
    assert_eq!(store.compacted_revision().await.unwrap(), 6);
    assert_eq!(
        store
            .list("/c/", None, None, None)
            .await
            .unwrap()
            .items
            .len(),
        6
    );
    assert_eq!(store.count("/c/").await.unwrap(), 6);
}

/// The state at the compacted revision survives exactly: values updated before it, keys
/// deleted before it stay deleted, and events after it keep their previous values.
pub async fn compaction_keeps_state_at_compacted_revision(store: Arc<dyn Backend>) {
    let a1 = store.create("/s/a", v("a1")).await.unwrap(); // 1
    let a2 = store.update("/s/a", v("a2"), a1).await.unwrap(); // 2
    let b1 = store.create("/s/b", v("b1")).await.unwrap(); // 3
    store.delete("/s/b", Some(b1)).await.unwrap(); // 4
    let c1 = store.create("/s/c", v("c1")).await.unwrap(); // 5
    store.delete("/s/c", None).await.unwrap(); // 6
    let c2 = store.create("/s/c", v("c2")).await.unwrap(); // 7
    let d1 = store.create("/s/d", v("d1")).await.unwrap(); // 8
    let d2 = store.update("/s/d", v("d2"), d1).await.unwrap(); // 9
    let a3 = store.update("/s/a", v("a3"), a2).await.unwrap(); // 10
    store.delete("/s/d", Some(d2)).await.unwrap(); // 11
    assert_eq!(c1, 5);

    store.compact(9).await.unwrap();
    let at9 = store.list("/s/", None, None, Some(9)).await.unwrap();
    let values: Vec<_> = at9
        .items
        .iter()
        .map(|kv| (kv.key.as_str(), kv.value.clone()))
        .collect();
    assert_eq!(
        values,
        [("/s/a", v("a2")), ("/s/c", v("c2")), ("/s/d", v("d2"))]
    );
    assert_eq!(store.get("/s/b", Some(9)).await.unwrap(), None);
    assert_eq!(
        store
            .get("/s/c", Some(9))
            .await
            .unwrap()
            .unwrap()
            .create_revision,
        c2
    );
    assert_eq!(
        store
            .get("/s/d", Some(10))
            .await
            .unwrap()
            .unwrap()
            .mod_revision,
        d2
    );
    let latest = store.list("/s/", None, None, None).await.unwrap();
    let keys: Vec<_> = latest.items.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(keys, ["/s/a", "/s/c"]);

    // Replay after the compacted revision still carries previous values.
    let mut stream = store.watch("/s/", 9).await.unwrap();
    match next_event(&mut stream).await {
        Event::Put {
            kv,
            prev: Some(prev),
        } => {
            assert_eq!((kv.mod_revision, prev.mod_revision), (a3, a2));
            assert_eq!(prev.value, v("a2"));
        }
        other => panic!("{other:?}"),
    }
    match next_event(&mut stream).await {
        Event::Delete { prev, revision } => {
            assert_eq!(revision, 11);
            assert_eq!(
                (prev.value, prev.mod_revision, prev.create_revision),
                (v("d2"), d2, d1)
            );
        }
        other => panic!("{other:?}"),
    }

    // Compacting everything keeps the live keys only.
    store.compact(11).await.unwrap();
    let at11 = store.list("/s/", None, None, Some(11)).await.unwrap();
    assert_eq!(at11.items, latest.items);
    assert_eq!(store.get("/s/d", Some(11)).await.unwrap(), None);
    let next = store.update("/s/a", v("a4"), a3).await.unwrap();
    let mut stream = store.watch("/s/", 11).await.unwrap();
    match next_event(&mut stream).await {
        Event::Put {
            kv,
            prev: Some(prev),
        } => {
            assert_eq!((kv.mod_revision, prev.value), (next, v("a3")));
        }
        other => panic!("{other:?}"),
    }
}

pub async fn compact_keeping_and_spawned_compactor(store: Arc<dyn Backend>) {
    for i in 0..10 {
        store.create(&format!("/k/{i}"), v("x")).await.unwrap();
    }
    assert_eq!(compact_keeping(store.as_ref(), 3).await.unwrap(), Some(7));
    assert_eq!(store.compacted_revision().await.unwrap(), 7);
    assert_eq!(compact_keeping(store.as_ref(), 3).await.unwrap(), None);
    assert_eq!(compact_keeping(store.as_ref(), 100).await.unwrap(), None);

    let handle = spawn_compactor(Arc::clone(&store), Duration::from_millis(20), 1);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while store.compacted_revision().await.unwrap() != 9 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "compactor did not run"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    handle.abort();
    assert_eq!(
        store
            .list("/k/", None, None, None)
            .await
            .unwrap()
            .items
            .len(),
        10
    );
}
