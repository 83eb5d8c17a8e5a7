//! A customer's authentication endpoint that costs next to nothing: every access token is
//! a user whose id is the token itself, so the load generator chooses who signs in.

use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    listen: std::net::SocketAddr,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let app = Router::new().route("/auth", post(answer));
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

async fn answer(Json(body): Json<Value>) -> Json<Value> {
    let id = body["access_token"].as_str().unwrap_or("anonymous").to_owned();
    Json(json!({"data": {"id": id, "name": format!("Bench {id}"), "metadata": {"plan": "bench"}}}))
}
