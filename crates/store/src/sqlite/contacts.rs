//! Contacts ([`Contacts`]) on SQLite: reads on the reader pool, writes on the writer.

use async_trait::async_trait;
use concierge_domain::{BotId, IdentifyMethod};

use super::SqliteStore;
use crate::sql;
use crate::{Contact, ContactUpsert, Contacts, Page, Result, UpsertedContact};

#[async_trait]
impl Contacts for SqliteStore {
    #[tracing::instrument(skip_all, fields(bot_id = %upsert.bot_id))]
    async fn upsert_contact(&self, upsert: ContactUpsert<'_>) -> Result<UpsertedContact> {
        sql::contacts::upsert_contact(&self.writer, &upsert).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn find_contact(
        &self,
        bot_id: &BotId,
        identify_method: IdentifyMethod,
        identifier: &str,
    ) -> Result<Option<Contact>> {
        sql::contacts::find_contact(&self.reader, bot_id, identify_method, identifier).await
    }

    #[tracing::instrument(skip_all, fields(contact_id = %contact_id))]
    async fn get_contact(&self, contact_id: &str) -> Result<Option<Contact>> {
        sql::contacts::get_contact(&self.reader, contact_id).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id, contacts = contact_ids.len()))]
    async fn get_contacts(&self, bot_id: &str, contact_ids: &[&str]) -> Result<Vec<Contact>> {
        sql::contacts::get_contacts(&self.reader, bot_id, contact_ids).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn list_contacts(&self, bot_id: &str, page: Page<'_>) -> Result<Vec<Contact>> {
        sql::contacts::list_contacts(&self.reader, bot_id, page).await
    }
}
