//! Widget sessions, their conversations and the conversations' messages.

use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};

use crate::{
    clamp_limit, new_id, Conversation, Error, Message, NewMessage, OpenSession, OpenedSession, Result, ResultExt,
    Session, VisitorOutcome,
};

pub(super) const CONVERSATION_COLUMNS: &str =
    "id, bot_id, contact_id, handled_by, priority, agent_name, created_at, updated_at";
const MESSAGE_COLUMNS: &str = "seq, conversation_id, author, author_name, text, styles, created_at";

pub(super) async fn open_session(pool: &PgPool, open: &OpenSession<'_>) -> Result<OpenedSession> {
    let mut tx = pool.begin().await?;

    if let Some(contact_id) = open.contact_id {
        // Locking the contact serialises its session starts, so two devices signing in at
        // once cannot each create a conversation (SQLite's single writer does the same).
        let known = sqlx::query("SELECT 1 FROM contacts WHERE id = $1 AND bot_id = $2 FOR UPDATE")
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
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
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
/// by a refused sign-in, which leaves it to prove the conversation at the next try. Of two
/// concurrent callers with the same visitor token only one revokes it: the other waits on
/// the row lock and then finds it gone.
async fn visitor_conversation(
    tx: &mut PgConnection,
    open: &OpenSession<'_>,
    visitor_token_hash: &str,
) -> Result<Option<Conversation>> {
    let keep = open.refused && open.contact_id.is_none();
    let statement = if keep {
        "SELECT conversation_id FROM sessions
         WHERE token_hash = $1 AND bot_id = $2 AND contact_id IS NULL AND NOT refused AND expires_at > $3"
    } else {
        "DELETE FROM sessions
         WHERE token_hash = $1 AND bot_id = $2 AND contact_id IS NULL AND NOT refused AND expires_at > $3
         RETURNING conversation_id"
    };
    let conversation_id: Option<String> = sqlx::query_scalar(statement)
        .bind(visitor_token_hash)
        .bind(open.bot_id)
        .bind(open.now)
        .fetch_optional(&mut *tx)
        .await?;
    match conversation_id {
        Some(id) => anonymous_conversation(tx, &id, !keep).await,
        None => Ok(None),
    }
}

/// A visitor signed in as `contact_id`. See [`VisitorOutcome`] for what happens to their
/// anonymous conversation.
async fn sign_in(
    tx: &mut PgConnection,
    visitor: Conversation,
    bot_id: &str,
    contact_id: &str,
    now: i64,
) -> Result<(Conversation, VisitorOutcome)> {
    let spoke: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM messages WHERE conversation_id = $1 AND author = 'visitor')")
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
    sqlx::query("DELETE FROM sessions WHERE conversation_id = $1 AND contact_id IS NULL")
        .bind(&visitor.id)
        .execute(&mut *tx)
        .await?;
    let Some(target) = latest_conversation(tx, bot_id, contact_id).await? else {
        let conversation = hand_over(tx, &visitor.id, contact_id, now).await?.ok_or(Error::NotFound("conversation"))?;
        return Ok((conversation, VisitorOutcome::HandedOver));
    };
    let mut messages: Vec<Message> = sqlx::query(&format!(
        "UPDATE messages SET conversation_id = $1 WHERE conversation_id = $2 RETURNING {MESSAGE_COLUMNS}"
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
        "UPDATE conversations SET handled_by = $1, priority = $2, agent_name = $3, updated_at = $4
         WHERE id = $5
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
async fn delete_conversation(tx: &mut PgConnection, conversation_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM conversations WHERE id = $1").bind(conversation_id).execute(tx).await?;
    Ok(())
}

/// The contact's most recently active conversation, or a new one.
async fn contact_conversation(tx: &mut PgConnection, bot_id: &str, contact_id: &str, now: i64) -> Result<Conversation> {
    match latest_conversation(tx, bot_id, contact_id).await? {
        Some(conversation) => Ok(conversation),
        None => new_conversation(tx, bot_id, Some(contact_id), now).await,
    }
}

/// Gives an anonymous conversation to `contact_id`; `None` if it already has a contact.
async fn hand_over(
    tx: &mut PgConnection,
    conversation_id: &str,
    contact_id: &str,
    now: i64,
) -> Result<Option<Conversation>> {
    sqlx::query(&format!(
        "UPDATE conversations SET contact_id = $1, updated_at = $2
         WHERE id = $3 AND contact_id IS NULL
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

/// `lock`: held until the transaction ends, so that a message written to it meanwhile
/// waits, and then either joins the merge or finds the conversation gone; never lost with
/// it.
async fn anonymous_conversation(
    tx: &mut PgConnection,
    conversation_id: &str,
    lock: bool,
) -> Result<Option<Conversation>> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    sqlx::query(&format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations
         WHERE id = $1 AND contact_id IS NULL{lock}"
    ))
    .bind(conversation_id)
    .fetch_optional(tx)
    .await?
    .map(|row| crate::decode_row(&row))
    .transpose()
}

async fn latest_conversation(tx: &mut PgConnection, bot_id: &str, contact_id: &str) -> Result<Option<Conversation>> {
    sqlx::query(&format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations
         WHERE bot_id = $1 AND contact_id = $2
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
    tx: &mut PgConnection,
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
         VALUES ($1, $2, $3, $4, $5)",
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

pub(super) async fn find_session(pool: &PgPool, token_hash: &str, now: i64) -> Result<Option<Session>> {
    sqlx::query(
        "SELECT id, bot_id, contact_id, conversation_id, created_at, expires_at
         FROM sessions WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(pool)
    .await?
    .map(|row| crate::decode_row(&row))
    .transpose()
}

pub(super) async fn purge_sessions(pool: &PgPool, now: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(pool).await?;
    Ok(done.rows_affected())
}

pub(super) async fn purge_abandoned_conversations(pool: &PgPool) -> Result<u64> {
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

pub(super) async fn add_message(pool: &PgPool, new: &NewMessage<'_>) -> Result<Message> {
    let mut tx = pool.begin().await?;
    // Touching the conversation first locks its row until commit, so messages of one
    // conversation commit in `seq` order and a reader paging with `after` never skips one
    // that committed late.
    let touched = sqlx::query("UPDATE conversations SET updated_at = $1 WHERE id = $2")
        .bind(new.now)
        .bind(new.conversation_id)
        .execute(&mut *tx)
        .await?;
    if touched.rows_affected() == 0 {
        return Err(Error::NotFound("conversation"));
    }
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO messages (conversation_id, author, author_name, text, styles, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING seq",
    )
    .bind(new.conversation_id)
    .bind(new.author)
    .bind(new.author_name)
    .bind(new.text)
    .bind(new.styles.map(Json))
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
    pool: &PgPool,
    conversation_id: &str,
    after: i64,
    limit: u32,
) -> Result<Vec<Message>> {
    sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
    ))
    .bind(conversation_id)
    .bind(after)
    .bind(clamp_limit(limit))
    .fetch_all(pool)
    .await?
    .iter()
    .map(crate::decode_row)
    .collect()
}

pub(super) async fn delete_session(pool: &PgPool, token_hash: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await?;
    Ok(done.rows_affected() > 0)
}

/// Newest activity first.
pub(super) async fn contact_conversations(pool: &PgPool, contact_id: &str) -> Result<Vec<Conversation>> {
    sqlx::query(&format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations
         WHERE contact_id = $1 ORDER BY updated_at DESC, id DESC LIMIT 100"
    ))
    .bind(contact_id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(crate::decode_row)
    .collect()
}

/// The newest `limit` messages, oldest first.
pub(super) async fn latest_messages(pool: &PgPool, conversation_id: &str, limit: u32) -> Result<Vec<Message>> {
    sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM (
             SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 ORDER BY seq DESC LIMIT $2
         ) AS recent ORDER BY seq"
    ))
    .bind(conversation_id)
    .bind(clamp_limit(limit))
    .fetch_all(pool)
    .await?
    .iter()
    .map(crate::decode_row)
    .collect()
}
