//! Several instances on one PostgreSQL database and one Redis: an event published on any
//! of them reaches the widgets and inbox streams connected to every other.

use std::time::Duration;

use futures::StreamExt;
use serde_json::json;

use crate::inbox::{bot_events, send_as_visitor};
use crate::session_end::{assert_ended, no_periodic_checks};
use crate::utils::cut::Cuttable;
use crate::utils::{test_args, Backend, Customer, TestApp, DEADLINE};
use crate::widget::{connect, next, next_message};
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
    if let Err(e) = tokio::net::TcpStream::connect(address(&url)).await {
        panic!("Redis is required: cannot connect to {url}: {e}. Start it, or set CONCIERGE_TEST_SKIP_REDIS=1 to skip");
    }
    Some(url)
}

/// `host:port` of a `redis://host:port` URL.
fn address(redis: &str) -> String {
    redis.trim_start_matches("redis://").trim_end_matches('/').to_owned()
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

/// An instance given another secret key than the others can open no bot's sealed
/// settings, and would fail a share of every bot's sessions behind the balancer: what it
/// tries at start tells it so (it logs it as an error). It still starts: a key that was lost
/// must be replaceable.
async fn another_secret_key_is_found_out_at_start(app: TestApp) {
    app.bot_with_auth("https://auth.example/check", json!({})).await;
    let other_key = "b3RoZXIta2V5LW9mLXRoaXJ0eS10d28tYnl0ZXMhIT0="; // another 32 bytes
    let other = concierge_core::seal::Sealer::from_key(&[9; 32]);
    let store = app.services.store.as_ref();
    assert_eq!(concierge::app::secrets_the_key_opens(&other, store).await.unwrap(), (0, 1));
    app.start_another(&[("CONCIERGE_SECRET_KEY", other_key)]).await.expect("it starts all the same");
    app.start_another(&[]).await.expect("the same key starts");
}
crate::both_backends!(another_secret_key_is_found_out_at_start, super::another_secret_key_is_found_out_at_start);

async fn readyz(app: &TestApp) -> String {
    let resp = app.http.get(app.url("/readyz")).send().await.expect("readyz");
    assert_eq!(resp.status(), 200, "the instance stays ready without Redis");
    resp.text().await.expect("body")
}

/// Redis goes away and returns: each instance keeps serving and delivering its own events;
/// the other instance's widget catches up on what it missed, and live delivery resumes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_redis_returns_the_other_instances_catch_up() {
    let Some(redis) = redis_url().await else { return };
    let proxy = Cuttable::start(&address(&redis)).await;
    let through_proxy = format!("redis://{}", proxy.addr);
    let Some(a) = TestApp::spawn_with(Backend::Postgres, clustered(&through_proxy)).await else { return };
    let b = a.sibling(clustered(&through_proxy)).await;
    let bot = a.bot().await;
    let (_, s) = a.start_session(json!({"bot_id": bot})).await;
    let token = s["session_token"].as_str().unwrap().to_owned();
    let mut on_a = connect(&a, &token, 0).await;
    let mut on_b = connect(&b, &token, 0).await;
    send_as_visitor(&a, &token, "before").await;
    assert_eq!(next_message(&mut on_b).await["text"], "before");
    assert_eq!(next_message(&mut on_b).await["author"], "bot");
    assert_eq!(next_message(&mut on_a).await["text"], "before");
    assert_eq!(next_message(&mut on_a).await["author"], "bot");

    proxy.cut();
    crate::utils::eventually("B reports the degraded bus", || async {
        readyz(&b).await.contains("bus degraded").then_some(())
    })
    .await;
    send_as_visitor(&a, &token, "during").await;
    assert_eq!(next_message(&mut on_a).await["text"], "during", "same-instance delivery is unaffected");

    proxy.restore();
    crate::utils::eventually("B's subscription returns", || async { (readyz(&b).await == "ready").then_some(()) })
        .await;
    // B's widget gets what it missed when the subscription returns (the bot, which handed
    // the conversation to the team at "before", stays silent), then live events again.
    let missed = loop {
        let frame = next(&mut on_b).await;
        if frame["type"] == "message" {
            break frame["message"]["text"].clone();
        }
    };
    assert_eq!(missed, "during");
    assert_eq!(readyz(&b).await, "ready");
    let metrics = b.http.get(b.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("concierge_bus_reconnects_total"), "{metrics}");
    send_as_visitor(&a, &token, "after").await;
    loop {
        let m = next_message(&mut on_b).await;
        if m["text"] == "after" {
            break;
        }
    }
}

/// An instance restarted while Redis is down (a deploy during an outage) starts and serves
/// its visitors, its bus degraded; when Redis returns it joins the others, live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_started_while_redis_is_down_serves_and_joins_when_it_returns() {
    let Some(redis) = redis_url().await else { return };
    let proxy = Cuttable::start(&address(&redis)).await;
    let Some(a) = TestApp::spawn_with(Backend::Postgres, clustered(&redis)).await else { return };
    proxy.cut();
    let b = a.sibling(clustered(&format!("redis://{}", proxy.addr))).await;
    assert!(readyz(&b).await.contains("bus degraded"), "B says what it lacks");
    let bot = a.bot().await;
    let (status, s) = b.start_session(json!({"bot_id": bot})).await;
    assert_eq!(status, 201, "B serves visitors meanwhile: {s}");
    let token = s["session_token"].as_str().unwrap().to_owned();
    let mut on_b = connect(&b, &token, 0).await;
    send_as_visitor(&b, &token, "while Redis is down").await;
    assert_eq!(next_message(&mut on_b).await["text"], "while Redis is down");
    assert_eq!(next_message(&mut on_b).await["author"], "bot");

    proxy.restore();
    crate::utils::eventually("B's bus connects", || async { (readyz(&b).await == "ready").then_some(()) }).await;
    send_as_visitor(&a, &token, "through A").await;
    loop {
        let frame = next(&mut on_b).await;
        if frame["type"] == "message" && frame["message"]["text"] == "through A" {
            break;
        }
    }
}

/// B's connections to Redis fall silent without closing (its link died, a middlebox forgot
/// the flow): B finds out because it hears nothing, not even the instances' beats, subscribes
/// again, and its widget gets what A published meanwhile, then live events again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_connection_that_falls_silent_is_found_out_and_replaced() {
    let Some(redis) = redis_url().await else { return };
    let proxy = Cuttable::start(&address(&redis)).await;
    let Some(a) = TestApp::spawn_with(Backend::Postgres, clustered(&redis)).await else { return };
    let b = a.sibling(clustered(&format!("redis://{}", proxy.addr))).await;
    let bot = a.bot().await;
    let (_, s) = a.start_session(json!({"bot_id": bot})).await;
    let token = s["session_token"].as_str().unwrap().to_owned();
    let mut on_b = connect(&b, &token, 0).await;
    send_as_visitor(&a, &token, "before").await;
    assert_eq!(next_message(&mut on_b).await["text"], "before");
    assert_eq!(next_message(&mut on_b).await["author"], "bot");

    proxy.stall();
    send_as_visitor(&a, &token, "during").await;
    // Within the silence B tolerates and a beat (20 s), well inside the frame deadline.
    assert_eq!(next_message(&mut on_b).await["text"], "during");
    let metrics = b.http.get(b.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let reconnects = metrics.lines().find(|l| l.starts_with("concierge_bus_reconnects_total"));
    assert!(reconnects.is_some_and(|l| !l.ends_with(" 0")), "{reconnects:?}");
    assert_eq!(readyz(&b).await, "ready");
    send_as_visitor(&a, &token, "after").await;
    assert_eq!(next_message(&mut on_b).await["text"], "after", "live again");
}

/// One person signing in on many devices at once, the starts spread by the balancer over
/// three instances: one contact, one conversation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_concurrent_starts_across_three_instances_make_one_contact_and_one_conversation() {
    let Some(redis) = redis_url().await else { return };
    let Some(a) = TestApp::spawn_with(Backend::Postgres, clustered(&redis)).await else { return };
    let customer = Customer::with_users().await;
    let bot = a.bot_with_auth(&customer.url, json!({"identify_method": "email"})).await;
    let b = a.sibling(clustered(&redis)).await;
    let c = a.sibling(clustered(&redis)).await;
    let instances = [std::sync::Arc::new(a), std::sync::Arc::new(b), std::sync::Arc::new(c)];
    let starts: Vec<_> = (0..500)
        .map(|i| {
            let (instance, bot) = (instances[i % 3].clone(), bot.clone());
            tokio::spawn(
                async move { instance.start_session(json!({"bot_id": bot, "access_token": "tok-alice"})).await },
            )
        })
        .collect();
    let (mut contacts, mut conversations) = (std::collections::HashSet::new(), std::collections::HashSet::new());
    for start in starts {
        let (status, s) = start.await.expect("join");
        assert_eq!(status, 201, "{s}");
        contacts.insert(s["contact"]["id"].as_str().expect("a contact").to_owned());
        conversations.insert(s["conversation"]["id"].as_str().expect("a conversation").to_owned());
    }
    assert_eq!((contacts.len(), conversations.len()), (1, 1), "{contacts:?} {conversations:?}");
    assert_eq!(instances[2].contacts(&bot).await.len(), 1);
}

/// A setting saved through one instance holds on the others at once: nothing another
/// instance needs is kept only in memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_setting_saved_on_one_instance_holds_on_another_at_once() {
    let Some(redis) = redis_url().await else { return };
    let Some(a) = TestApp::spawn_with(Backend::Postgres, clustered(&redis)).await else { return };
    let b = a.sibling(clustered(&redis)).await;
    let bot = a.bot().await;
    let start_on_b = || async { b.start_session_on(Some("https://shop.example"), json!({"bot_id": bot})).await.0 };
    assert_eq!(start_on_b().await, 201);
    let (status, _) =
        a.put(&format!("/bots/{bot}/custom-auth"), json!({"allowed_origins": ["https://other.example"]})).await;
    assert_eq!(status, 200);
    assert_eq!(start_on_b().await, 403, "B refuses the origin A's change no longer allows");
    let (status, _) =
        a.put(&format!("/bots/{bot}/custom-auth"), json!({"allowed_origins": ["https://shop.example"]})).await;
    assert_eq!(status, 200);
    assert_eq!(start_on_b().await, 201, "and accepts it again as soon as A allows it");
}

/// The per-bot limit on session starts holds for the cluster: two instances allow what one
/// would, not twice as much.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_bot_session_limit_holds_for_the_cluster() {
    let Some(redis) = redis_url().await else { return };
    let five_per_minute = || ServeArgs { session_rate_per_bot: Some(5), ..clustered(&redis) };
    let Some(a) = TestApp::spawn_with(Backend::Postgres, five_per_minute()).await else { return };
    let b = a.sibling(five_per_minute()).await;
    let bot = a.bot().await;
    let mut statuses = Vec::new();
    for i in 0..10 {
        let instance = if i % 2 == 0 { &a } else { &b };
        statuses.push(instance.start_session(json!({"bot_id": bot})).await.0);
    }
    let allowed = statuses.iter().filter(|s| **s == 201).count();
    assert_eq!(allowed, 5, "{statuses:?}");
    assert!(statuses.iter().all(|s| [201, 429].contains(s)), "{statuses:?}");
}

/// While Redis is away, each instance counts on its own: the limit still holds per
/// instance (a cluster of two allows at most twice the limit), and nothing is refused for
/// want of Redis. Nor does every request wait for Redis first: once it failed to answer, an
/// instance stops asking it for a while.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_each_instance_holds_the_limit_on_its_own() {
    let Some(redis) = redis_url().await else { return };
    let proxy = Cuttable::start(&address(&redis)).await;
    let five_per_minute =
        || ServeArgs { session_rate_per_bot: Some(5), ..clustered(&format!("redis://{}", proxy.addr)) };
    let Some(a) = TestApp::spawn_with(Backend::Postgres, five_per_minute()).await else { return };
    let b = a.sibling(five_per_minute()).await;
    let bot = a.bot().await;
    let unanswered_before = unanswered_limit_checks(&a).await;
    proxy.cut();
    for instance in [&a, &b] {
        let mut statuses = Vec::new();
        for _ in 0..7 {
            statuses.push(instance.start_session(json!({"bot_id": bot})).await.0);
        }
        assert_eq!(statuses, [201, 201, 201, 201, 201, 429, 429], "five, then refused, on each instance");
    }
    let metrics = a.http.get(a.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("concierge_rate_limit_fallbacks_total"), "{metrics}");
    // 28 counts (a start counts per client and per bot); Redis was asked about one on each
    // instance, give or take another test's outage (the metrics are the process's).
    let asked = unanswered_limit_checks(&a).await - unanswered_before;
    assert!((2..=6).contains(&asked), "Redis asked {asked} times while away");
}

async fn unanswered_limit_checks(app: &TestApp) -> u64 {
    let metrics = app.http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let line = metrics.lines().find(|l| l.starts_with("concierge_rate_limit_redis_unanswered_total "));
    line.and_then(|l| l.rsplit(' ').next()?.parse().ok()).unwrap_or(0)
}

/// The knowledge index each instance keeps in memory follows an article edited on another
/// instance at the next question: an instance never answers from an article that is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_article_edited_on_one_instance_is_what_another_answers_from() {
    let Some(redis) = redis_url().await else { return };
    let Some(a) = TestApp::spawn_with(Backend::Postgres, clustered(&redis)).await else { return };
    let b = a.sibling(clustered(&redis)).await;
    let bot = a.bot().await;
    let ask_b = || async {
        let (status, preview) = b.post(&format!("/bots/{bot}/ask"), json!({"text": "how long do refunds take"})).await;
        assert_eq!(status, 200, "{preview}");
        (preview["action"].as_str().unwrap_or_default().to_owned(), preview["text"].as_str().map(str::to_owned))
    };
    let article = json!({"title": "Refunds", "body": "Refunds take 10 days."});
    let (status, created) = a.post(&format!("/bots/{bot}/articles"), article).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(ask_b().await, ("answer".to_owned(), Some("Refunds take 10 days.".to_owned())), "B indexed it");

    let id = created["id"].as_str().unwrap();
    let edit = json!({"title": "Refunds", "body": "Refunds take 5 days now."});
    assert_eq!(a.put(&format!("/bots/{bot}/articles/{id}"), edit).await.0, 200);
    assert_eq!(ask_b().await.1.as_deref(), Some("Refunds take 5 days now."), "B answers from the edit at once");
    assert_eq!(a.admin(reqwest::Method::DELETE, &format!("/bots/{bot}/articles/{id}"), None).await.0, 204);
    assert_eq!(ask_b().await.0, "handoff", "and never from a deleted article");
}

/// A logout on one instance ends the session's socket on another at once: the logout
/// travels on the bus, the socket reads nothing from the database to find out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_on_one_instance_closes_the_socket_on_another_at_once() {
    let Some(redis) = redis_url().await else { return };
    let Some(a) = TestApp::spawn_with(Backend::Postgres, clustered(&redis)).await else { return };
    let b = a.sibling_tuned(clustered(&redis), no_periodic_checks).await;
    let bot = a.bot().await;
    let (_, s) = a.start_session(json!({"bot_id": bot})).await;
    let token = s["session_token"].as_str().unwrap();
    let mut on_b = connect(&b, token, 0).await;
    let bye = a.http.delete(a.url("/api/widget/v1/session")).bearer_auth(token).send().await.unwrap();
    assert_eq!(bye.status(), 204);
    assert_ended(&mut on_b, "unauthorized").await;
}

/// Without the bus between instances, a logout on another instance cannot be heard: the
/// socket's periodic check then asks the database, and still ends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_redis_is_away_a_socket_checks_its_session_in_the_database() {
    let Some(redis) = redis_url().await else { return };
    let proxy = Cuttable::start(&address(&redis)).await;
    let through_proxy = format!("redis://{}", proxy.addr);
    let Some(a) = TestApp::spawn_with(Backend::Postgres, clustered(&through_proxy)).await else { return };
    let b = a
        .sibling_tuned(clustered(&through_proxy), |c| c.settings.socket_check_every = Duration::from_millis(300))
        .await;
    let bot = a.bot().await;
    let (_, s) = a.start_session(json!({"bot_id": bot})).await;
    let token = s["session_token"].as_str().unwrap();
    let mut on_b = connect(&b, token, 0).await;
    proxy.cut();
    crate::utils::eventually("B reports the degraded bus", || async {
        readyz(&b).await.contains("bus degraded").then_some(())
    })
    .await;
    let bye = a.http.delete(a.url("/api/widget/v1/session")).bearer_auth(token).send().await.unwrap();
    assert_eq!(bye.status(), 204);
    assert_ended(&mut on_b, "unauthorized").await;
}
