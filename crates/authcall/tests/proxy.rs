//! A test binary of its own: it changes the process environment, which must not race with
//! other tests reading it.

use concierge_authcall::{AuthClient, CallRequest, ClientConfig, Lookup, UpstreamPolicy};
use concierge_domain::IdentifyMethod;
use serde_json::{json, Map, Value};
use std::time::Duration;

#[tokio::test]
async fn a_proxy_in_the_environment_is_ignored() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("an address");
    let app = axum::Router::new().route("/auth", axum::routing::post(|| async { r#"{"data":{"id":"1"}}"# }));
    tokio::spawn(async move { axum::serve(listener, app).await });

    // A proxy would connect on Concierge's behalf, past the guard. This one is a closed
    // port, so a proxied call would fail.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let proxy = format!("http://{}", closed.local_addr().expect("an address"));
    drop(closed);
    for name in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
        std::env::set_var(name, &proxy);
    }
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");

    let policy = UpstreamPolicy { allow_private: true, allow_http: false };
    let config = ClientConfig { policy, user_agent: "t".into(), lookup: Lookup::localhost_only() };
    let client = AuthClient::new(config).expect("a client");
    let url = url::Url::parse(&format!("http://{addr}/auth")).expect("a URL");
    let body: Map<String, Value> = json!({"access_token": "t"}).as_object().cloned().unwrap_or_default();
    let trace = client
        .call(CallRequest {
            url: &url,
            body: &body,
            headers: &[],
            secrets: &[],
            timeout: Duration::from_secs(5),
            identify_method: IdentifyMethod::Id,
        })
        .await;
    assert!(trace.outcome.is_ok(), "{trace:?}");
}
