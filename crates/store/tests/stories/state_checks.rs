//! Migration 0008: the states get CHECK constraints (triggers that say the same on SQLite). A database of the previous version
//! upgrades with nothing lost (rows, references, the message counter), and afterwards a
//! state outside the domain's types is refused by the database itself.

use concierge_domain::{AttemptOutcome, AuthErrorCode, Author, Handler, Priority};
use concierge_store::prelude::*;
use concierge_store::NewMessage;

use super::attempts::attempt;

/// A conversation handed to the team with two messages (a third was deleted, so the
/// counter is ahead of the rows), its session, and an attempt, as version 0007 stored them.
/// `no` is how the backend writes false.
pub fn old_rows(no: &str) -> String {
    format!(
        "INSERT INTO workspaces (id, name, created_at) VALUES ('w', 'Old', 1);
         INSERT INTO bots (id, workspace_id, name, created_at, updated_at) VALUES ('b', 'w', 'Bot', 1, 1);
         INSERT INTO conversations (id, bot_id, created_at, updated_at, handled_by, priority, agent_name)
             VALUES ('c', 'b', 1, 2, 'waiting', 'high', NULL);
         INSERT INTO sessions (id, token_hash, bot_id, conversation_id, created_at, expires_at)
             VALUES ('s', 'hash-s', 'b', 'c', 1, 9999999999999);
         INSERT INTO messages (conversation_id, author, text, created_at) VALUES ('c', 'visitor', 'one', 1);
         INSERT INTO messages (conversation_id, author, text, created_at) VALUES ('c', 'bot', 'two', 2);
         INSERT INTO messages (conversation_id, author, text, created_at) VALUES ('c', 'visitor', 'three', 3);
         DELETE FROM messages WHERE text = 'three';
         INSERT INTO auth_attempts (id, bot_id, outcome, latency_ms, is_test, created_at)
             VALUES ('a', 'b', 'invalid_token', 5, {no}, 1);"
    )
}

/// Statements the constraints must refuse, one per state.
pub const OUT_OF_RANGE: [&str; 4] = [
    "UPDATE conversations SET handled_by = 'nobody' WHERE id = 'c'",
    "UPDATE conversations SET priority = 'urgent' WHERE id = 'c'",
    "UPDATE messages SET author = 'admin' WHERE text = 'one'",
    "UPDATE auth_attempts SET outcome = 'fine' WHERE id = 'a'",
];

/// What the upgraded store reads and writes.
pub async fn assert_upgraded(store: &dyn Store) {
    let c = store.get_conversation("c").await.expect("read").expect("the conversation is there");
    assert_eq!((c.handled_by, c.priority), (Handler::Waiting, Priority::High));
    let session = store.find_session("hash-s", 1).await.expect("read").expect("the session is there");
    assert_eq!(session.conversation_id, "c");
    let messages = store.list_messages("c", 0, 10).await.expect("read");
    let seen: Vec<_> = messages.iter().map(|m| (m.seq, m.author, m.text.as_str())).collect();
    assert_eq!(seen, [(1, Author::Visitor, "one"), (2, Author::Bot, "two")]);
    let new = NewMessage {
        conversation_id: "c",
        author: Author::Agent,
        author_name: None,
        text: "four",
        styles: None,
        only_while: None,
        now: 4,
    };
    assert_eq!(store.add_message(new).await.expect("add").message.seq, 4, "a deleted message's seq is not reused");

    // Every outcome the domain knows can be recorded: a new error code needs a migration.
    let outcomes = std::iter::once(AttemptOutcome::Ok).chain(AuthErrorCode::ALL.map(AttemptOutcome::Failed));
    for outcome in outcomes {
        let recorded = store.record_attempts(&[attempt("b", outcome.as_str(), 5)]).await;
        recorded.unwrap_or_else(|e| panic!("{outcome} is refused: {e}"));
    }
}
