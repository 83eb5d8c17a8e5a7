//! The support team's side of conversations: the inbox, agent replies, and taking a
//! conversation over from the bot and handing it back.

use concierge_store::{Conversation, InboxItem, Message};

use super::{now_ms, Error, Principal, Result, Services};
use crate::bus::{bot_topic, Event};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    Bot,
    Agent,
}

impl Handler {
    fn as_str(self) -> &'static str {
        match self {
            Handler::Bot => "bot",
            Handler::Agent => "agent",
        }
    }
}

impl Services {
    pub async fn inbox(&self, who: &Principal, bot_id: &str) -> Result<Vec<InboxItem>> {
        self.bot_for(who, bot_id).await?;
        Ok(self.store.list_inbox(bot_id, 100).await?)
    }

    /// The conversation, if the caller may see its bot; otherwise `conversation_not_found`.
    pub async fn conversation_for(&self, who: &Principal, conversation_id: &str) -> Result<Conversation> {
        let conversation =
            self.store.get_conversation(conversation_id).await?.ok_or(Error::NotFound("conversation"))?;
        match self.bot_for(who, &conversation.bot_id).await {
            Ok(_) => Ok(conversation),
            Err(Error::NotFound(_)) => Err(Error::NotFound("conversation")),
            Err(e) => Err(e),
        }
    }

    pub async fn conversation_messages(
        &self,
        who: &Principal,
        conversation_id: &str,
        after: i64,
    ) -> Result<Vec<Message>> {
        let conversation = self.conversation_for(who, conversation_id).await?;
        // A first look shows the newest messages; later calls continue after the last seen.
        Ok(match after {
            0 => self.store.latest_messages(&conversation.id, 200).await?,
            _ => self.store.list_messages(&conversation.id, after, 200).await?,
        })
    }

    /// An agent answers; answering takes the conversation over from the bot.
    pub async fn agent_reply(&self, who: &Principal, conversation_id: &str, text: &str) -> Result<Message> {
        let text = super::messages::message_text(text)?;
        let conversation = self.conversation_for(who, conversation_id).await?;
        if conversation.handled_by != Handler::Agent.as_str() {
            self.set_handler(who, conversation_id, Handler::Agent).await?;
        }
        self.post(&conversation.bot_id, &conversation.id, "agent", text).await
    }

    /// Takes the conversation over from the bot (`Agent`) or hands it back (`Bot`).
    pub async fn set_handler(&self, who: &Principal, conversation_id: &str, handler: Handler) -> Result<Conversation> {
        let conversation = self.conversation_for(who, conversation_id).await?;
        let updated = self
            .store
            .set_conversation_handler(&conversation.id, handler.as_str(), now_ms())
            .await?
            .ok_or(Error::NotFound("conversation"))?;
        self.bus.publish(
            &bot_topic(&updated.bot_id),
            Event::Handler { conversation_id: updated.id.clone(), handled_by: updated.handled_by.clone() },
        );
        Ok(updated)
    }
}
