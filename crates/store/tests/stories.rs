//! The store's story suite: every story runs once on SQLite and once on PostgreSQL, each
//! time on a fresh database. PostgreSQL stories are skipped when the server is unreachable,
//! unless `CI=true`.
//!
//! `cargo test -p concierge-store --features testing`

mod stories {
    pub mod attempts;
    pub mod bots;
    pub mod contacts;
    pub mod logins;
    pub mod messages;
    pub mod sessions;
    pub mod support;
    pub mod workspaces;
}

use concierge_store::testing::{temp_sqlite, TempDir, TempPostgres};
use concierge_store::{PostgresStore, SqliteStore, Store};
use sqlx::{Connection, PgConnection, SqliteConnection};

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
    bots::corrupt_custom_auth_is_reported,
    contacts::upsert_creates_then_replaces_the_profile,
    contacts::contacts_are_found_by_normalised_identifier,
    contacts::contacts_are_listed_newest_first_in_pages,
    contacts::concurrent_upserts_create_one_contact,
    contacts::corrupt_metadata_is_reported,
    contacts::contacts_are_searched_by_name_email_phone_and_ids,
    sessions::anonymous_visitor_gets_a_new_conversation,
    sessions::refreshed_visitor_keeps_the_conversation,
    sessions::signing_in_hands_the_visitor_conversation_to_the_contact,
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
    attempts::attempts_are_filtered_paged_and_purged,
    attempts::page_sizes_are_clamped,
    attempts::attempts_are_counted_per_outcome_and_bucket,
    logins::the_first_user_is_created_once_through_a_setup_link,
    logins::a_failed_claim_keeps_the_link,
    logins::logins_find_their_user_until_they_expire_or_end,
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
