//! Our signature, verified by an independent implementation: a customer endpoint in Node
//! using the stock `standardwebhooks` package from npm (tests/customer-node).

use std::process::Stdio;

use concierge_store::testing::skip_requested;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::utils::TestApp;

#[tokio::test]
async fn a_node_customer_verifies_our_signature_with_the_stock_library() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/customer-node");
    if skip_requested("CONCIERGE_TEST_SKIP_NODE") {
        eprintln!("skipping the Node customer: CONCIERGE_TEST_SKIP_NODE is set");
        return;
    }
    assert!(
        dir.join("node_modules/standardwebhooks").exists(),
        "tests/customer-node has no node_modules: run `npm ci` there (scripts/test does), \
         or set CONCIERGE_TEST_SKIP_NODE=1 to skip this test"
    );
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let bot = app.bot().await;
    let (_, settings) = app.get(&format!("/bots/{bot}/custom-auth")).await;

    let mut node = tokio::process::Command::new("node")
        .arg("server.mjs")
        .current_dir(&dir)
        .env("CONCIERGE_SIGNING_SECRET", settings["signing_secret"].as_str().unwrap())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut lines = BufReader::new(node.stdout.take().unwrap()).lines();
    let port =
        lines.next_line().await.unwrap().expect("node prints its port").trim_start_matches("listening ").to_owned();
    let url = format!("http://127.0.0.1:{port}/auth");
    let (status, _) = app.put(&format!("/bots/{bot}/custom-auth"), json!({"enabled": true, "url": url})).await;
    assert_eq!(status, 200);

    let (_, s) = app.start_session(json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    assert_eq!(s["authenticated"], true, "the Node customer accepted our signature: {s}");
    assert_eq!(s["contact"]["name"], "Alice");

    // After a rotation the old secret keeps signing, so the customer (still on it) accepts.
    let (status, rotated) = app.post(&format!("/bots/{bot}/custom-auth/rotate-secret"), json!({})).await;
    assert_eq!(status, 200, "{rotated}");
    assert_ne!(rotated["signing_secret"], settings["signing_secret"], "the rotation made a new secret");
    let (_, s) = app.start_session(json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    assert_eq!(s["authenticated"], true, "{s}");

    // A request signed with a secret the customer does not know is refused.
    let other = app.bot().await;
    let (status, saved) = app.put(&format!("/bots/{other}/custom-auth"), json!({"enabled": true, "url": url})).await;
    assert_eq!(status, 200, "{saved}");
    let (_, s) = app.start_session(json!({"bot_id": other, "access_token": "tok-alice"})).await;
    assert_eq!(s["auth_error"]["code"], "invalid_token", "{s}");
    node.kill().await.ok();
}
