//! Watches: replay, live delivery, prefixes, races, fan-out, lag.

use std::sync::Arc;

use futures::StreamExt;
use kubehci_store::{Backend, Event, KeyValue, StoreError};

use super::{SMALL_WATCH_CAPACITY, expect_quiet, next_event, summary, v};

pub async fn watch_from_past_revision(store: Arc<dyn Backend>) {
    let r1 = store.create("/w/a", v("a1")).await.unwrap();
    let r2 = store.update("/w/a", v("a2"), r1).await.unwrap();
    let r3 = store.create("/w/b", v("b1")).await.unwrap();
    let (r4, _) = store.delete("/w/a", Some(r2)).await.unwrap();

    let mut stream = store.watch("/w/", r1).await.unwrap();
    let a1 = KeyValue {
        key: "/w/a".into(),
        value: v("a1"),
        create_revision: r1,
        mod_revision: r1,
    };
    let a2 = KeyValue {
        value: v("a2"),
        mod_revision: r2,
        ..a1.clone()
    };
    assert_eq!(
        next_event(&mut stream).await,
        Event::Put {
            kv: a2.clone(),
            prev: Some(a1)
        }
    );
    let b = next_event(&mut stream).await;
    assert!(matches!(&b, Event::Put { prev: None, kv } if kv.mod_revision == r3));
    assert_eq!(
        next_event(&mut stream).await,
        Event::Delete {
            prev: a2,
            revision: r4
        }
    );
    // Then live.
    let r5 = store.create("/w/c", v("c1")).await.unwrap();
    assert_eq!(next_event(&mut stream).await.revision(), r5);
    expect_quiet(&mut stream).await;

    // From 0: the whole history.
    let mut all = store.watch("", 0).await.unwrap();
    let mut events = Vec::new();
    for _ in 0..5 {
        events.push(next_event(&mut all).await);
    }
    assert_eq!(
        events.iter().map(Event::revision).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
}

pub async fn watch_live(store: Arc<dyn Backend>) {
    store.create("/l/old", v("x")).await.unwrap();
    let now = store.current_revision().await.unwrap();
    let mut stream = store.watch("/l/", now).await.unwrap();
    expect_quiet(&mut stream).await;
    let r1 = store.create("/l/a", v("1")).await.unwrap();
    let r2 = store.update("/l/a", v("2"), r1).await.unwrap();
    let (r3, _) = store.delete("/l/a", None).await.unwrap();
    match next_event(&mut stream).await {
        Event::Put { kv, prev: None } => assert_eq!((kv.key, kv.mod_revision), ("/l/a".into(), r1)),
        other => panic!("{other:?}"),
    }
    match next_event(&mut stream).await {
        Event::Put {
            kv,
            prev: Some(prev),
        } => {
            assert_eq!(
                (kv.value, kv.create_revision, kv.mod_revision),
                (v("2"), r1, r2)
            );
            assert_eq!((prev.value, prev.mod_revision), (v("1"), r1));
        }
        other => panic!("{other:?}"),
    }
    match next_event(&mut stream).await {
        Event::Delete { prev, revision } => {
            assert_eq!(revision, r3);
            assert_eq!((prev.value, prev.mod_revision), (v("2"), r2));
        }
        other => panic!("{other:?}"),
    }
    expect_quiet(&mut stream).await;
}

pub async fn watch_prefix_filtering(store: Arc<dyn Backend>) {
    store.create("/registry/pods/old", v("x")).await.unwrap();
    store.create("/registry/podsx/old", v("x")).await.unwrap();
    let mut pods = store.watch("/registry/pods/", 0).await.unwrap();
    let mut podsx = store.watch("/registry/podsx/", 1).await.unwrap();
    store.create("/registry/podsx/new", v("x")).await.unwrap();
    store.create("/registry/pods/new", v("x")).await.unwrap();
    store.create("/registry/pod", v("x")).await.unwrap();

    let got = vec![next_event(&mut pods).await, next_event(&mut pods).await];
    assert_eq!(
        summary(&got),
        [
            (1, "/registry/pods/old".to_owned()),
            (4, "/registry/pods/new".to_owned())
        ]
    );
    expect_quiet(&mut pods).await;
    let got = vec![next_event(&mut podsx).await, next_event(&mut podsx).await];
    assert_eq!(
        summary(&got),
        [
            (2, "/registry/podsx/old".to_owned()),
            (3, "/registry/podsx/new".to_owned())
        ]
    );
    expect_quiet(&mut podsx).await;
}

pub async fn watch_after_future_revision(store: Arc<dyn Backend>) {
    store.create("/fw/a", v("x")).await.unwrap();
    let mut stream = store.watch("/fw/", 3).await.unwrap();
    store.create("/fw/b", v("x")).await.unwrap();
    store.create("/fw/c", v("x")).await.unwrap();
    let r4 = store.create("/fw/d", v("x")).await.unwrap();
    assert_eq!(next_event(&mut stream).await.revision(), r4);
}

/// Watches opened while a writer runs each see every revision after their start exactly
/// once, in order: the replay/live hand-over has no gap and no duplicate.
pub async fn watch_during_writes_has_no_gap_or_duplicate(store: Arc<dyn Backend>) {
    const WRITES: i64 = 300;
    let writer = {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            for i in 0..WRITES {
                store.create(&format!("/g/{i:04}"), v("x")).await.unwrap();
                if i % 16 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    let mut watchers = Vec::new();
    while watchers.len() < 12 {
        let after = store.current_revision().await.unwrap();
        // Start some watchers a little in the past so replay and live overlap.
        let after = (after - 3).max(0);
        watchers.push((after, store.watch("/g/", after).await.unwrap()));
        tokio::task::yield_now().await;
    }
    writer.await.unwrap();
    for (after, mut stream) in watchers {
        let mut revs = Vec::new();
        for _ in after..WRITES {
            revs.push(next_event(&mut stream).await.revision());
        }
        assert_eq!(
            revs,
            ((after + 1)..=WRITES).collect::<Vec<_>>(),
            "watch from {after}"
        );
        expect_quiet(&mut stream).await;
    }
}

pub async fn many_watchers(store: Arc<dyn Backend>) {
    let mut streams = Vec::new();
    for _ in 0..150 {
        streams.push(store.watch("/m/", 0).await.unwrap());
    }
    for i in 0..20 {
        store.create(&format!("/m/{i}"), v("x")).await.unwrap();
    }
    for stream in &mut streams {
        for rev in 1..=20 {
            assert_eq!(next_event(stream).await.revision(), rev);
        }
    }
}

/// Needs a backend whose watch capacity is [`SMALL_WATCH_CAPACITY`].
pub async fn watch_lagged(store: Arc<dyn Backend>) {
    let mut slow = store.watch("/lag/", 0).await.unwrap();
    for i in 0..(SMALL_WATCH_CAPACITY * 4) {
        store.create(&format!("/lag/{i}"), v("x")).await.unwrap();
    }
    let mut got_lagged = false;
    while let Some(item) = slow.next().await {
        match item {
            Ok(_) => continue,
            Err(StoreError::WatchLagged) => got_lagged = true,
            Err(err) => panic!("unexpected {err}"),
        }
    }
    assert!(
        got_lagged,
        "a lagging watcher must get WatchLagged before its stream ends"
    );
    // A fresh watcher still works.
    let now = store.current_revision().await.unwrap();
    let mut fresh = store.watch("/lag/", now).await.unwrap();
    let rev = store.create("/lag/after", v("x")).await.unwrap();
    assert_eq!(next_event(&mut fresh).await.revision(), rev);
}
