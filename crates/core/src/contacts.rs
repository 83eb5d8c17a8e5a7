use concierge_store::{Contact, Conversation, Message, Page};

use super::{Error, Principal, Result, Services};

/// A page of a bot's contacts, most recently created first.
pub struct ContactPage {
    pub items: Vec<Contact>,
    /// Pass as `before` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl Services {
    pub async fn list_contacts(&self, who: &Principal, bot_id: &str, page: Page<'_>) -> Result<ContactPage> {
        self.bot_for(who, bot_id).await?;
        let limit = if page.limit == 0 { 50 } else { page.limit.min(200) };
        let items = self.store.list_contacts(bot_id, Page { limit, ..page }).await?;
        let next_cursor = super::paging::next_cursor(&items, limit, |c| c.id.clone());
        Ok(ContactPage { items, next_cursor })
    }

    /// The contact, if the caller may see its bot; otherwise `contact_not_found`.
    pub async fn contact_for(&self, who: &Principal, contact_id: &str) -> Result<Contact> {
        let contact = self.store.get_contact(contact_id).await?.ok_or(Error::NotFound("contact"))?;
        match self.store.get_bot(&contact.bot_id).await? {
            Some(bot) if who.can_access(&bot.workspace_id) => Ok(contact),
            _ => Err(Error::NotFound("contact")),
        }
    }
}

/// Messages shown per conversation on a contact's page.
const CONVERSATION_PREVIEW: u32 = 50;

impl Services {
    /// A contact with its conversations (most recent first) and their newest messages.
    pub async fn contact_detail(
        &self,
        who: &Principal,
        contact_id: &str,
    ) -> Result<(Contact, Vec<(Conversation, Vec<Message>)>)> {
        let contact = self.contact_for(who, contact_id).await?;
        let conversations = self.store.contact_history(&contact.id, CONVERSATION_PREVIEW).await?;
        Ok((contact, conversations))
    }
}
