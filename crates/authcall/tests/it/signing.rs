use std::time::{SystemTime, UNIX_EPOCH};

use concierge_domain::AuthErrorCode;
use serde_json::Value;
use standardwebhooks::Webhook;

use crate::support::{client, error_of, Call, Server, API_KEY, CURRENT_SECRET, PREVIOUS_SECRET, USER_AGENT};

#[tokio::test]
async fn the_customer_receives_exactly_the_body_and_the_signed_headers() {
    let server = Server::start().await;
    let call = Call::default();
    let trace = call.to(&client(true), &server.url("/ok")).await;
    assert!(trace.outcome.is_ok(), "{trace:?}");

    let received = server.received();
    assert_eq!(received.len(), 1);
    let got = &received[0];
    assert_eq!(got.body, trace.request.body.as_bytes());
    let body: Value = serde_json::from_slice(&got.body).expect("JSON");
    assert_eq!(body, Value::Object(call.body.clone()));

    let header = |name: &str| {
        got.headers
            .get(name)
            .unwrap_or_else(|| panic!("{name} was not sent"))
            .to_str()
            .expect("visible ASCII")
            .to_owned()
    };
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(header("user-agent"), USER_AGENT);
    assert_eq!(header("x-api-key"), API_KEY);
    assert!(header("webhook-id").starts_with("msg_"));
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs();
    let timestamp: u64 = header("webhook-timestamp").parse().expect("unix seconds");
    assert!(now.abs_diff(timestamp) <= 5, "{timestamp} is not now ({now})");

    let signatures = header("webhook-signature");
    let parts: Vec<&str> = signatures.split(' ').collect();
    assert_eq!(parts.len(), 2, "{signatures}");
    assert!(parts.iter().all(|p| p.starts_with("v1,")), "{signatures}");
    for secret in [CURRENT_SECRET, PREVIOUS_SECRET] {
        let webhook = Webhook::new(secret).expect("a secret");
        webhook.verify(&got.body, &got.headers).expect("the signature verifies");
    }

    // The trace shows the same id, timestamp and signatures that were sent.
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature", "user-agent"] {
        let shown = trace.request.headers.iter().find(|h| h.name == name).expect("shown");
        assert_eq!(shown.value, header(name), "{name}");
    }
}

#[tokio::test]
async fn during_a_rotation_a_customer_on_either_secret_accepts_the_call() {
    let server = Server::start().await;
    let client = client(true);
    let call = Call::default();
    for which in ["current", "previous"] {
        let trace = call.to(&client, &server.url(&format!("/verify/{which}"))).await;
        assert!(trace.outcome.is_ok(), "{which}: {trace:?}");
    }
    let trace = call.to(&client, &server.url("/verify/stranger")).await;
    assert_eq!(error_of(&trace).0, AuthErrorCode::InvalidToken);
}

#[tokio::test]
async fn every_call_has_a_new_message_id() {
    let server = Server::start().await;
    let client = client(true);
    let call = Call::default();
    call.to(&client, &server.url("/ok")).await;
    call.to(&client, &server.url("/ok")).await;
    let received = server.received();
    assert_ne!(received[0].headers["webhook-id"], received[1].headers["webhook-id"]);
}
