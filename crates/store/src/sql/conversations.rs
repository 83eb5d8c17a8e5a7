//! Conversations, their messages and the inbox; finding and ending sessions.

use std::collections::HashMap;

use concierge_domain::Handler;
use sqlx::types::Json;
use sqlx::Transaction;

use super::{Arg, Backend, Db};
use crate::{
    clamp_limit, Added, Conversation, Error, HandlerChange, HeldConversation, InboxItem, InboxPlace, Message,
    NewMessage, Posted, Result, Session,
};

pub(super) const CONVERSATION_COLUMNS: &str =
    "id, bot_id, contact_id, handled_by, priority, agent_name, agent_id, created_at, updated_at";
pub(super) const MESSAGE_COLUMNS: &str = "seq, conversation_id, author, author_name, text, styles, created_at";

/// Holding the conversation from before the message gets its seq until commit (on
/// PostgreSQL `row_lock` locks its row; on SQLite the transaction began with the write
/// lock) makes messages of one conversation commit in `seq` order, so a reader paging with
/// `after` never skips one that committed late, and makes its `last_seq` the message this
/// one follows. The insert's trigger (migration 0009) sets the conversation's `last_seq`
/// and activity time, in the same statement.
pub(crate) async fn add_message<DB: Backend>(
    mut tx: Transaction<'_, DB>,
    new: &NewMessage<'_>,
    client_id: Option<&str>,
    row_lock: &str,
) -> Result<Added> {
    let select = format!(
        "SELECT {CONVERSATION_COLUMNS},
                (SELECT name FROM contacts WHERE contacts.id = c.contact_id) AS contact_name,
                (SELECT email FROM contacts WHERE contacts.id = c.contact_id) AS contact_email,
                (SELECT identifier FROM contacts WHERE contacts.id = c.contact_id) AS contact_identifier,
                COALESCE(c.last_seq, 0) AS prev_seq
         FROM conversations c WHERE c.id = $1{row_lock}"
    );
    let held: Option<HeldConversation> =
        DB::optional(DB::on(&mut *tx), sqlx::query(&select).arg(new.conversation_id)).await?;
    let held = held.ok_or(Error::NotFound("conversation"))?;
    if new.only_while.is_some_and(|handler| handler != held.conversation.handled_by) {
        return Err(Error::Conflict("handler"));
    }
    let insert = sqlx::query(
        "INSERT INTO messages (conversation_id, author, author_name, text, styles, created_at, client_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (conversation_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
         RETURNING seq",
    )
    .arg(new.conversation_id)
    .arg(new.author.as_str())
    .arg(new.author_name)
    .arg(new.text)
    .arg(new.styles.map(Json))
    .arg(new.now)
    .arg(client_id);
    let Some((seq,)): Option<(i64,)> = DB::optional(DB::on(&mut *tx), insert).await? else {
        // Only a client id conflicts: the message is there already, read under the lock.
        let select = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND client_id = $2");
        let statement = sqlx::query(&select).arg(new.conversation_id).arg(client_id);
        return Ok(Added::Repeated(DB::one(DB::on(&mut *tx), statement).await?));
    };
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
    let conversation = held.conversation;
    let inbox = InboxItem {
        id: conversation.id,
        bot_id: conversation.bot_id,
        contact_id: conversation.contact_id,
        handled_by: conversation.handled_by,
        priority: conversation.priority,
        agent_name: conversation.agent_name,
        updated_at: new.now,
        contact_name: held.contact_name,
        contact_email: held.contact_email,
        contact_identifier: held.contact_identifier,
        last_author: new.author,
        last_text: new.text.to_owned(),
        last_seq: seq,
    };
    Ok(Added::Posted(Box::new(Posted { message, prev_seq: held.prev_seq, inbox })))
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
/// What the page said about the conversation's visitor (unverified), if anything.
pub(crate) async fn page_fields<DB: Backend>(
    db: impl Db<'_, DB>,
    conversation_id: &str,
) -> Result<Option<serde_json::Value>> {
    let select = "SELECT CAST(page_fields AS TEXT) FROM conversations WHERE id = $1 AND page_fields IS NOT NULL";
    let found: Option<(String,)> = DB::optional(db, sqlx::query(select).arg(conversation_id)).await?;
    Ok(found.and_then(|(text,)| serde_json::from_str(&text).ok()))
}

/// Replaces what the page said about the conversation's visitor; `false` without such a
/// conversation.
pub(crate) async fn set_page_fields<DB: Backend>(
    db: impl Db<'_, DB>,
    conversation_id: &str,
    fields: &serde_json::Value,
) -> Result<bool> {
    let update = sqlx::query("UPDATE conversations SET page_fields = $1 WHERE id = $2")
        .arg(Some(Json(fields)))
        .arg(conversation_id);
    Ok(DB::execute(db, update).await? > 0)
}

pub(crate) async fn messages_before<DB: Backend>(
    db: impl Db<'_, DB>,
    conversation_id: &str,
    before: i64,
    limit: u32,
) -> Result<Vec<Message>> {
    let select = messages_before_sql();
    let statement = sqlx::query(&select).arg(conversation_id).arg(before).arg(clamp_limit(limit));
    DB::all(db, statement).await
}

pub(crate) fn messages_before_sql() -> String {
    format!(
        "SELECT {MESSAGE_COLUMNS} FROM (
             SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3
         ) AS recent ORDER BY seq"
    )
}

/// A contact's most recently active conversations, as a condition on `conversations`
/// whose `$1` is the contact.
const CONTACT_RECENT: &str = "WHERE contact_id = $1 ORDER BY updated_at DESC, id DESC LIMIT 100";

/// Newest activity first, each with its newest `per_conversation` messages (oldest first):
/// two statements however many conversations there are, and each conversation's messages
/// a range of its index (from the first of them, found by counting back from its newest).
pub(crate) async fn contact_history<DB: Backend>(
    db: impl Db<'_, DB> + Copy,
    contact_id: &str,
    per_conversation: u32,
) -> Result<Vec<(Conversation, Vec<Message>)>> {
    let select = contact_conversations_sql();
    let conversations: Vec<Conversation> = DB::all(db, sqlx::query(&select).arg(contact_id)).await?;
    if conversations.is_empty() {
        return Ok(Vec::new());
    }
    let select = contact_messages_sql();
    let statement = sqlx::query(&select).arg(contact_id).arg(clamp_limit(per_conversation));
    let messages: Vec<Message> = DB::all(db, statement).await?;
    let mut by_conversation: HashMap<String, Vec<Message>> = HashMap::new();
    for message in messages {
        by_conversation.entry(message.conversation_id.clone()).or_default().push(message);
    }
    Ok(conversations
        .into_iter()
        .map(|conversation| {
            let messages = by_conversation.remove(&conversation.id).unwrap_or_default();
            (conversation, messages)
        })
        .collect())
}

/// The contact `$1`'s most recently active conversations.
pub(crate) fn contact_conversations_sql() -> String {
    format!("SELECT {CONVERSATION_COLUMNS} FROM conversations {CONTACT_RECENT}")
}

/// The newest `$2` messages of each of the contact `$1`'s recent conversations, oldest first.
pub(crate) fn contact_messages_sql() -> String {
    format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages
         JOIN (SELECT id FROM conversations {CONTACT_RECENT}) AS recent ON messages.conversation_id = recent.id
         WHERE messages.seq > COALESCE((SELECT older.seq FROM messages older WHERE older.conversation_id = recent.id
                                        ORDER BY older.seq DESC LIMIT 1 OFFSET $2), 0)
         ORDER BY messages.seq"
    )
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
        "UPDATE conversations SET handled_by = $1, priority = $2, agent_name = $3, updated_at = $4, agent_id = $7
         WHERE id = $5 AND handled_by = COALESCE($6, handled_by)
         RETURNING {CONVERSATION_COLUMNS}"
    );
    let statement =
        sqlx::query(&update).arg(change.handled_by.as_str()).arg(change.priority.as_str()).arg(change.agent_name);
    let statement = statement.arg(change.now).arg(conversation_id).arg(change.expected.map(Handler::as_str));
    DB::optional(db, statement.arg(change.agent_id)).await
}

/// A conversation as the inbox shows it: its latest message and contact, each found by its
/// key.
const INBOX_SELECT: &str = "SELECT c.id, c.bot_id, c.contact_id, c.handled_by, c.priority, c.agent_name, c.updated_at,
                                   ct.name AS contact_name, ct.email AS contact_email,
                                   ct.identifier AS contact_identifier,
                                   m.author AS last_author, m.text AS last_text, m.seq AS last_seq
                            FROM conversations c
                            JOIN messages m ON m.seq = c.last_seq
                            LEFT JOIN contacts ct ON ct.id = c.contact_id";

/// Waiting conversations first, high priority before normal; then the others. Each group
/// most recently active first: the order of the index `conversations_inbox`. A page is the
/// rest of the rank it starts in, then the ranks after: each a range of that index, read
/// from where the page starts (a condition with OR between them would read the bot's
/// range from its start).
const INBOX_ORDER: &str = "ORDER BY c.inbox_rank, c.updated_at DESC, c.id DESC";

/// The conversations of rank `$2` after the place (`$3`, `$4`) in the inbox's order.
pub(crate) fn inbox_same_rank_sql() -> String {
    format!(
        "{INBOX_SELECT}
         WHERE c.bot_id = $1 AND c.last_seq IS NOT NULL AND c.inbox_rank = $2
           AND c.updated_at <= $3 AND (c.updated_at < $3 OR c.id < $4)
         {INBOX_ORDER} LIMIT $5"
    )
}

/// The conversations of the ranks after `$2`; the first page is those after rank −1.
pub(crate) fn inbox_sql() -> String {
    format!(
        "{INBOX_SELECT}
         WHERE c.bot_id = $1 AND c.last_seq IS NOT NULL AND c.inbox_rank > $2
         {INBOX_ORDER} LIMIT $3"
    )
}

pub(crate) async fn list_inbox<DB: Backend>(
    db: impl Db<'_, DB> + Copy,
    bot_id: &str,
    after: Option<&InboxPlace>,
    limit: u32,
) -> Result<Vec<InboxItem>> {
    let limit = clamp_limit(limit);
    let mut items: Vec<InboxItem> = match after {
        Some(place) => {
            let select = inbox_same_rank_sql();
            let statement = sqlx::query(&select).arg(bot_id).arg(place.rank).arg(place.updated_at);
            DB::all(db, statement.arg(place.id.as_str()).arg(limit)).await?
        }
        None => Vec::new(),
    };
    let left = limit - items.len() as i64;
    if left > 0 {
        let select = inbox_sql();
        let rank = after.map_or(-1, |place| place.rank);
        items.extend(DB::all::<InboxItem>(db, sqlx::query(&select).arg(bot_id).arg(rank).arg(left)).await?);
    }
    Ok(items)
}

/// `None` also for a conversation without messages, which the inbox does not list.
pub(crate) async fn inbox_item<DB: Backend>(db: impl Db<'_, DB>, conversation_id: &str) -> Result<Option<InboxItem>> {
    DB::optional(db, sqlx::query(&inbox_item_sql()).arg(conversation_id)).await
}

pub(crate) fn inbox_item_sql() -> String {
    format!("{INBOX_SELECT} WHERE c.id = $1")
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

/// See [`crate::Conversations::awaiting_the_bot`]. Writing a message sets its
/// conversation's `updated_at` to the message's time, and changing who handles it sets it
/// to the time of the change: a conversation still at its visitor's message's time has
/// not changed hands since (a person who answered and handed it back to the bot after the
/// visitor's "thanks" left no turn to the bot).
pub(crate) async fn awaiting_the_bot<DB: Backend>(
    db: impl Db<'_, DB>,
    written_from: i64,
    written_before: i64,
    limit: u32,
) -> Result<Vec<Conversation>> {
    let select = format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations
         WHERE handled_by = 'bot' AND updated_at >= $1 AND updated_at < $2
           AND EXISTS (SELECT 1 FROM messages m
                       WHERE m.seq = conversations.last_seq AND m.author = 'visitor'
                         AND m.created_at >= conversations.updated_at)
         ORDER BY last_seq
         LIMIT $3"
    );
    let statement = sqlx::query(&select).arg(written_from).arg(written_before).arg(i64::from(limit));
    DB::all(db, statement).await
}
