//! Identity modes beyond the call (issue 14): signed user tokens and identity hashes,
//! checked against tokens and hashes that independent stock libraries make.

mod hash;
mod jwt;
mod oidc;
mod settings;
mod signers;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::utils::TestApp;

/// A bot whose identity settings are `settings` (PUT); returns the bot and the settings
/// as read back.
pub async fn bot_with_identity(app: &TestApp, settings: Value) -> (String, Value) {
    let bot = app.bot().await;
    let (status, body) = app.put(&format!("/bots/{bot}/identity"), settings).await;
    assert_eq!(status, 200, "{body}");
    (bot, body)
}

/// A widget session start with an access token (and `extra` fields).
pub async fn start(app: &TestApp, bot: &str, token: &str, extra: Value) -> (u16, Value) {
    let mut body = json!({"bot_id": bot, "access_token": token});
    body.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
    app.start_session(body).await
}

/// A customer's JWKS endpoint on loopback: serves whatever keys the test publishes, and
/// counts the fetches.
pub struct JwksServer {
    pub url: String,
    keys: Arc<Mutex<Vec<Value>>>,
    fetches: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl JwksServer {
    pub async fn start() -> Self {
        let keys: Arc<Mutex<Vec<Value>>> = Arc::default();
        let fetches: Arc<AtomicUsize> = Arc::default();
        let (served, counted) = (keys.clone(), fetches.clone());
        let app = axum::Router::new().route(
            "/.well-known/jwks.json",
            axum::routing::get(move || {
                let (served, counted) = (served.clone(), counted.clone());
                async move {
                    counted.fetch_add(1, Ordering::SeqCst);
                    axum::Json(json!({"keys": served.lock().unwrap().clone()}))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/.well-known/jwks.json", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        Self { url, keys, fetches, task }
    }

    pub fn publish(&self, keys: Vec<Value>) {
        *self.keys.lock().unwrap() = keys;
    }

    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
