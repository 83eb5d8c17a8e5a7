//! The inbox: conversations with their latest message, and who handles them.

use sqlx::SqlitePool;

use crate::{clamp_limit, Conversation, InboxItem, Result};

pub(super) async fn list_inbox(reader: &SqlitePool, bot_id: &str, limit: u32) -> Result<Vec<InboxItem>> {
    sqlx::query(
        "SELECT c.id, c.bot_id, c.contact_id, c.handled_by, c.updated_at,
                ct.name AS contact_name, ct.email AS contact_email,
                m.author AS last_author, m.text AS last_text, m.seq AS last_seq
         FROM conversations c
         JOIN messages m ON m.seq = (SELECT MAX(seq) FROM messages WHERE conversation_id = c.id)
         LEFT JOIN contacts ct ON ct.id = c.contact_id
         WHERE c.bot_id = ?
         ORDER BY c.updated_at DESC, c.id DESC LIMIT ?",
    )
    .bind(bot_id)
    .bind(clamp_limit(limit))
    .fetch_all(reader)
    .await?
    .iter()
    .map(crate::decode_row)
    .collect()
}

pub(super) async fn get_conversation(reader: &SqlitePool, conversation_id: &str) -> Result<Option<Conversation>> {
    sqlx::query("SELECT id, bot_id, contact_id, handled_by, created_at, updated_at FROM conversations WHERE id = ?")
        .bind(conversation_id)
        .fetch_optional(reader)
        .await?
        .map(|row| crate::decode_row(&row))
        .transpose()
}

pub(super) async fn set_conversation_handler(
    writer: &SqlitePool,
    conversation_id: &str,
    handled_by: &str,
    now: i64,
) -> Result<Option<Conversation>> {
    sqlx::query(
        "UPDATE conversations SET handled_by = ?, updated_at = ? WHERE id = ?
         RETURNING id, bot_id, contact_id, handled_by, created_at, updated_at",
    )
    .bind(handled_by)
    .bind(now)
    .bind(conversation_id)
    .fetch_optional(writer)
    .await?
    .map(|row| crate::decode_row(&row))
    .transpose()
}
