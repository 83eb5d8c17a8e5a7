//! A customer's Authentication URL, well-behaved or not, on a port chosen by the OS.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use concierge_authcall::{AuthClient, CallRequest, CallTrace, ClientConfig, Lookup, UpstreamPolicy};
use concierge_domain::{AuthErrorCode, IdentifyMethod, SigningSecret, StaticHeader};
use futures::StreamExt;
use serde_json::{json, Map, Value};
use standardwebhooks::Webhook;
use url::Url;

pub const CURRENT_SECRET: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
pub const PREVIOUS_SECRET: &str = "whsec_ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=";
/// A secret Concierge does not hold: the server verifying with it must refuse the call.
pub const STRANGER_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
pub const TOKEN: &str = "tok_live_s3cr3t_token";
pub const API_KEY: &str = "sk_live_static_header_value";
pub const USER_AGENT: &str = "Concierge-Test/1.0";
pub const ONE_MIB: usize = 1024 * 1024;

pub const GOOD_ANSWER: &str = r#"{"data":{"id":"12345","email":"John@Example.com","name":"John Doe","phone_number":"0987654321","metadata":{"plan":"pro"}}}"#;

/// What the customer's server received.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Clone, Default)]
struct AppState {
    received: Arc<Mutex<Vec<Received>>>,
}

pub struct Server {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Server {
    pub async fn start() -> Server {
        Self::start_on("127.0.0.1:0").await.expect("bind 127.0.0.1")
    }

    pub async fn start_on(bind: &str) -> std::io::Result<Server> {
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let state = AppState::default();
        let received = state.received.clone();
        let app = Router::new()
            .route("/ok", post(ok))
            .route("/verify/{which}", post(verify))
            .route("/status/{code}", post(status))
            .route("/redirect", post(redirect))
            .route("/slow", post(slow))
            .route("/slow-body", post(slow_body))
            .route("/answer/{name}", post(answer))
            .route("/big", post(big))
            .route("/big-stream", post(big_stream))
            .route("/big-error", post(big_error))
            .with_state(state);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Server { addr, received })
    }

    /// A URL on this server, spelled with `host` (which must reach this server's address).
    pub fn url_via(&self, host: &str, path: &str) -> Url {
        Url::parse(&format!("http://{host}:{}{path}", self.addr.port())).expect("a URL")
    }

    pub fn url(&self, path: &str) -> Url {
        Url::parse(&format!("http://{}{path}", self.addr)).expect("a URL")
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("not poisoned").clone()
    }
}

fn record(state: &AppState, headers: HeaderMap, body: Bytes) {
    state.received.lock().expect("not poisoned").push(Received { headers, body });
}

fn json_response(status: StatusCode, body: &'static str) -> Response {
    (status, [("content-type", "application/json")], body).into_response()
}

async fn ok(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    record(&state, headers, body);
    json_response(StatusCode::OK, GOOD_ANSWER)
}

/// Verifies like a customer using a Standard Webhooks library would.
async fn verify(State(state): State<AppState>, Path(which): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let secret = match which.as_str() {
        "current" => CURRENT_SECRET,
        "previous" => PREVIOUS_SECRET,
        _ => STRANGER_SECRET,
    };
    let verified = Webhook::new(secret).and_then(|wh| wh.verify(&body, &headers));
    record(&state, headers, body);
    match verified {
        Ok(()) => json_response(StatusCode::OK, GOOD_ANSWER),
        Err(_) => json_response(StatusCode::UNAUTHORIZED, r#"{"error":"bad signature"}"#),
    }
}

async fn status(Path(code): Path<u16>) -> Response {
    let status = StatusCode::from_u16(code).expect("a status code");
    (status, "nope").into_response()
}

async fn redirect() -> Response {
    (StatusCode::FOUND, [("location", "https://elsewhere.example/auth")]).into_response()
}

/// Never answers: only the caller's timeout can end the call.
async fn slow() -> Response {
    std::future::pending().await
}

/// Sends the status and the first bytes at once, then stalls for good: the timeout must
/// cover the body too, not only the headers.
async fn slow_body() -> Response {
    let first = futures::stream::once(async { Ok::<_, std::io::Error>(Bytes::from_static(b"{\"data\":")) });
    (StatusCode::OK, Body::from_stream(first.chain(futures::stream::pending()))).into_response()
}

async fn answer(Path(name): Path<String>) -> Response {
    let body = match name.as_str() {
        "not-json" => "<html>Welcome</html>",
        "no-data" => r#"{"user":{"id":"1"}}"#,
        "wrong-types" => r#"{"data":{"id":"1","email":42}}"#,
        "missing-id" => r#"{"data":{"email":"ann@example.com"}}"#,
        "empty-id" => r#"{"data":{"id":"   "}}"#,
        "email-only" => r#"{"data":{"email":" Ann@Example.COM "}}"#,
        _ => "unknown answer",
    };
    json_response(StatusCode::OK, body)
}

fn big_json() -> Vec<u8> {
    let mut body = br#"{"data":{"id":"1","name":""#.to_vec();
    body.resize(ONE_MIB - 3, b'x');
    body.extend_from_slice(br#""}}"#);
    body
}

async fn big() -> Response {
    (StatusCode::OK, big_json()).into_response()
}

/// No Content-Length: the size is only known by reading.
async fn big_stream() -> Response {
    let body = big_json();
    let chunks: Vec<Result<Bytes, std::io::Error>> =
        body.chunks(16 * 1024).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    (StatusCode::OK, Body::from_stream(futures::stream::iter(chunks))).into_response()
}

async fn big_error() -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, vec![b'e'; ONE_MIB]).into_response()
}

/// Set to `1` to skip what needs IPv6 loopback (`[::1]`) when the machine has none; without
/// it, a missing `[::1]` fails the test, as a test that did not run must not pass.
pub const SKIP_IPV6: &str = "CONCIERGE_TEST_SKIP_IPV6";

/// Whether the environment variable `name` asks for a skip (`1` or `true`).
pub fn skip_requested(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1" || v == "true")
}

/// A client for the address guard's tests: plain http is allowed to any host, so that the
/// test servers (http on loopback) are judged by their address alone. Names resolve from an
/// in-process table: `localhost` is loopback, every other name fails, and no DNS query
/// leaves the machine.
pub fn client(allow_private: bool) -> AuthClient {
    client_with(UpstreamPolicy { allow_private, allow_http: true }, Lookup::localhost_only())
}

pub fn client_with(policy: UpstreamPolicy, lookup: Lookup) -> AuthClient {
    AuthClient::new(ClientConfig { policy, user_agent: USER_AGENT.to_owned(), lookup }).expect("a client")
}

/// The owned parts of a [`CallRequest`], with the defaults most tests want.
pub struct Call {
    pub body: Map<String, Value>,
    pub headers: Vec<StaticHeader>,
    pub secrets: Vec<SigningSecret>,
    pub timeout: Duration,
    pub identify_method: IdentifyMethod,
}

impl Default for Call {
    fn default() -> Self {
        let body = json!({"access_token": TOKEN, "email": "john@example.com"});
        Self {
            body: body.as_object().expect("an object").clone(),
            headers: vec![StaticHeader { name: "X-Api-Key".into(), value: API_KEY.into() }],
            secrets: vec![secret(CURRENT_SECRET), secret(PREVIOUS_SECRET)],
            timeout: Duration::from_secs(5),
            identify_method: IdentifyMethod::Id,
        }
    }
}

impl Call {
    pub async fn to(&self, client: &AuthClient, url: &Url) -> CallTrace {
        client
            .call(CallRequest {
                url,
                body: &self.body,
                headers: &self.headers,
                secrets: &self.secrets,
                timeout: self.timeout,
                identify_method: self.identify_method,
            })
            .await
    }
}

pub fn secret(s: &str) -> SigningSecret {
    SigningSecret::parse(s).expect("a valid secret")
}

/// `future`, which must end by itself: the bound is generous, so that a slow machine never
/// fails a test, and only a call that would never end does.
pub async fn ends<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(30), future).await.expect("ended within 30 s")
}

/// The error of a failed call, with the whole trace in the panic message otherwise.
pub fn error_of(trace: &CallTrace) -> (AuthErrorCode, &str) {
    match &trace.outcome {
        Err(e) => (e.code, e.message.as_str()),
        Ok(_) => panic!("expected a failure, got {trace:?}"),
    }
}
