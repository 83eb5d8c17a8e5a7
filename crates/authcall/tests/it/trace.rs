use std::process::Command;

use concierge_authcall::MASK;
use serde_json::{json, Value};

use crate::support::{client, Call, Server, API_KEY, TOKEN};

#[tokio::test]
async fn static_header_values_are_masked_and_bodies_never_debug_printed() {
    let server = Server::start().await;
    let trace = Call::default().to(&client(true), &server.url("/ok")).await;
    let shown = trace.request.headers.iter().find(|h| h.name == "x-api-key").expect("shown");
    assert_eq!(shown.value, MASK);
    assert_eq!(trace.request.method, "POST");
    assert_eq!(trace.request.url, server.url("/ok").as_str());

    let printed = format!("{trace:?}");
    assert!(!printed.contains(TOKEN), "{printed}");
    assert!(!printed.contains(API_KEY), "{printed}");

    let json = serde_json::to_string(&trace).expect("serialises");
    assert!(!json.contains(API_KEY), "{json}");
    let json: Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(json["outcome"]["ok"], true);
    assert_eq!(json["outcome"]["identifier"], "12345");
    assert_eq!(json["response"]["status"], 200);
    assert!(json["duration_ms"].is_u64());
}

#[tokio::test]
async fn the_curl_command_replays_the_signed_request_in_a_shell() {
    let server = Server::start().await;
    let body = json!({"access_token": TOKEN, "name": "Miles O'Brien $HOME `x` \\"});
    let call = Call { body: body.as_object().expect("an object").clone(), ..Call::default() };
    let trace = call.to(&client(true), &server.url("/ok")).await;
    let curl = trace.curl_command();
    assert!(curl.starts_with(&format!("curl -sS -X POST '{}' ", server.url("/ok"))), "{curl}");
    assert!(curl.contains("-H 'x-api-key: ********'"), "{curl}");
    assert!(!curl.contains(API_KEY), "{curl}");
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature", "content-type"] {
        assert!(curl.contains(&format!("-H '{name}: ")), "{name}: {curl}");
    }

    // The shell must hand curl exactly these words; printf stands in for curl.
    let replay = curl.replacen("curl", "printf '%s\\n'", 1);
    let output = Command::new("sh").arg("-c").arg(&replay).output().expect("sh runs");
    assert!(output.status.success(), "{replay}");
    let words: Vec<String> = String::from_utf8(output.stdout).expect("UTF-8").lines().map(str::to_owned).collect();
    let mut expected = vec!["-sS".to_owned(), "-X".into(), "POST".into(), trace.request.url.clone()];
    for header in &trace.request.headers {
        expected.push("-H".into());
        expected.push(format!("{}: {}", header.name, header.value));
    }
    expected.push("--data-raw".into());
    expected.push(trace.request.body.clone());
    assert_eq!(words, expected);
    assert!(trace.request.body.contains("O'Brien"));
}

#[tokio::test]
async fn an_invalid_static_header_sends_nothing_and_says_which() {
    let server = Server::start().await;
    let call = Call {
        headers: vec![concierge_domain::StaticHeader { name: "bad name".into(), value: "v".into() }],
        ..Call::default()
    };
    let trace = call.to(&client(true), &server.url("/ok")).await;
    let (error, message) = crate::support::error_of(&trace);
    assert_eq!(error, concierge_domain::AuthErrorCode::AuthUnreachable);
    assert!(message.contains("\"bad name\" is not a valid HTTP header"), "{message}");
    assert!(server.received().is_empty());
}
