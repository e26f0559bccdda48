//! Writes: revisions, preconditions, concurrency.

use std::sync::Arc;

use kubehci_store::{Backend, StoreError};

use super::v;

pub async fn revision_increments(store: Arc<dyn Backend>) {
    assert_eq!(store.current_revision().await.unwrap(), 0);
    assert_eq!(store.compacted_revision().await.unwrap(), 0);
    assert_eq!(store.create("/a", v("1")).await.unwrap(), 1);
    assert_eq!(store.create("/b", v("1")).await.unwrap(), 2);
    assert_eq!(store.update("/a", v("2"), 1).await.unwrap(), 3);
    let (rev, _) = store.delete("/b", None).await.unwrap();
    assert_eq!(rev, 4);
    // Failed writes take no revision.
    assert!(store.create("/a", v("x")).await.is_err());
    assert!(store.update("/a", v("x"), 1).await.is_err());
    assert!(store.delete("/b", None).await.is_err());
    assert_eq!(store.current_revision().await.unwrap(), 4);
    assert_eq!(store.create("/c", v("1")).await.unwrap(), 5);
}

pub async fn create_if_absent(store: Arc<dyn Backend>) {
    let rev = store
        .create("/registry/pods/default/a", v("one"))
        .await
        .unwrap();
    match store.create("/registry/pods/default/a", v("two")).await {
        Err(StoreError::AlreadyExists(key)) => assert_eq!(key, "/registry/pods/default/a"),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    let kv = store
        .get("/registry/pods/default/a", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kv.value, v("one"));
    assert_eq!((kv.create_revision, kv.mod_revision), (rev, rev));

    // A deleted key can be created again, with a new create revision.
    store
        .delete("/registry/pods/default/a", None)
        .await
        .unwrap();
    let again = store
        .create("/registry/pods/default/a", v("three"))
        .await
        .unwrap();
    let kv = store
        .get("/registry/pods/default/a", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((kv.create_revision, kv.mod_revision), (again, again));
    assert_eq!(kv.value, v("three"));
}

pub async fn update_guarded_by_revision(store: Arc<dyn Backend>) {
    match store.update("/missing", v("x"), 1).await {
        Err(StoreError::NotFound(key)) => assert_eq!(key, "/missing"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    let created = store.create("/k", v("1")).await.unwrap();
    let updated = store.update("/k", v("2"), created).await.unwrap();
    assert_eq!(updated, created + 1);
    // A stale expected revision conflicts and reports the current value.
    match store.update("/k", v("3"), created).await {
        Err(StoreError::Conflict { key, current }) => {
            assert_eq!(key, "/k");
            assert_eq!(current.value, v("2"));
            assert_eq!(current.mod_revision, updated);
            assert_eq!(current.create_revision, created);
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    let kv = store.get("/k", None).await.unwrap().unwrap();
    assert_eq!(kv.value, v("2"));
    assert_eq!((kv.create_revision, kv.mod_revision), (created, updated));
}

pub async fn delete_guarded_by_revision(store: Arc<dyn Backend>) {
    match store.delete("/missing", None).await {
        Err(StoreError::NotFound(key)) => assert_eq!(key, "/missing"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    let created = store.create("/k", v("1")).await.unwrap();
    let updated = store.update("/k", v("2"), created).await.unwrap();
    match store.delete("/k", Some(created)).await {
        Err(StoreError::Conflict { current, .. }) => {
            assert_eq!(current.mod_revision, updated);
            assert_eq!(current.value, v("2"));
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    let (rev, prev) = store.delete("/k", Some(updated)).await.unwrap();
    assert_eq!(rev, updated + 1);
    assert_eq!(prev.key, "/k");
    assert_eq!(prev.value, v("2"));
    assert_eq!(
        (prev.create_revision, prev.mod_revision),
        (created, updated)
    );
    assert_eq!(store.get("/k", None).await.unwrap(), None);

    // Unconditional delete.
    store.create("/j", v("1")).await.unwrap();
    let (_, prev) = store.delete("/j", None).await.unwrap();
    assert_eq!(prev.value, v("1"));
}

pub async fn concurrent_writers_get_distinct_increasing_revisions(store: Arc<dyn Backend>) {
    const TASKS: usize = 16;
    const PER_TASK: usize = 40;
    let mut handles = Vec::new();
    for t in 0..TASKS {
        let store = Arc::clone(&store);
        handles.push(tokio::spawn(async move {
            let mut revs = Vec::new();
            for i in 0..PER_TASK {
                let key = format!("/c/{t}/{i}");
                revs.push(store.create(&key, v(&key)).await.unwrap());
            }
            // Updates to a shared key race; losers conflict, winners get a revision.
            for _ in 0..5 {
                loop {
                    let cur = match store.get("/c/shared", None).await.unwrap() {
                        Some(kv) => kv.mod_revision,
                        None => match store.create("/c/shared", v("0")).await {
                            Ok(rev) => {
                                revs.push(rev);
                                break;
                            }
                            Err(StoreError::AlreadyExists(_)) => continue,
                            Err(err) => panic!("{err}"),
                        },
                    };
                    match store.update("/c/shared", v(&t.to_string()), cur).await {
                        Ok(rev) => {
                            revs.push(rev);
                            break;
                        }
                        Err(StoreError::Conflict { .. }) => continue,
                        Err(err) => panic!("{err}"),
                    }
                }
            }
            revs
        }));
    }
    let mut all = Vec::new();
    for handle in handles {
        let revs = handle.await.unwrap();
        assert!(
            revs.windows(2).all(|w| w[0] < w[1]),
            "per-task order: {revs:?}"
        );
        all.extend(revs);
    }
    all.sort_unstable();
    let total = (TASKS * (PER_TASK + 5)) as i64;
    assert_eq!(all, (1..=total).collect::<Vec<_>>());
    assert_eq!(store.current_revision().await.unwrap(), total);
    assert_eq!(
        store.count("/c/").await.unwrap(),
        (TASKS * PER_TASK + 1) as u64
    );
}
