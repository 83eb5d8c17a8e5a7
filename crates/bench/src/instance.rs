//! What the load generators ask of a Concierge instance besides their measured requests:
//! a bot to work with, and a widget socket past its hello.

use anyhow::{bail, Context};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::WebSocketStream;

/// Creates a bot named `name` through the admin API of the instance at `base`; its id.
pub async fn create_bot(http: &reqwest::Client, base: &str, admin_token: &str, name: &str) -> anyhow::Result<String> {
    let bot: Value = http
        .post(format!("{base}/api/admin/v1/bots"))
        .bearer_auth(admin_token)
        .json(&json!({"name": name}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(bot["id"].as_str().context("bot id")?.to_owned())
}

/// Says hello on a widget socket with `token`, and waits for the server's `ready`.
pub async fn hello<S: AsyncRead + AsyncWrite + Unpin>(
    socket: &mut WebSocketStream<S>,
    token: &str,
) -> anyhow::Result<()> {
    socket.send(Frame::text(json!({"type": "hello", "token": token, "after": 0}).to_string())).await?;
    loop {
        match socket.next().await.context("closed before ready")?? {
            Frame::Text(t) if serde_json::from_str::<Value>(&t)?["type"] == "ready" => return Ok(()),
            Frame::Text(t) => bail!("expected ready, got {t}"),
            _ => {}
        }
    }
}
