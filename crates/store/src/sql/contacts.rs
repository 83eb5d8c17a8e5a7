//! Contacts: the people Custom Authentication identified, one per bot and identifier.

use concierge_domain::{BotId, IdentifyMethod};
use sqlx::types::Json;

use super::{Arg, Backend, Db};
use crate::{clamp_limit, new_id, Contact, ContactUpsert, Error, Page, Result, ResultExt, UpsertedContact};

pub(crate) const CONTACT_COLUMNS: &str =
    "id, bot_id, identify_method, identifier, external_id, email, name, phone_number,
                               metadata, created_at, updated_at, last_authenticated_at";

/// The unique key (bot_id, identify_method, identifier) decides between the two
/// statements; nothing is checked first. On SQLite concurrent callers queue on the one
/// writer connection (another process's wait for the file lock); on PostgreSQL a
/// concurrent insert of the same key makes this one wait for it to commit and then do
/// nothing, and the update (a new statement, so a new snapshot under READ COMMITTED) sees
/// the row it committed.
pub(crate) async fn upsert_contact<DB: Backend>(
    db: impl Db<'_, DB> + Copy,
    upsert: &ContactUpsert<'_>,
) -> Result<UpsertedContact> {
    let insert = format!(
        "INSERT INTO contacts ({CONTACT_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $10)
         ON CONFLICT (bot_id, identify_method, identifier) DO NOTHING
         RETURNING {CONTACT_COLUMNS}"
    );
    let id = new_id();
    let statement = sqlx::query(&insert).arg(id.as_str()).arg(upsert.bot_id).arg(upsert.identify_method.as_str());
    let statement = statement.arg(upsert.identifier).arg(upsert.external_id).arg(upsert.email).arg(upsert.name);
    let statement = statement.arg(upsert.phone_number).arg(Json(upsert.metadata)).arg(upsert.now);
    if let Some(contact) = DB::optional(db, statement).await.on_foreign_key("bot")? {
        return Ok(UpsertedContact { contact, created: true });
    }

    let update = format!(
        "UPDATE contacts SET external_id = $1, email = $2, name = $3, phone_number = $4,
             metadata = $5, updated_at = $6, last_authenticated_at = $6
         WHERE bot_id = $7 AND identify_method = $8 AND identifier = $9
         RETURNING {CONTACT_COLUMNS}"
    );
    let statement = sqlx::query(&update).arg(upsert.external_id).arg(upsert.email).arg(upsert.name);
    let statement = statement.arg(upsert.phone_number).arg(Json(upsert.metadata)).arg(upsert.now);
    let statement = statement.arg(upsert.bot_id).arg(upsert.identify_method.as_str()).arg(upsert.identifier);
    match DB::optional(db, statement).await? {
        Some(contact) => Ok(UpsertedContact { contact, created: false }),
        // Contacts are only ever deleted with their bot, so the conflicting row vanishing
        // between the two statements means the bot is gone.
        None => Err(Error::NotFound("bot")),
    }
}

pub(crate) async fn find_contact<DB: Backend>(
    db: impl Db<'_, DB>,
    bot_id: &BotId,
    identify_method: IdentifyMethod,
    identifier: &str,
) -> Result<Option<Contact>> {
    let select = format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts WHERE bot_id = $1 AND identify_method = $2 AND identifier = $3"
    );
    let statement = sqlx::query(&select).arg(bot_id.as_str()).arg(identify_method.as_str()).arg(identifier);
    DB::optional(db, statement).await
}

pub(crate) async fn get_contact<DB: Backend>(db: impl Db<'_, DB>, contact_id: &str) -> Result<Option<Contact>> {
    let select = format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = $1");
    DB::optional(db, sqlx::query(&select).arg(contact_id)).await
}

/// The contacts of `bot_id` among `contact_ids`, in no particular order; ids of another
/// bot's contacts or of none are left out. One statement for a page of questions rather
/// than one per contact.
pub(crate) async fn get_contacts<DB: Backend>(
    db: impl Db<'_, DB>,
    bot_id: &str,
    contact_ids: &[&str],
) -> Result<Vec<Contact>> {
    if contact_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (2..contact_ids.len() + 2).map(|n| format!("${n}")).collect();
    let select =
        format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE bot_id = $1 AND id IN ({})", placeholders.join(", "));
    let statement = contact_ids.iter().fold(sqlx::query(&select).arg(bot_id), |statement, id| statement.arg(*id));
    DB::all(db, statement).await
}

/// Newest first, `page.before` being the id of the previous page's last contact.
pub(crate) async fn list_contacts<DB: Backend>(
    db: impl Db<'_, DB>,
    bot_id: &str,
    page: Page<'_>,
) -> Result<Vec<Contact>> {
    let pattern = search_pattern(&page);
    let select = list_contacts_sql(page.before.is_some(), pattern.is_some());
    let mut statement = sqlx::query(&select).arg(bot_id);
    if let Some(before) = page.before {
        statement = statement.arg(before);
    }
    if let Some(pattern) = &pattern {
        statement = statement.arg(pattern.as_str());
    }
    DB::all(db, statement.arg(clamp_limit(page.limit))).await
}

/// The `LIKE` pattern of a search, if the page has one.
pub(crate) fn search_pattern(page: &Page<'_>) -> Option<String> {
    page.search.map(str::trim).filter(|s| !s.is_empty()).map(crate::like_pattern)
}

/// `$1` is the bot, then the cursor and the search pattern, if given. A search reads the
/// bot's contacts newest first until a page is full: a substring has no index to use.
pub(crate) fn list_contacts_sql(before: bool, search: bool) -> String {
    let mut select = format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE bot_id = $1");
    // The placeholders are numbered in the order the values are bound.
    let mut n = 1;
    if before {
        n += 1;
        select.push_str(&format!(" AND id < ${n}"));
    }
    if search {
        n += 1;
        let columns = ["name", "email", "phone_number", "identifier", "external_id"];
        let matches: Vec<String> =
            columns.iter().map(|column| format!("LOWER(COALESCE({column}, '')) LIKE ${n} ESCAPE '\\'")).collect();
        select.push_str(&format!(" AND ({})", matches.join(" OR ")));
    }
    select.push_str(&format!(" ORDER BY id DESC LIMIT ${}", n + 1));
    select
}
