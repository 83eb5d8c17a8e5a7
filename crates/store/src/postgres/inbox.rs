//! The inbox: conversations with their latest message, and who handles them.

use sqlx::PgPool;

use super::conversations::CONVERSATION_COLUMNS;
use crate::{clamp_limit, Conversation, HandlerChange, InboxItem, Result};

/// Waiting conversations first, high priority before normal; then the others. Each group
/// most recently active first.
pub(super) async fn list_inbox(pool: &PgPool, bot_id: &str, limit: u32) -> Result<Vec<InboxItem>> {
    sqlx::query(
        "SELECT c.id, c.bot_id, c.contact_id, c.handled_by, c.priority, c.agent_name, c.updated_at,
                ct.name AS contact_name, ct.email AS contact_email,
                m.author AS last_author, m.text AS last_text, m.seq AS last_seq
         FROM conversations c
         JOIN messages m ON m.seq = (SELECT MAX(seq) FROM messages WHERE conversation_id = c.id)
         LEFT JOIN contacts ct ON ct.id = c.contact_id
         WHERE c.bot_id = $1
         ORDER BY CASE WHEN c.handled_by <> 'waiting' THEN 2 WHEN c.priority = 'high' THEN 0 ELSE 1 END,
                  c.updated_at DESC, c.id DESC
         LIMIT $2",
    )
    .bind(bot_id)
    .bind(clamp_limit(limit))
    .fetch_all(pool)
    .await?
    .iter()
    .map(crate::decode_row)
    .collect()
}

pub(super) async fn get_conversation(pool: &PgPool, conversation_id: &str) -> Result<Option<Conversation>> {
    sqlx::query(&format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1"))
        .bind(conversation_id)
        .fetch_optional(pool)
        .await?
        .map(|row| crate::decode_row(&row))
        .transpose()
}

/// One conditional UPDATE: a concurrent change of the same row makes it wait, then
/// re-check `expected` against the committed handler.
pub(super) async fn set_conversation_handler(
    pool: &PgPool,
    conversation_id: &str,
    change: &HandlerChange<'_>,
) -> Result<Option<Conversation>> {
    sqlx::query(&format!(
        "UPDATE conversations SET handled_by = $1, priority = $2, agent_name = $3, updated_at = $4
         WHERE id = $5 AND handled_by = COALESCE($6, handled_by)
         RETURNING {CONVERSATION_COLUMNS}"
    ))
    .bind(change.handled_by)
    .bind(change.priority)
    .bind(change.agent_name)
    .bind(change.now)
    .bind(conversation_id)
    .bind(change.expected)
    .fetch_optional(pool)
    .await?
    .map(|row| crate::decode_row(&row))
    .transpose()
}
