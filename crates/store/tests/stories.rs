//! The store's story suite: every story runs once on SQLite and once on PostgreSQL, each
//! time on a fresh database. A missing PostgreSQL server fails its stories, unless
//! `CONCIERGE_TEST_SKIP_POSTGRES=1` asks to skip them.
//!
//! `cargo test -p concierge-store --features testing`

mod stories {
    pub mod attempts;
    pub mod bots;
    pub mod contacts;
    pub mod handoff;
    pub mod inbox;
    pub mod knowledge;
    pub mod logins;
    pub mod messages;
    pub mod sessions;
    pub mod sign_in;
    pub mod starts;
    pub mod state_checks;
    pub mod support;
    pub mod unanswered;
    pub mod workspaces;
}

use concierge_store::prelude::*;
use concierge_store::testing::{temp_sqlite, TempDir, TempPostgres};
use concierge_store::{Bot, PostgresStore, SqliteStore, DEFAULT_GREETING};
use serde_json::json;
use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, Executor, PgConnection, SqliteConnection};

/// Declares a `sqlite::<story>` and a `postgres::<story>` test for each story.
macro_rules! on_both_backends {
    ($($module:ident :: $story:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $story() {
                    let harness = crate::stories::support::Harness::sqlite().await;
                    crate::stories::$module::$story(&harness).await;
                    harness.finish().await;
                }
            )+
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $story() {
                    let Some(harness) = crate::stories::support::Harness::postgres().await else {
                        return;
                    };
                    crate::stories::$module::$story(&harness).await;
                    harness.finish().await;
                }
            )+
        }
    };
}

on_both_backends!(
    workspaces::default_workspace_is_created_once,
    workspaces::default_workspace_is_created_once_under_concurrency,
    workspaces::workspace_names_are_unique,
    workspaces::user_emails_are_unique,
    workspaces::api_tokens_find_their_owner,
    bots::bots_are_created_listed_and_renamed,
    bots::custom_auth_round_trips_and_is_replaced,
    bots::identity_secrets_change_only_at_the_revision_read,
    bots::corrupt_custom_auth_is_reported,
    bots::answer_settings_have_defaults_and_round_trip,
    bots::llm_settings_keep_or_replace_the_key,
    knowledge::articles_are_written_and_each_write_bumps_the_revision,
    knowledge::concurrent_article_writes_all_bump_the_revision,
    knowledge::concurrent_article_writes_stop_at_the_cap,
    knowledge::articles_and_llm_settings_go_with_their_bot,
    knowledge::article_embeddings_round_trip_per_bot_and_model,
    knowledge::a_new_article_embedding_replaces_the_old,
    knowledge::article_embeddings_go_with_their_article,
    knowledge::article_embeddings_race_their_articles_deletion,
    unanswered::unanswered_questions_are_listed_newest_first_and_dismissed,
    unanswered::unanswered_questions_go_with_their_conversation_and_outlive_their_article,
    unanswered::an_unanswered_question_answered_with_an_article_is_how_it_is_asked,
    unanswered::questions_answered_with_one_article_at_once_all_stay,
    unanswered::answering_with_an_article_races_its_deletion,
    contacts::upsert_creates_then_replaces_the_profile,
    contacts::contacts_are_found_by_normalised_identifier,
    contacts::contacts_are_listed_newest_first_in_pages,
    contacts::concurrent_upserts_create_one_contact,
    contacts::corrupt_metadata_is_reported,
    contacts::contacts_are_searched_by_name_email_phone_and_ids,
    starts::a_batch_writes_each_person_once,
    starts::concurrent_batches_create_one_contact_and_one_conversation,
    starts::a_batch_that_cannot_be_written_writes_nothing,
    sessions::anonymous_visitor_gets_a_new_conversation,
    sessions::what_the_page_said_is_kept_with_the_conversation,
    sessions::refreshed_visitor_keeps_the_conversation,
    sign_in::a_visitor_without_history_hands_their_conversation_to_the_contact,
    sign_in::signing_in_joins_the_visitors_messages_to_the_contacts_conversation,
    sign_in::a_person_answering_stays_when_a_visitor_joins,
    sign_in::a_higher_priority_alone_changes_the_handler,
    sign_in::an_empty_visitor_conversation_never_hides_the_history,
    sign_in::a_refused_sign_in_continues_the_visitor_conversation_but_proves_nothing,
    sign_in::the_same_access_token_proves_the_conversation_it_was_refused_in,
    sign_in::a_repeated_client_id_does_not_stop_a_sign_in,
    sign_in::abandoned_anonymous_conversations_are_purged,
    sessions::contact_returns_to_the_latest_conversation,
    sessions::foreign_expired_and_identified_visitor_tokens_are_ignored,
    sessions::unknown_bot_and_contact_are_not_found,
    sessions::sessions_expire_and_are_purged,
    sessions::a_revoked_session_is_gone,
    sessions::a_contacts_conversations_are_listed_most_recent_first,
    sessions::the_inbox_lists_active_conversations_with_their_latest_message,
    sessions::concurrent_first_sign_ins_share_one_conversation,
    messages::messages_are_ordered_and_paged_by_seq,
    messages::concurrent_messages_get_distinct_increasing_seqs,
    messages::message_to_a_missing_conversation_is_not_found,
    messages::the_newest_messages_come_oldest_first,
    messages::messages_keep_their_authors_names,
    messages::bot_messages_keep_their_emphasis,
    messages::a_message_sent_again_with_its_client_id_is_written_once,
    handoff::the_bot_hands_off_only_while_it_handles_the_conversation,
    handoff::the_bot_answers_only_while_it_handles_the_conversation,
    handoff::one_of_concurrent_takers_wins,
    handoff::the_inbox_lists_waiting_conversations_first,
    inbox::each_message_tells_the_inbox_how_it_lists_the_conversation,
    inbox::the_latest_message_follows_merged_messages,
    inbox::a_contacts_history_is_the_newest_messages_of_each_conversation,
    inbox::the_auth_log_pages_by_time,
    inbox::dashboard_statements_are_served_by_indexes,
    inbox::the_inbox_and_a_thread_page_to_their_oldest,
    attempts::attempts_are_filtered_paged_and_purged,
    attempts::page_sizes_are_clamped,
    attempts::attempts_are_counted_per_outcome_and_bucket,
    logins::the_first_user_is_created_once_through_a_setup_link,
    logins::a_failed_claim_keeps_the_link,
    logins::logins_find_their_user_until_they_expire_or_end,
    logins::users_have_display_names,
);

#[tokio::test]
async fn sqlite_open_creates_directories_and_uses_wal() {
    let dir = TempDir::new().expect("create a temporary directory");
    let path = dir.path().join("nested").join("deeper").join("concierge.db");
    let store = SqliteStore::open(&path).await.expect("open in a missing directory");
    store.ping().await.expect("ping");

    let mut conn =
        SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.expect("open the file directly");
    let mode: String =
        sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut conn).await.expect("read the journal mode");
    assert_eq!(mode, "wal");
    conn.close().await.expect("close");

    // Opening again runs the (already applied) migrations without complaint.
    store.close().await;
    let again = SqliteStore::open(&path).await.expect("reopen");
    assert!(again.default_workspace().await.expect("default workspace").is_default);
    again.close().await;
}

/// What the writer commits reaches the database file within a moment, copied from the WAL
/// by the store's checkpointer (the writer itself checkpoints only every 10,000 pages): a
/// copy of `concierge.db` alone is current, and the WAL stays small when writes are few.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_writes_reach_the_database_file_while_the_store_runs() {
    use std::time::{Duration, Instant};
    use stories::support::{bot, metadata, upsert, Harness};

    let harness = Harness::sqlite().await;
    let path = harness.database();
    let size = || std::fs::metadata(&path).map(|m| m.len()).expect("the database file");
    let store = harness.store.as_ref();
    let bot = bot(store).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let before = size();

    let profile = metadata(json!({"notes": "x".repeat(4000)}));
    for i in 0..300 {
        store.upsert_contact(upsert(&bot.id, &format!("user-{i}"), &profile)).await.expect("upsert");
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while size() < before + 1_000_000 {
        assert!(Instant::now() < deadline, "1.2 MB written, the database file grew by {} bytes", size() - before);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    harness.finish().await;
}

#[tokio::test]
async fn sqlite_temp_store_is_usable() {
    let (store, dir) = temp_sqlite().await;
    store.ping().await.expect("ping");
    assert!(dir.path().join("concierge.db").exists());
    store.close().await;
}

/// Instances of a scaled-out deployment start together: the advisory lock of sqlx's
/// migrator makes them migrate once, without tripping over each other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_instances_starting_together_migrate_once() {
    let Some(db) = TempPostgres::create().await else { return };
    let connecting: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url.clone();
            tokio::spawn(async move { PostgresStore::connect(&url, 2).await })
        })
        .collect();
    let mut stores = Vec::new();
    for handle in connecting {
        stores.push(handle.await.expect("join").expect("connect and migrate"));
    }
    for store in &stores {
        assert!(store.default_workspace().await.expect("default workspace").is_default);
        store.close().await;
    }
    db.drop_db().await;
}

/// A test that panics never reaches `drop_db`; dropping the guard still removes the
/// database, disconnecting the store that was using it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_temp_database_is_dropped_by_the_guard() {
    let Some(db) = TempPostgres::create().await else { return };
    let url = db.url.clone();
    let store = PostgresStore::connect(&url, 1).await.expect("connect");
    store.ping().await.expect("ping");

    drop(db);
    let err = PgConnection::connect(&url).await.expect_err("the database is gone");
    assert!(err.to_string().contains("does not exist"), "{err}");
    store.close().await;
}

/// Greetings as migrations 0001 to 0004 stored them (`{name}` and otherwise literal text),
/// and the Jinja templates 0005 makes of them. `None`: the column's default.
const GREETINGS: [(Option<&str>, &str); 5] = [
    (None, DEFAULT_GREETING),
    (
        Some("Hello {name}, {name}!"),
        r#"Hello {{ contact.name | default("there") }}, {{ contact.name | default("there") }}!"#,
    ),
    (Some("No name, it's me."), "No name, it's me."),
    (
        Some("Codes look like {{code}}, {% or {# here, {name}."),
        concat!(
            r#"{% raw %}Codes look like {{code}}, {% or {# here, {% endraw %}"#,
            r#"{{ contact.name | default("there") }}{% raw %}.{% endraw %}"#,
        ),
    ),
    (Some("{{name}"), r#"{% raw %}{{% endraw %}{{ contact.name | default("there") }}{% raw %}{% endraw %}"#),
];

/// Only the migrations up to `version`: what an older release ran.
fn up_to(mut migrator: Migrator, version: i64) -> Migrator {
    migrator.migrations =
        migrator.migrations.iter().filter(|m| m.version <= version).cloned().collect::<Vec<_>>().into();
    migrator
}

/// A SQLite file as a release with the migrations up to `version` left it, holding `rows`.
async fn old_sqlite(version: i64, rows: &str) -> (TempDir, SqliteConnectOptions) {
    let dir = TempDir::new().expect("create a temporary directory");
    let path = dir.path().join("concierge.db");
    let options = SqliteConnectOptions::new().filename(&path).create_if_missing(true).foreign_keys(true);
    let mut conn = SqliteConnection::connect_with(&options).await.expect("create the file");
    up_to(sqlx::migrate!("./migrations/sqlite"), version).run(&mut conn).await.expect("migrate the old versions");
    conn.execute(rows).await.expect("insert old rows");
    conn.close().await.expect("close");
    (dir, options)
}

/// `db` as a release with the migrations up to `version` left it, holding `rows`; the
/// connection that wrote them, still open.
async fn old_postgres(db: &TempPostgres, version: i64, rows: &str) -> PgConnection {
    let mut conn = PgConnection::connect(&db.url).await.expect("connect");
    up_to(sqlx::migrate!("./migrations/postgres"), version).run(&mut conn).await.expect("migrate the old versions");
    conn.execute(rows).await.expect("insert old rows");
    conn
}

/// A workspace with a bot per greeting of [`GREETINGS`], in SQL both backends run.
fn old_bots() -> String {
    let mut sql = "INSERT INTO workspaces (id, name, created_at) VALUES ('w', 'Old', 1);".to_owned();
    for (i, (greeting, _)) in GREETINGS.iter().enumerate() {
        sql += &match greeting {
            Some(greeting) => format!(
                "INSERT INTO bots (id, workspace_id, name, greeting, created_at, updated_at)
                 VALUES ('b{i}', 'w', 'Bot', '{}', 1, 1);",
                greeting.replace('\'', "''")
            ),
            None => format!(
                "INSERT INTO bots (id, workspace_id, name, created_at, updated_at) VALUES ('b{i}', 'w', 'Bot', 1, 1);"
            ),
        };
    }
    sql
}

fn assert_upgraded(bots: &[Bot]) {
    let greetings: Vec<_> = bots.iter().map(|bot| bot.greeting.as_str()).collect();
    assert_eq!(greetings, GREETINGS.map(|(_, template)| template));
    for bot in bots {
        assert_eq!((bot.knowledge_revision, &bot.rules, bot.confidence_threshold), (0, &json!([]), 35));
        assert!(bot.not_sure_text.starts_with("I'm not sure") && bot.handoff_text.starts_with("I'm bringing"));
    }
}

#[tokio::test]
async fn sqlite_0005_turns_greetings_into_templates() {
    let (_dir, old) = old_sqlite(4, &old_bots()).await;
    let store = SqliteStore::open(old.get_filename()).await.expect("open and migrate to 0005");
    assert_upgraded(&store.list_bots("w").await.expect("list bots"));
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_0005_turns_greetings_into_templates() {
    let Some(db) = TempPostgres::create().await else { return };
    old_postgres(&db, 4, &old_bots()).await.close().await.expect("close");

    let store = PostgresStore::connect(&db.url, 1).await.expect("connect and migrate to 0005");
    assert_upgraded(&store.list_bots("w").await.expect("list bots"));
    store.close().await;
    db.drop_db().await;
}

#[tokio::test]
async fn sqlite_0008_checks_the_states_and_keeps_every_row() {
    use stories::state_checks::{assert_upgraded, old_rows, OUT_OF_RANGE};
    let (_dir, options) = old_sqlite(7, &old_rows("0")).await;
    let store = SqliteStore::open(options.get_filename()).await.expect("open and migrate to 0008");
    assert_upgraded(&store).await;
    store.close().await;
    let mut conn = SqliteConnection::connect_with(&options).await.expect("reopen");
    for statement in OUT_OF_RANGE {
        let refused = conn.execute(statement).await.expect_err(statement).to_string();
        assert!(refused.contains("CHECK constraint failed"), "{statement}: {refused}");
    }
    // New rows too, not only changed ones.
    let insert = "INSERT INTO messages (conversation_id, author, text, created_at) VALUES ('c', 'admin', 'x', 9)";
    assert!(conn.execute(insert).await.expect_err(insert).to_string().contains("CHECK constraint failed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_0008_checks_the_states_and_keeps_every_row() {
    use stories::state_checks::{assert_upgraded, old_rows, OUT_OF_RANGE};
    let Some(db) = TempPostgres::create().await else { return };
    let mut conn = old_postgres(&db, 7, &old_rows("false")).await;

    let store = PostgresStore::connect(&db.url, 1).await.expect("connect and migrate to 0008");
    assert_upgraded(&store).await;
    store.close().await;
    for statement in OUT_OF_RANGE {
        let refused = conn.execute(statement).await.expect_err(statement).to_string();
        assert!(refused.contains("violates check constraint"), "{statement}: {refused}");
    }
    let insert = "INSERT INTO messages (conversation_id, author, text, created_at) VALUES ('c', 'admin', 'x', 9)";
    assert!(conn.execute(insert).await.expect_err(insert).to_string().contains("violates check constraint"));
    conn.close().await.expect("close");
    db.drop_db().await;
}

#[tokio::test]
async fn sqlite_0009_finds_each_conversations_latest_message() {
    use stories::inbox::{assert_backfilled, OLD_CONVERSATIONS};
    let (_dir, old) = old_sqlite(8, OLD_CONVERSATIONS).await;
    let store = SqliteStore::open(old.get_filename()).await.expect("open and migrate to 0009");
    assert_backfilled(&store).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_0009_finds_each_conversations_latest_message() {
    use stories::inbox::{assert_backfilled, OLD_CONVERSATIONS};
    let Some(db) = TempPostgres::create().await else { return };
    old_postgres(&db, 8, OLD_CONVERSATIONS).await.close().await.expect("close");

    let store = PostgresStore::connect(&db.url, 1).await.expect("connect and migrate to 0009");
    assert_backfilled(&store).await;
    store.close().await;
    db.drop_db().await;
}
