#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Malformed input gets upstream-shaped 4xx `Status` errors, and the server keeps serving.

mod common;

use common::Server;

async fn send(
    client: &kube::Client,
    method: &str,
    path: &str,
    ct: &str,
    body: Vec<u8>,
) -> kube::core::Status {
    let req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", ct)
        .body(body)
        .unwrap();
    match client.request_text(req).await {
        Err(kube::Error::Api(s)) => *s,
        other => panic!("{method} {path}: expected an error Status, got {other:?}"),
    }
}

const CMS: &str = "/api/v1/namespaces/default/configmaps";

#[tokio::test]
async fn malformed_bodies_get_status_errors() {
    let s = Server::start();
    let c = s.client().await;
    let json = "application/json";

    let st = send(
        &c,
        "POST",
        CMS,
        json,
        br#"{"apiVersion": "v1", "kind": "#.to_vec(),
    )
    .await;
    assert_eq!((st.code, st.reason.as_str()), (400, "BadRequest"), "{st:?}");

    let st = send(
        &c,
        "POST",
        CMS,
        "application/yaml",
        b"kind: [unclosed".to_vec(),
    )
    .await;
    assert_eq!(st.code, 400, "{st:?}");

    let st = send(
        &c,
        "POST",
        CMS,
        json,
        br#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}"#.to_vec(),
    )
    .await;
    assert_eq!(st.code, 400, "{st:?}");
    assert!(st.message.contains("Secret"), "{st:?}");

    let st = send(
        &c,
        "POST",
        &format!("{CMS}?fieldValidation=Strict"),
        json,
        br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"spec":{"a":1}}"#
            .to_vec(),
    )
    .await;
    assert_eq!(st.code, 400);
    assert_eq!(st.message, r#"strict decoding error: unknown field "spec""#);

    // Subresource bodies too: a TokenRequest that is an array, or whose spec is a number.
    let token = "/api/v1/namespaces/default/serviceaccounts/default/token";
    for body in [&br#"[1, 2]"#[..], &br#"{"spec": 5}"#[..]] {
        let st = send(&c, "POST", token, json, body.to_vec()).await;
        assert_eq!((st.code, st.reason.as_str()), (400, "BadRequest"), "{st:?}");
    }

    let long = "a".repeat(254);
    let body = serde_json::to_vec(
        &serde_json::json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name": long}}),
    )
    .unwrap();
    let st = send(&c, "POST", CMS, json, body).await;
    assert_eq!((st.code, st.reason.as_str()), (422, "Invalid"), "{st:?}");
    assert!(
        st.message.starts_with(&format!(
            "ConfigMap \"{long}\" is invalid: metadata.name: Invalid value:"
        )),
        "{}",
        st.message
    );
    assert!(
        st.message.contains("must be no more than 253 characters"),
        "{}",
        st.message
    );

    let st = send(
        &c,
        "POST",
        CMS,
        json,
        br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name"}}"#.to_vec(),
    )
    .await;
    assert_eq!(st.code, 422);
    assert!(
        st.message.contains("a lowercase RFC 1123 subdomain"),
        "{}",
        st.message
    );

    let huge = format!(
        r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"huge"}},"data":{{"a":"{}"}}}}"#,
        "x".repeat(4 << 20)
    );
    let st = send(&c, "POST", CMS, json, huge.into_bytes()).await;
    assert_eq!(st.code, 413, "{st:?}");

    let st = send(&c, "POST", CMS, json, "[".repeat(100_000).into_bytes()).await;
    assert_eq!(st.code, 400);

    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let st = send(&c, "POST", CMS, json, garbage.clone()).await;
    assert_eq!(st.code, 400);
    let st = send(
        &c,
        "PATCH",
        &format!("{CMS}/nope"),
        "application/merge-patch+json",
        b"{}".to_vec(),
    )
    .await;
    assert_eq!((st.code, st.reason.as_str()), (404, "NotFound"));
    assert_eq!(st.message, r#"configmaps "nope" not found"#);
    let st = send(
        &c,
        "POST",
        CMS,
        "application/x-www-form-urlencoded",
        b"a=b".to_vec(),
    )
    .await;
    assert_eq!(st.code, 415);

    // The server is still fine.
    let ok = c
        .request_text(http::Request::get("/readyz").body(Vec::new()).unwrap())
        .await
        .unwrap();
    assert_eq!(ok, "ok");
}

#[tokio::test]
async fn bad_queries_get_400() {
    let s = Server::start();
    let c = s.client().await;
    for (path, want) in [
        (
            format!("{CMS}?labelSelector=a%20in%20(b"),
            "unable to parse requirement",
        ),
        (
            format!("{CMS}?fieldSelector=spec.foo%3Dbar"),
            "not a known field selector",
        ),
        (
            "/api/v1/pods?fieldSelector=spec.bogus%3D1".to_string(),
            "field label not supported: spec.bogus",
        ),
        (
            format!("{CMS}?watch=1&resourceVersion=abc"),
            "resource version",
        ),
        (format!("{CMS}?limit=x"), "limit"),
        (format!("{CMS}?continue=%%%"), "continue"),
    ] {
        let req = http::Request::get(path.as_str()).body(Vec::new()).unwrap();
        match c.request_text(req).await {
            Err(kube::Error::Api(st)) => {
                assert_eq!(st.code, 400, "{path}: {st:?}");
                assert!(st.message.contains(want), "{path}: {}", st.message);
            }
            other => panic!("{path}: {other:?}"),
        }
    }
}
