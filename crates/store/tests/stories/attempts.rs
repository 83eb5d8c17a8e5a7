use concierge_domain::AttemptOutcome;
use concierge_store::{Attempt, AttemptFilter, Error, NewAttempt};

use super::support::{bot, Harness, HOUR, NOW};

/// An attempt of `bot_id` that ended with `outcome` (its wire name), at `now`.
pub fn attempt<'a>(bot_id: &'a str, outcome: &str, now: i64) -> NewAttempt<'a> {
    NewAttempt {
        bot_id,
        outcome: outcome.parse().expect("an outcome"),
        reason: None,
        latency_ms: 12,
        identifier: None,
        upstream_status: None,
        client_ip: None,
        is_test: false,
        cached: false,
        mode: concierge_domain::IdentityKind::CustomAuth,
        now,
    }
}

fn outcomes_and_times(attempts: &[Attempt]) -> Vec<(&str, i64)> {
    attempts.iter().map(|a| (a.outcome.as_str(), a.created_at - NOW)).collect()
}

pub async fn attempts_are_filtered_paged_and_purged(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let other_bot = super::support::bot(h.store.as_ref()).await;
    let outcomes = ["ok", "auth_upstream_error", "ok", "auth_timeout", "ok"];
    for (i, outcome) in (0..).zip(outcomes) {
        h.store.record_attempts(&[attempt(&bot.id, outcome, NOW + i)]).await.expect("record");
    }
    h.store.record_attempts(&[attempt(&other_bot.id, "ok", NOW)]).await.expect("record");
    let detailed = NewAttempt {
        reason: Some("the upstream answered 503"),
        latency_ms: 2_500,
        identifier: Some("ann@example.com"),
        upstream_status: Some(503),
        client_ip: Some("203.0.113.7"),
        is_test: true,
        cached: false,
        ..attempt(&other_bot.id, "auth_upstream_error", NOW + 10)
    };
    h.store.record_attempts(&[detailed]).await.expect("record");

    let list = |filter| h.store.list_attempts(&bot.id, filter);
    let all = list(AttemptFilter::default()).await.expect("list");
    assert_eq!(
        outcomes_and_times(&all),
        [("ok", 4), ("auth_timeout", 3), ("ok", 2), ("auth_upstream_error", 1), ("ok", 0)]
    );
    assert!(all.iter().all(|a| a.bot_id == bot.id));

    let ok = list(AttemptFilter { outcome: Some(AttemptOutcome::Ok), ..Default::default() }).await.expect("ok");
    assert_eq!(outcomes_and_times(&ok), [("ok", 4), ("ok", 2), ("ok", 0)]);
    let recent = list(AttemptFilter { since: Some(NOW + 3), ..Default::default() }).await;
    assert_eq!(outcomes_and_times(&recent.expect("since")), [("ok", 4), ("auth_timeout", 3)]);
    let both = AttemptFilter { outcome: Some(AttemptOutcome::Ok), since: Some(NOW + 1), ..Default::default() };
    assert_eq!(outcomes_and_times(&list(both).await.expect("both")), [("ok", 4), ("ok", 2)]);

    let mut pages = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let filter = AttemptFilter { before: before.as_deref(), limit: 2, ..Default::default() };
        let page = h.store.list_attempts(&bot.id, filter).await.expect("page");
        if page.is_empty() {
            break;
        }
        before = page.last().map(|a| a.id.clone());
        pages.push(page.iter().map(|a| a.created_at - NOW).collect::<Vec<_>>());
    }
    assert_eq!(pages, [vec![4, 3], vec![2, 1], vec![0]]);

    let other = h.store.list_attempts(&other_bot.id, AttemptFilter::default()).await;
    let other = other.expect("list the other bot's");
    let newest = &other[0];
    assert_eq!(newest.reason.as_deref(), Some("the upstream answered 503"));
    assert_eq!((newest.latency_ms, newest.upstream_status), (2_500, Some(503)));
    assert_eq!(newest.identifier.as_deref(), Some("ann@example.com"));
    assert_eq!(newest.client_ip.as_deref(), Some("203.0.113.7"));
    assert!(newest.is_test);
    assert_eq!((other[1].reason.as_deref(), other[1].is_test), (None, false));

    // Older than NOW + 2: two of this bot's and one of the other's.
    assert_eq!(h.store.purge_attempts(NOW + 2).await.expect("purge"), 3);
    let left = list(AttemptFilter::default()).await.expect("list");
    assert_eq!(outcomes_and_times(&left), [("ok", 4), ("auth_timeout", 3), ("ok", 2)]);
    assert_eq!(h.store.purge_attempts(NOW + 2).await.expect("purge again"), 0);

    let err = h.store.record_attempts(&[attempt("no-such-bot", "ok", NOW)]).await.expect_err("no bot");
    assert!(matches!(err, Error::NotFound("bot")), "{err:?}");
}

pub async fn page_sizes_are_clamped(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    for i in 0..201 {
        h.store.record_attempts(&[attempt(&bot.id, "ok", NOW + i)]).await.expect("record");
    }
    let bot_id = bot.id.as_str();
    let count = |limit| async move {
        let filter = AttemptFilter { limit, ..Default::default() };
        h.store.list_attempts(bot_id, filter).await.expect("list").len()
    };
    assert_eq!(count(0).await, 50, "0 asks for the default");
    assert_eq!(count(1).await, 1);
    assert_eq!(count(200).await, 200);
    assert_eq!(count(10_000).await, 200, "at most 200");
}

pub async fn attempts_are_counted_per_outcome_and_bucket(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    for (outcome, now) in
        [("ok", NOW), ("ok", NOW + 10), ("invalid_token", NOW + 20), ("ok", NOW + HOUR), ("ok", NOW - HOUR)]
    {
        h.store.record_attempts(&[attempt(&bot.id, outcome, now)]).await.expect("record");
    }
    let counts = h.store.count_attempts(&bot.id, NOW, HOUR).await.expect("count");
    let rows: Vec<_> = counts.iter().map(|c| (c.bucket, c.outcome.as_str(), c.count)).collect();
    let start = NOW / HOUR * HOUR;
    assert_eq!(rows, [(start, "invalid_token", 1), (start, "ok", 2), (start + HOUR, "ok", 1)]);
    assert!(h.store.count_attempts("other-bot", NOW, HOUR).await.expect("count").is_empty());
}
