//! Contacts ([`Contacts`]) on PostgreSQL.

use async_trait::async_trait;
use concierge_domain::{BotId, IdentifyMethod};

use super::PostgresStore;
use crate::sql;
use crate::{Contact, ContactUpsert, Contacts, Page, Result, UpsertedContact};

#[async_trait]
impl Contacts for PostgresStore {
    #[tracing::instrument(skip_all, fields(bot_id = %upsert.bot_id))]
    async fn upsert_contact(&self, upsert: ContactUpsert<'_>) -> Result<UpsertedContact> {
        sql::contacts::upsert_contact(&self.pool, &upsert).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn find_contact(
        &self,
        bot_id: &BotId,
        identify_method: IdentifyMethod,
        identifier: &str,
    ) -> Result<Option<Contact>> {
        sql::contacts::find_contact(&self.pool, bot_id, identify_method, identifier).await
    }

    #[tracing::instrument(skip_all, fields(contact_id = %contact_id))]
    async fn get_contact(&self, contact_id: &str) -> Result<Option<Contact>> {
        sql::contacts::get_contact(&self.pool, contact_id).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id, contacts = contact_ids.len()))]
    async fn get_contacts(&self, bot_id: &str, contact_ids: &[&str]) -> Result<Vec<Contact>> {
        sql::contacts::get_contacts(&self.pool, bot_id, contact_ids).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn list_contacts(&self, bot_id: &str, page: Page<'_>) -> Result<Vec<Contact>> {
        sql::contacts::list_contacts(&self.pool, bot_id, page).await
    }
}
