//! Widget sessions, their conversations and the conversations' messages.

use sqlx::{SqliteConnection, SqlitePool};

use super::BEGIN;
use crate::{
    clamp_limit, encode_json, new_id, Conversation, Error, Message, NewMessage, OpenSession, OpenedSession, Result,
    ResultExt, Session, VisitorOutcome,
};

pub(super) const CONVERSATION_COLUMNS: &str =
    "id, bot_id, contact_id, handled_by, priority, agent_name, created_at, updated_at";
const MESSAGE_COLUMNS: &str = "seq, conversation_id, author, author_name, text, styles, created_at";

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

    let visitor = match open.visitor_token_hash {
        Some(visitor_token_hash) => visitor_conversation(&mut tx, open, visitor_token_hash).await?,
        None => None,
    };
    let (conversation, visitor) = match (visitor, open.contact_id) {
        (Some(visitor), Some(contact_id)) => sign_in(&mut tx, visitor, open.bot_id, contact_id, open.now).await?,
        (Some(visitor), None) => (visitor, VisitorOutcome::Continued),
        (None, Some(contact_id)) => {
            (contact_conversation(&mut tx, open.bot_id, contact_id, open.now).await?, VisitorOutcome::None)
        }
        (None, None) => (new_conversation(&mut tx, open.bot_id, None, open.now).await?, VisitorOutcome::None),
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
             expires_at, refused)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&session.id)
    .bind(open.token_hash)
    .bind(&session.bot_id)
    .bind(&session.contact_id)
    .bind(&session.conversation_id)
    .bind(session.created_at)
    .bind(session.expires_at)
    .bind(open.refused)
    .execute(&mut *tx)
    .await
    .on_unique("session_token")
    .on_foreign_key("bot")?;

    tx.commit().await?;
    Ok(OpenedSession { session, conversation, visitor })
}

/// The anonymous conversation proved by a live visitor session of this bot, opened without
/// an access token; any other token proves nothing. The visitor session is revoked, except
/// by a refused sign-in, which leaves it to prove the conversation at the next try.
async fn visitor_conversation(
    tx: &mut SqliteConnection,
    open: &OpenSession<'_>,
    visitor_token_hash: &str,
) -> Result<Option<Conversation>> {
    let keep = open.refused && open.contact_id.is_none();
    let statement = if keep {
        "SELECT conversation_id FROM sessions
         WHERE token_hash = ? AND bot_id = ? AND contact_id IS NULL AND NOT refused AND expires_at > ?"
    } else {
        "DELETE FROM sessions
         WHERE token_hash = ? AND bot_id = ? AND contact_id IS NULL AND NOT refused AND expires_at > ?
         RETURNING conversation_id"
    };
    let conversation_id: Option<String> = sqlx::query_scalar(statement)
        .bind(visitor_token_hash)
        .bind(open.bot_id)
        .bind(open.now)
        .fetch_optional(&mut *tx)
        .await?;
    match conversation_id {
        Some(id) => anonymous_conversation(tx, &id).await,
        None => Ok(None),
    }
}

/// A visitor signed in as `contact_id`. See [`VisitorOutcome`] for what happens to their
/// anonymous conversation.
async fn sign_in(
    tx: &mut SqliteConnection,
    visitor: Conversation,
    bot_id: &str,
    contact_id: &str,
    now: i64,
) -> Result<(Conversation, VisitorOutcome)> {
    let spoke: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM messages WHERE conversation_id = ? AND author = 'visitor')")
            .bind(&visitor.id)
            .fetch_one(&mut *tx)
            .await?;
    if !spoke {
        delete_conversation(tx, &visitor.id).await?;
        let conversation = contact_conversation(tx, bot_id, contact_id, now).await?;
        return Ok((conversation, VisitorOutcome::Discarded));
    }
    // Other anonymous sessions on it (a refused sign-in's) must not read the contact's
    // conversation from now on.
    sqlx::query("DELETE FROM sessions WHERE conversation_id = ? AND contact_id IS NULL")
        .bind(&visitor.id)
        .execute(&mut *tx)
        .await?;
    let Some(target) = latest_conversation(tx, bot_id, contact_id).await? else {
        let conversation = hand_over(tx, &visitor.id, contact_id, now).await?.ok_or(Error::NotFound("conversation"))?;
        return Ok((conversation, VisitorOutcome::HandedOver));
    };
    let mut messages: Vec<Message> = sqlx::query(&format!(
        "UPDATE messages SET conversation_id = ? WHERE conversation_id = ? RETURNING {MESSAGE_COLUMNS}"
    ))
    .bind(&target.id)
    .bind(&visitor.id)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(crate::decode_row)
    .collect::<Result<_>>()?;
    messages.sort_by_key(|m| m.seq);
    let handler = target.merged_handler(&visitor);
    let conversation = sqlx::query(&format!(
        "UPDATE conversations SET handled_by = ?, priority = ?, agent_name = ?, updated_at = ?
         WHERE id = ?
         RETURNING {CONVERSATION_COLUMNS}"
    ))
    .bind(&handler.handled_by)
    .bind(&handler.priority)
    .bind(&handler.agent_name)
    .bind(now)
    .bind(&target.id)
    .fetch_one(&mut *tx)
    .await
    .map(|row| crate::decode_row(&row))??;
    delete_conversation(tx, &visitor.id).await?;
    Ok((conversation, VisitorOutcome::Merged { from: visitor.id, messages, handler_changed: handler.changed }))
}

/// Deletes a conversation with its sessions and messages (by cascade).
async fn delete_conversation(tx: &mut SqliteConnection, conversation_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM conversations WHERE id = ?").bind(conversation_id).execute(tx).await?;
    Ok(())
}

/// The contact's most recently active conversation, or a new one.
async fn contact_conversation(
    tx: &mut SqliteConnection,
    bot_id: &str,
    contact_id: &str,
    now: i64,
) -> Result<Conversation> {
    match latest_conversation(tx, bot_id, contact_id).await? {
        Some(conversation) => Ok(conversation),
        None => new_conversation(tx, bot_id, Some(contact_id), now).await,
    }
}

/// Gives an anonymous conversation to `contact_id`; `None` if it already has a contact.
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

pub(super) async fn purge_abandoned_conversations(pool: &SqlitePool) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM conversations
         WHERE contact_id IS NULL
           AND NOT EXISTS (SELECT 1 FROM sessions WHERE sessions.conversation_id = conversations.id)
           AND NOT EXISTS (SELECT 1 FROM messages WHERE messages.conversation_id = conversations.id)",
    )
    .execute(pool)
    .await?;
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
        "INSERT INTO messages (conversation_id, author, author_name, text, styles, created_at)
         VALUES (?, ?, ?, ?, ?, ?)
         RETURNING seq",
    )
    .bind(new.conversation_id)
    .bind(new.author)
    .bind(new.author_name)
    .bind(new.text)
    .bind(new.styles.map(|styles| encode_json("styles", &styles)).transpose()?)
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
        styles: new.styles.map(<[_]>::to_vec),
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
    sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?"
    ))
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
    sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM (
             SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?
         ) AS recent ORDER BY seq"
    ))
    .bind(conversation_id)
    .bind(clamp_limit(limit))
    .fetch_all(reader)
    .await?
    .iter()
    .map(crate::decode_row)
    .collect()
}
