//! Widget sessions, their conversations and the conversations' messages.

use sqlx::{SqliteConnection, SqlitePool};

use super::BEGIN;
use crate::{
    clamp_limit, new_id, Conversation, Error, Message, NewMessage, OpenSession, OpenedSession, Result, ResultExt,
    Session,
};

pub(super) const CONVERSATION_COLUMNS: &str =
    "id, bot_id, contact_id, handled_by, priority, agent_name, created_at, updated_at";

pub(super) async fn open_session(writer: &SqlitePool, open: &OpenSession<'_>) -> Result<OpenedSession> {
    let mut tx = writer.begin_with(BEGIN).await?;

    if let Some(contact_id) = open.contact_id {
        let known = sqlx::query("SELECT 1 FROM contacts WHERE id = ? AND bot_id = ?")
            .bind(contact_id)
            .bind(open.bot_id)
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_none() {
            return Err(Error::NotFound("contact"));
        }
    }

    // Revoke the browser's anonymous visitor session, if it is still valid and of this
    // bot; any other visitor token is ignored.
    let visitor_conversation: Option<String> = match open.visitor_token_hash {
        Some(visitor_token_hash) => {
            sqlx::query_scalar(
                "DELETE FROM sessions
                 WHERE token_hash = ? AND bot_id = ? AND contact_id IS NULL AND expires_at > ?
                 RETURNING conversation_id",
            )
            .bind(visitor_token_hash)
            .bind(open.bot_id)
            .bind(open.now)
            .fetch_optional(&mut *tx)
            .await?
        }
        None => None,
    };

    let from_visitor = match (visitor_conversation, open.contact_id) {
        // The visitor signed in: their conversation goes with them.
        (Some(conversation_id), Some(contact_id)) => {
            hand_over(&mut tx, &conversation_id, contact_id, open.now).await?.map(|c| (c, true))
        }
        // A refreshed visitor keeps chatting where they were.
        (Some(conversation_id), None) => anonymous_conversation(&mut tx, &conversation_id).await?.map(|c| (c, false)),
        (None, _) => None,
    };
    let (conversation, attached_visitor_conversation) = match (from_visitor, open.contact_id) {
        (Some(picked), _) => picked,
        (None, Some(contact_id)) => match latest_conversation(&mut tx, open.bot_id, contact_id).await? {
            Some(conversation) => (conversation, false),
            None => (new_conversation(&mut tx, open.bot_id, Some(contact_id), open.now).await?, false),
        },
        (None, None) => (new_conversation(&mut tx, open.bot_id, None, open.now).await?, false),
    };

    let session = Session {
        id: new_id(),
        bot_id: open.bot_id.to_owned(),
        contact_id: open.contact_id.map(str::to_owned),
        conversation_id: conversation.id.clone(),
        created_at: open.now,
        expires_at: open.expires_at,
    };
    sqlx::query(
        "INSERT INTO sessions (id, token_hash, bot_id, contact_id, conversation_id, created_at,
             expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&session.id)
    .bind(open.token_hash)
    .bind(&session.bot_id)
    .bind(&session.contact_id)
    .bind(&session.conversation_id)
    .bind(session.created_at)
    .bind(session.expires_at)
    .execute(&mut *tx)
    .await
    .on_unique("session_token")
    .on_foreign_key("bot")?;

    tx.commit().await?;
    Ok(OpenedSession { session, conversation, attached_visitor_conversation })
}

/// Gives an anonymous conversation to `contact_id`, as its most recently updated one;
/// `None` if the conversation already has a contact.
async fn hand_over(
    tx: &mut SqliteConnection,
    conversation_id: &str,
    contact_id: &str,
    now: i64,
) -> Result<Option<Conversation>> {
    sqlx::query(&format!(
        "UPDATE conversations SET contact_id = ?, updated_at = ?
         WHERE id = ? AND contact_id IS NULL
         RETURNING {CONVERSATION_COLUMNS}"
    ))
    .bind(contact_id)
    .bind(now)
    .bind(conversation_id)
    .fetch_optional(tx)
    .await?
    .map(|row| crate::decode_row(&row))
    .transpose()
}

async fn anonymous_conversation(tx: &mut SqliteConnection, conversation_id: &str) -> Result<Option<Conversation>> {
    sqlx::query(&format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations
         WHERE id = ? AND contact_id IS NULL"
    ))
    .bind(conversation_id)
    .fetch_optional(tx)
    .await?
    .map(|row| crate::decode_row(&row))
    .transpose()
}

async fn latest_conversation(
    tx: &mut SqliteConnection,
    bot_id: &str,
    contact_id: &str,
) -> Result<Option<Conversation>> {
    sqlx::query(&format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations
         WHERE bot_id = ? AND contact_id = ?
         ORDER BY updated_at DESC, id DESC LIMIT 1"
    ))
    .bind(bot_id)
    .bind(contact_id)
    .fetch_optional(tx)
    .await?
    .map(|row| crate::decode_row(&row))
    .transpose()
}

async fn new_conversation(
    tx: &mut SqliteConnection,
    bot_id: &str,
    contact_id: Option<&str>,
    now: i64,
) -> Result<Conversation> {
    let conversation = Conversation {
        id: new_id(),
        bot_id: bot_id.to_owned(),
        contact_id: contact_id.map(str::to_owned),
        handled_by: "bot".to_owned(),
        priority: "normal".to_owned(),
        agent_name: None,
        created_at: now,
        updated_at: now,
    };
    sqlx::query(
        "INSERT INTO conversations (id, bot_id, contact_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&conversation.id)
    .bind(&conversation.bot_id)
    .bind(&conversation.contact_id)
    .bind(conversation.created_at)
    .bind(conversation.updated_at)
    .execute(tx)
    .await
    .on_foreign_key("bot")?;
    Ok(conversation)
}

pub(super) async fn find_session(reader: &SqlitePool, token_hash: &str, now: i64) -> Result<Option<Session>> {
    sqlx::query(
        "SELECT id, bot_id, contact_id, conversation_id, created_at, expires_at
         FROM sessions WHERE token_hash = ? AND expires_at > ?",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(reader)
    .await?
    .map(|row| crate::decode_row(&row))
    .transpose()
}

pub(super) async fn purge_sessions(writer: &SqlitePool, now: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?").bind(now).execute(writer).await?;
    Ok(done.rows_affected())
}

pub(super) async fn add_message(writer: &SqlitePool, new: &NewMessage<'_>) -> Result<Message> {
    let mut tx = writer.begin_with(BEGIN).await?;
    let touched = sqlx::query("UPDATE conversations SET updated_at = ? WHERE id = ?")
        .bind(new.now)
        .bind(new.conversation_id)
        .execute(&mut *tx)
        .await?;
    if touched.rows_affected() == 0 {
        return Err(Error::NotFound("conversation"));
    }
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO messages (conversation_id, author, author_name, text, created_at) VALUES (?, ?, ?, ?, ?)
         RETURNING seq",
    )
    .bind(new.conversation_id)
    .bind(new.author)
    .bind(new.author_name)
    .bind(new.text)
    .bind(new.now)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Message {
        seq,
        conversation_id: new.conversation_id.to_owned(),
        author: new.author.to_owned(),
        author_name: new.author_name.map(str::to_owned),
        text: new.text.to_owned(),
        created_at: new.now,
    })
}

/// Oldest first, those after `after`.
pub(super) async fn list_messages(
    reader: &SqlitePool,
    conversation_id: &str,
    after: i64,
    limit: u32,
) -> Result<Vec<Message>> {
    sqlx::query(
        "SELECT seq, conversation_id, author, author_name, text, created_at FROM messages
         WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?",
    )
    .bind(conversation_id)
    .bind(after)
    .bind(clamp_limit(limit))
    .fetch_all(reader)
    .await?
    .iter()
    .map(crate::decode_row)
    .collect()
}

pub(super) async fn delete_session(writer: &SqlitePool, token_hash: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM sessions WHERE token_hash = ?").bind(token_hash).execute(writer).await?;
    Ok(done.rows_affected() > 0)
}

/// Newest activity first.
pub(super) async fn contact_conversations(reader: &SqlitePool, contact_id: &str) -> Result<Vec<Conversation>> {
    sqlx::query(&format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations
         WHERE contact_id = ? ORDER BY updated_at DESC, id DESC LIMIT 100"
    ))
    .bind(contact_id)
    .fetch_all(reader)
    .await?
    .iter()
    .map(crate::decode_row)
    .collect()
}

/// The newest `limit` messages, oldest first.
pub(super) async fn latest_messages(reader: &SqlitePool, conversation_id: &str, limit: u32) -> Result<Vec<Message>> {
    sqlx::query(
        "SELECT seq, conversation_id, author, author_name, text, created_at FROM (
             SELECT seq, conversation_id, author, author_name, text, created_at FROM messages
             WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?
         ) AS recent ORDER BY seq",
    )
    .bind(conversation_id)
    .bind(clamp_limit(limit))
    .fetch_all(reader)
    .await?
    .iter()
    .map(crate::decode_row)
    .collect()
}
