//! A real "customer API" on loopback: records what Concierge sent and answers as told.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub raw: Bytes,
    pub body: Value,
}

type Handler = Arc<dyn Fn(Received) -> Pin<Box<dyn Future<Output = Response> + Send>> + Send + Sync>;

pub struct Customer {
    pub url: String,
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Customer {
    /// A customer API whose every POST /auth is answered by `answer`.
    pub async fn start<F, Fut>(answer: F) -> Customer
    where
        F: Fn(Received) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Response> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |r| Box::pin(answer(r)));
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        let app = Router::new().route(
            "/auth",
            post(move |headers: HeaderMap, raw: Bytes| {
                let handler = handler.clone();
                let log = log.clone();
                async move {
                    let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
                    let r = Received { headers, raw, body };
                    log.lock().expect("lock").push(r.clone());
                    handler(r).await
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("customer serves");
        });
        Customer { url: format!("http://127.0.0.1:{port}/auth"), port, received, task }
    }

    /// A customer API that knows a few users by access token and refuses the rest.
    pub async fn with_users() -> Customer {
        Customer::start(|r| async move { known_user(&r.body) }).await
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }
}

impl Drop for Customer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `tok-alice`, `tok-bob` and `tok-carol` are signed in; anything else gets 401.
pub fn known_user(body: &Value) -> Response {
    let user = match body["access_token"].as_str() {
        Some("tok-alice") => json!({"id": "u-1", "email": " Alice@Example.COM ", "name": "Alice Liddell",
            "phone_number": "+1 (555) 010-2030", "metadata": {"plan": "enterprise", "seats": 40}}),
        Some("tok-bob") => json!({"id": 2, "email": "bob@example.com", "name": "Bob", "phone_number": null,
            "metadata": {"plan": "free"}}),
        Some("tok-carol") => json!({"id": "u-3", "email": "carol@example.com", "name": "Carol"}),
        _ => return (axum::http::StatusCode::UNAUTHORIZED, axum::Json(json!({"error": "bad token"}))).into_response(),
    };
    axum::Json(json!({ "data": user })).into_response()
}
