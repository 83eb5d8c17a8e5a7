//! Conversations, their messages and the inbox; finding and ending sessions.

use concierge_domain::Handler;
use sqlx::types::Json;
use sqlx::Transaction;

use super::{Arg, Backend, Db};
use crate::{clamp_limit, Conversation, Error, HandlerChange, InboxItem, Message, NewMessage, Posted, Result, Session};

pub(super) const CONVERSATION_COLUMNS: &str =
    "id, bot_id, contact_id, handled_by, priority, agent_name, created_at, updated_at";
pub(super) const MESSAGE_COLUMNS: &str = "seq, conversation_id, author, author_name, text, styles, created_at";

/// Touching the conversation first takes its row (on PostgreSQL a row lock, on SQLite the
/// write lock) until commit, so messages of one conversation commit in `seq` order and a
/// reader paging with `after` never skips one that committed late.
pub(crate) async fn add_message<DB: Backend>(mut tx: Transaction<'_, DB>, new: &NewMessage<'_>) -> Result<Posted> {
    let touch = sqlx::query("UPDATE conversations SET updated_at = $1 WHERE id = $2").arg(new.now);
    if DB::execute(DB::on(&mut *tx), touch.arg(new.conversation_id)).await? == 0 {
        return Err(Error::NotFound("conversation"));
    }
    // Under the conversation's lock, the newest message is the one this one follows; read
    // in the insert itself, as a second statement would hold the lock one round trip longer.
    let insert = sqlx::query(
        "INSERT INTO messages (conversation_id, author, author_name, text, styles, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING seq, (SELECT COALESCE(MAX(before.seq), 0) FROM messages before
                         WHERE before.conversation_id = $1 AND before.seq < messages.seq)",
    )
    .arg(new.conversation_id)
    .arg(new.author.as_str())
    .arg(new.author_name)
    .arg(new.text)
    .arg(new.styles.map(Json))
    .arg(new.now);
    let (seq, prev_seq): (i64, i64) = DB::one(DB::on(&mut *tx), insert).await?;
    tx.commit().await?;
    let message = Message {
        seq,
        conversation_id: new.conversation_id.to_owned(),
        author: new.author.to_owned(),
        author_name: new.author_name.map(str::to_owned),
        text: new.text.to_owned(),
        styles: new.styles.map(<[_]>::to_vec),
        created_at: new.now,
    };
    Ok(Posted { message, prev_seq })
}

/// Oldest first, those after `after`.
pub(crate) async fn list_messages<DB: Backend>(
    db: impl Db<'_, DB>,
    conversation_id: &str,
    after: i64,
    limit: u32,
) -> Result<Vec<Message>> {
    let select =
        format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3");
    DB::all(db, sqlx::query(&select).arg(conversation_id).arg(after).arg(clamp_limit(limit))).await
}

/// The newest `limit` messages, oldest first.
pub(crate) async fn latest_messages<DB: Backend>(
    db: impl Db<'_, DB>,
    conversation_id: &str,
    limit: u32,
) -> Result<Vec<Message>> {
    let select = format!(
        "SELECT {MESSAGE_COLUMNS} FROM (
             SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 ORDER BY seq DESC LIMIT $2
         ) AS recent ORDER BY seq"
    );
    DB::all(db, sqlx::query(&select).arg(conversation_id).arg(clamp_limit(limit))).await
}

/// Newest activity first.
pub(crate) async fn contact_conversations<DB: Backend>(
    db: impl Db<'_, DB>,
    contact_id: &str,
) -> Result<Vec<Conversation>> {
    let select = format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations
         WHERE contact_id = $1 ORDER BY updated_at DESC, id DESC LIMIT 100"
    );
    DB::all(db, sqlx::query(&select).arg(contact_id)).await
}

pub(crate) async fn get_conversation<DB: Backend>(
    db: impl Db<'_, DB>,
    conversation_id: &str,
) -> Result<Option<Conversation>> {
    let select = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1");
    DB::optional(db, sqlx::query(&select).arg(conversation_id)).await
}

/// One conditional UPDATE: nothing can change the handler between the comparison and the
/// write (SQLite's single writer), or a concurrent change of the same row makes it wait and
/// then re-check `expected` against the committed handler (PostgreSQL).
pub(crate) async fn set_conversation_handler<DB: Backend>(
    db: impl Db<'_, DB>,
    conversation_id: &str,
    change: &HandlerChange<'_>,
) -> Result<Option<Conversation>> {
    let update = format!(
        "UPDATE conversations SET handled_by = $1, priority = $2, agent_name = $3, updated_at = $4
         WHERE id = $5 AND handled_by = COALESCE($6, handled_by)
         RETURNING {CONVERSATION_COLUMNS}"
    );
    let statement =
        sqlx::query(&update).arg(change.handled_by.as_str()).arg(change.priority.as_str()).arg(change.agent_name);
    DB::optional(db, statement.arg(change.now).arg(conversation_id).arg(change.expected.map(Handler::as_str))).await
}

/// Waiting conversations first, high priority before normal; then the others. Each group
/// most recently active first.
pub(crate) async fn list_inbox<DB: Backend>(db: impl Db<'_, DB>, bot_id: &str, limit: u32) -> Result<Vec<InboxItem>> {
    let select = "SELECT c.id, c.bot_id, c.contact_id, c.handled_by, c.priority, c.agent_name, c.updated_at,
                         ct.name AS contact_name, ct.email AS contact_email,
                         m.author AS last_author, m.text AS last_text, m.seq AS last_seq
                  FROM conversations c
                  JOIN messages m ON m.seq = (SELECT MAX(seq) FROM messages WHERE conversation_id = c.id)
                  LEFT JOIN contacts ct ON ct.id = c.contact_id
                  WHERE c.bot_id = $1
                  ORDER BY CASE WHEN c.handled_by <> 'waiting' THEN 2 WHEN c.priority = 'high' THEN 0 ELSE 1 END,
                           c.updated_at DESC, c.id DESC
                  LIMIT $2";
    DB::all(db, sqlx::query(select).arg(bot_id).arg(clamp_limit(limit))).await
}

pub(crate) async fn find_session<DB: Backend>(
    db: impl Db<'_, DB>,
    token_hash: &str,
    now: i64,
) -> Result<Option<Session>> {
    let select = "SELECT id, bot_id, contact_id, conversation_id, created_at, expires_at
                  FROM sessions WHERE token_hash = $1 AND expires_at > $2";
    DB::optional(db, sqlx::query(select).arg(token_hash).arg(now)).await
}

pub(crate) async fn delete_session<DB: Backend>(db: impl Db<'_, DB>, token_hash: &str) -> Result<Option<Session>> {
    let delete = "DELETE FROM sessions WHERE token_hash = $1
                  RETURNING id, bot_id, contact_id, conversation_id, created_at, expires_at";
    DB::optional(db, sqlx::query(delete).arg(token_hash)).await
}

pub(crate) async fn purge_sessions<DB: Backend>(db: impl Db<'_, DB>, now: i64) -> Result<u64> {
    DB::execute(db, sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").arg(now)).await
}

pub(crate) async fn purge_abandoned_conversations<DB: Backend>(db: impl Db<'_, DB>) -> Result<u64> {
    let delete = "DELETE FROM conversations
                  WHERE contact_id IS NULL
                    AND NOT EXISTS (SELECT 1 FROM sessions WHERE sessions.conversation_id = conversations.id)
                    AND NOT EXISTS (SELECT 1 FROM messages WHERE messages.conversation_id = conversations.id)";
    DB::execute(db, sqlx::query(delete)).await
}
