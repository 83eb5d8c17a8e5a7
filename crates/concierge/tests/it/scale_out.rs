//! Several instances on one PostgreSQL database and one Redis: an event published on any
//! of them reaches the widgets and inbox streams connected to every other.

use futures::StreamExt;
use serde_json::json;

use crate::inbox::{bot_events, send_as_visitor};
use crate::utils::{test_args, Backend, TestApp, DEADLINE};
use crate::widget::{connect, next_message};
use concierge::cli::ServeArgs;

/// The Redis the instances share: `CONCIERGE_TEST_REDIS_URL` or the machine's own. `None`
/// only when `CONCIERGE_TEST_SKIP_REDIS=1`; an unreachable Redis fails the test, on a
/// developer's machine as on CI.
async fn redis_url() -> Option<String> {
    if concierge_store::testing::skip_requested("CONCIERGE_TEST_SKIP_REDIS") {
        eprintln!("skipping a Redis test: CONCIERGE_TEST_SKIP_REDIS is set");
        return None;
    }
    let url = std::env::var("CONCIERGE_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let address = url.trim_start_matches("redis://").trim_end_matches('/').to_owned();
    if let Err(e) = tokio::net::TcpStream::connect(&address).await {
        panic!("Redis is required: cannot connect to {url}: {e}. Start it, or set CONCIERGE_TEST_SKIP_REDIS=1 to skip");
    }
    Some(url)
}

fn clustered(redis: &str) -> ServeArgs {
    ServeArgs { redis_url: Some(redis.to_owned()), ..test_args() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_through_one_instance_reaches_widgets_and_inboxes_on_the_others() {
    let Some(redis) = redis_url().await else { return };
    let Some(a) = TestApp::spawn_with(Backend::Postgres, clustered(&redis)).await else { return };
    let b = a.sibling(clustered(&redis)).await;
    let c = a.sibling(clustered(&redis)).await;

    let bot = a.bot().await;
    let (status, s) = a.start_session(json!({"bot_id": bot})).await;
    assert_eq!(status, 201, "{s}");
    let token = s["session_token"].as_str().unwrap().to_owned();
    // The visitor's socket went to B, the agent's inbox to C: the balancer chose.
    let mut widget = connect(&b, &token, 0).await;
    let mut inbox = std::pin::pin!(bot_events(&c, &bot).await);

    send_as_visitor(&a, &token, "Hello from instance A").await;
    assert_eq!(next_message(&mut widget).await["text"], "Hello from instance A", "the widget on B has it live");
    let mut seen = String::new();
    while !seen.contains("Hello from instance A") {
        let chunk = tokio::time::timeout(DEADLINE, inbox.next()).await.expect("the inbox on C in time");
        seen.push_str(&String::from_utf8_lossy(&chunk.expect("open").expect("a chunk")));
    }
    assert!(seen.contains("event: message"), "{seen}");

    // And back: the bot's answer, written on A, and an agent's reply written on C.
    assert_eq!(next_message(&mut widget).await["author"], "bot");
    let conversation = s["conversation"]["id"].as_str().unwrap();
    let (status, _) = c.post(&format!("/conversations/{conversation}/messages"), json!({"text": "Sam here"})).await;
    assert_eq!(status, 201);
    let reply = next_message(&mut widget).await;
    assert_eq!((reply["author"].as_str(), reply["text"].as_str()), (Some("agent"), Some("Sam here")));
}

#[tokio::test]
async fn redis_without_postgresql_is_refused() {
    let storage = concierge::cli::StorageArgs { data_dir: Some("/nonexistent".into()), ..Default::default() };
    let args = ServeArgs { redis_url: Some("redis://127.0.0.1:6379".into()), ..test_args() };
    let err = concierge::config::load_with_env(None, &[], &storage, &args).expect_err("refused");
    assert!(err.to_string().contains("PostgreSQL"), "{err}");
}

/// A deployment whose instances start together on an empty database: the migrations run
/// once (PostgreSQL's advisory lock serialises the migrators), and every instance serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_instances_started_at_once_migrate_the_database_once() {
    let Some(apps) = TestApp::cluster(4, test_args).await else { return };
    let runs = apps[0].psql("SELECT version, success FROM _sqlx_migrations ORDER BY version").await;
    let expected: Vec<String> = (1..=runs.len()).map(|v| format!("{v}|t")).collect();
    assert_eq!(runs, expected, "each migration once, in order, successful");
    assert!(runs.len() >= 8, "{runs:?}");
    let workspaces = apps[0].psql("SELECT count(*) FROM workspaces").await;
    assert_eq!(workspaces, ["1"], "one default workspace, not one per instance");
    for app in &apps {
        let (status, _) = app.get("/bots").await;
        assert_eq!(status, 200, "every instance serves");
    }
}
