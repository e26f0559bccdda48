//! Reads: get/list at revisions, pagination, prefixes, counts.

use std::sync::Arc;

use kubehci_store::{Backend, KeyValue, StoreError};

use super::v;

fn keys(items: &[KeyValue]) -> Vec<&str> {
    items.iter().map(|kv| kv.key.as_str()).collect()
}

pub async fn get_and_list_at_revisions(store: Arc<dyn Backend>) {
    let r1 = store.create("/r/a", v("a1")).await.unwrap();
    let r2 = store.create("/r/b", v("b1")).await.unwrap();
    let r3 = store.update("/r/a", v("a2"), r1).await.unwrap();
    let (r4, _) = store.delete("/r/b", None).await.unwrap();
    let r5 = store.create("/r/c", v("c1")).await.unwrap();

    assert_eq!(
        store.get("/r/a", Some(r1)).await.unwrap().unwrap().value,
        v("a1")
    );
    assert_eq!(
        store.get("/r/a", Some(r2)).await.unwrap().unwrap().value,
        v("a1")
    );
    let a = store.get("/r/a", Some(r3)).await.unwrap().unwrap();
    assert_eq!(
        (a.value, a.create_revision, a.mod_revision),
        (v("a2"), r1, r3)
    );
    assert!(store.get("/r/b", Some(r3)).await.unwrap().is_some());
    assert!(store.get("/r/b", Some(r4)).await.unwrap().is_none());
    assert!(store.get("/r/c", Some(r4)).await.unwrap().is_none());
    assert!(store.get("/r/a", Some(0)).await.unwrap().is_none());
    assert_eq!(
        store.get("/r/c", Some(r5)).await.unwrap().unwrap().value,
        v("c1")
    );

    let at2 = store.list("/r/", None, None, Some(r2)).await.unwrap();
    assert_eq!(keys(&at2.items), ["/r/a", "/r/b"]);
    assert_eq!(at2.items[0].value, v("a1"));
    assert_eq!((at2.revision, at2.remaining), (r2, 0));
    let at4 = store.list("/r/", None, None, Some(r4)).await.unwrap();
    assert_eq!(keys(&at4.items), ["/r/a"]);
    assert_eq!(at4.items[0].mod_revision, r3);
    let latest = store.list("/r/", None, None, None).await.unwrap();
    assert_eq!(keys(&latest.items), ["/r/a", "/r/c"]);
    assert_eq!(latest.revision, r5);
    assert_eq!(
        store.list("/r/", None, None, Some(r5)).await.unwrap(),
        latest
    );
}

pub async fn read_at_future_revision_fails(store: Arc<dyn Backend>) {
    store.create("/f", v("1")).await.unwrap();
    match store.get("/f", Some(2)).await {
        Err(StoreError::FutureRevision { requested, current }) => {
            assert_eq!((requested, current), (2, 1));
        }
        other => panic!("expected FutureRevision, got {other:?}"),
    }
    assert!(matches!(
        store.list("/", None, None, Some(5)).await,
        Err(StoreError::FutureRevision { .. })
    ));
}

pub async fn list_pagination(store: Arc<dyn Backend>) {
    for i in 0..10 {
        store
            .create(&format!("/p/{i:02}"), v(&i.to_string()))
            .await
            .unwrap();
    }
    let snapshot = store.current_revision().await.unwrap();
    store.create("/p/99", v("late")).await.unwrap();
    store.delete("/p/00", None).await.unwrap();

    // Page through the snapshot taken before the last two writes.
    let mut seen = Vec::new();
    let mut remainders = Vec::new();
    let mut start_after: Option<String> = None;
    loop {
        let page = store
            .list("/p/", start_after.as_deref(), Some(3), Some(snapshot))
            .await
            .unwrap();
        assert_eq!(page.revision, snapshot);
        seen.extend(page.items.iter().map(|kv| kv.key.clone()));
        remainders.push(page.remaining);
        if page.remaining == 0 {
            break;
        }
        start_after = page.items.last().map(|kv| kv.key.clone());
    }
    let expected: Vec<String> = (0..10).map(|i| format!("/p/{i:02}")).collect();
    assert_eq!(seen, expected);
    assert_eq!(remainders, [7, 4, 1, 0]);

    // Latest: /p/00 is gone, /p/99 is there.
    let page = store.list("/p/", None, Some(4), None).await.unwrap();
    assert_eq!(keys(&page.items), ["/p/01", "/p/02", "/p/03", "/p/04"]);
    assert_eq!(page.remaining, 6);
    let page = store.list("/p/", Some("/p/04"), None, None).await.unwrap();
    assert_eq!(page.items.len(), 6);
    assert_eq!(page.remaining, 0);
    let page = store
        .list("/p/", Some("/p/08"), Some(2), None)
        .await
        .unwrap();
    assert_eq!(keys(&page.items), ["/p/09", "/p/99"]);
    assert_eq!(page.remaining, 0);
    let empty = store.list("/p/", None, Some(0), None).await.unwrap();
    assert!(empty.items.is_empty());
    assert_eq!(empty.remaining, 10);
    // A start_after before the prefix is the same as none.
    let page = store.list("/p/", Some("/a"), Some(1), None).await.unwrap();
    assert_eq!(keys(&page.items), ["/p/01"]);
}

pub async fn prefix_isolation(store: Arc<dyn Backend>) {
    for key in [
        "/registry/pod",
        "/registry/pods/a",
        "/registry/pods/b",
        "/registry/podsx/c",
        "/registry/pods0",
        "/x\u{7f}a",
        "/x\u{80}",
        "/registry/pods/\u{10ffff}",
    ] {
        store.create(key, v(key)).await.unwrap();
    }
    let pods = store
        .list("/registry/pods/", None, None, None)
        .await
        .unwrap();
    assert_eq!(
        keys(&pods.items),
        [
            "/registry/pods/a",
            "/registry/pods/b",
            "/registry/pods/\u{10ffff}"
        ]
    );
    assert_eq!(store.count("/registry/pods/").await.unwrap(), 3);
    let wider = store
        .list("/registry/pods", None, None, None)
        .await
        .unwrap();
    assert_eq!(wider.items.len(), 5);
    let odd = store.list("/x\u{7f}", None, None, None).await.unwrap();
    assert_eq!(keys(&odd.items), ["/x\u{7f}a"]);
    let all = store.list("", None, None, None).await.unwrap();
    assert_eq!(all.items.len(), 8);
    assert_eq!(store.count("").await.unwrap(), 8);
    assert_eq!(store.count("/nothing/").await.unwrap(), 0);
}

pub async fn count_live_keys(store: Arc<dyn Backend>) {
    for i in 0..5 {
        store.create(&format!("/n/{i}"), v("x")).await.unwrap();
    }
    assert_eq!(store.count("/n/").await.unwrap(), 5);
    store.delete("/n/3", None).await.unwrap();
    store.update("/n/1", v("y"), 2).await.unwrap();
    assert_eq!(store.count("/n/").await.unwrap(), 4);
}
