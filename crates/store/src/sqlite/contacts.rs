//! Contacts: the people Custom Authentication identified, one per bot and identifier.

use sqlx::{QueryBuilder, SqlitePool};

use crate::{
    clamp_limit, encode_json, new_id, Contact, ContactUpsert, Error, Page, Result, ResultExt, UpsertedContact,
};

pub(super) async fn upsert_contact(writer: &SqlitePool, upsert: &ContactUpsert<'_>) -> Result<UpsertedContact> {
    let metadata = encode_json("metadata", upsert.metadata)?;
    // The unique key (bot_id, identify_method, identifier) decides between the two
    // statements; nothing is checked first, so concurrent callers (here queued on the one
    // writer connection, or another process's) cannot both create.
    let inserted = sqlx::query(
        "INSERT INTO contacts (id, bot_id, identify_method, identifier, external_id, email, name,
             phone_number, metadata, created_at, updated_at, last_authenticated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (bot_id, identify_method, identifier) DO NOTHING
         RETURNING id, bot_id, identify_method, identifier, external_id, email, name,
             phone_number, metadata, created_at, updated_at, last_authenticated_at",
    )
    .bind(new_id())
    .bind(upsert.bot_id)
    .bind(upsert.identify_method)
    .bind(upsert.identifier)
    .bind(upsert.external_id)
    .bind(upsert.email)
    .bind(upsert.name)
    .bind(upsert.phone_number)
    .bind(&metadata)
    .bind(upsert.now)
    .bind(upsert.now)
    .bind(upsert.now)
    .fetch_optional(writer)
    .await
    .on_foreign_key("bot")?;
    if let Some(row) = inserted {
        return Ok(UpsertedContact { contact: crate::decode_row(&row)?, created: true });
    }

    let updated = sqlx::query(
        "UPDATE contacts SET external_id = ?, email = ?, name = ?, phone_number = ?,
             metadata = ?, updated_at = ?, last_authenticated_at = ?
         WHERE bot_id = ? AND identify_method = ? AND identifier = ?
         RETURNING id, bot_id, identify_method, identifier, external_id, email, name,
             phone_number, metadata, created_at, updated_at, last_authenticated_at",
    )
    .bind(upsert.external_id)
    .bind(upsert.email)
    .bind(upsert.name)
    .bind(upsert.phone_number)
    .bind(&metadata)
    .bind(upsert.now)
    .bind(upsert.now)
    .bind(upsert.bot_id)
    .bind(upsert.identify_method)
    .bind(upsert.identifier)
    .fetch_optional(writer)
    .await?;
    match updated {
        Some(row) => Ok(UpsertedContact { contact: crate::decode_row(&row)?, created: false }),
        // Contacts are only ever deleted with their bot, so the conflicting row vanishing
        // between the two statements means the bot is gone.
        None => Err(Error::NotFound("bot")),
    }
}

pub(super) async fn find_contact(
    reader: &SqlitePool,
    bot_id: &str,
    identify_method: &str,
    identifier: &str,
) -> Result<Option<Contact>> {
    sqlx::query(
        "SELECT id, bot_id, identify_method, identifier, external_id, email, name, phone_number,
                metadata, created_at, updated_at, last_authenticated_at
         FROM contacts WHERE bot_id = ? AND identify_method = ? AND identifier = ?",
    )
    .bind(bot_id)
    .bind(identify_method)
    .bind(identifier)
    .fetch_optional(reader)
    .await?
    .map(|row| crate::decode_row(&row))
    .transpose()
}

pub(super) async fn get_contact(reader: &SqlitePool, contact_id: &str) -> Result<Option<Contact>> {
    sqlx::query(
        "SELECT id, bot_id, identify_method, identifier, external_id, email, name, phone_number,
                metadata, created_at, updated_at, last_authenticated_at
         FROM contacts WHERE id = ?",
    )
    .bind(contact_id)
    .fetch_optional(reader)
    .await?
    .map(|row| crate::decode_row(&row))
    .transpose()
}

/// Newest first, `page.before` being the id of the previous page's last contact.
pub(super) async fn list_contacts(reader: &SqlitePool, bot_id: &str, page: Page<'_>) -> Result<Vec<Contact>> {
    let mut query = QueryBuilder::new(
        "SELECT id, bot_id, identify_method, identifier, external_id, email, name, phone_number,
                metadata, created_at, updated_at, last_authenticated_at
         FROM contacts WHERE bot_id = ",
    );
    query.push_bind(bot_id);
    if let Some(before) = page.before {
        query.push(" AND id < ").push_bind(before);
    }
    if let Some(search) = page.search.map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = crate::like_pattern(search);
        query.push(" AND (");
        for (i, column) in ["name", "email", "phone_number", "identifier", "external_id"].iter().enumerate() {
            if i > 0 {
                query.push(" OR ");
            }
            query.push(format!("LOWER(COALESCE({column}, '')) LIKE ")).push_bind(pattern.clone()).push(" ESCAPE '\\'");
        }
        query.push(")");
    }
    query.push(" ORDER BY id DESC LIMIT ").push_bind(clamp_limit(page.limit));
    query.build().fetch_all(reader).await?.iter().map(crate::decode_row).collect()
}
