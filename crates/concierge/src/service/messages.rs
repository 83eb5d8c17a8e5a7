//! The visitor's side of a conversation: sending, reading history, and the interim bot
//! that acknowledges each message by name until the knowledge-base bot replaces it.

use std::time::Duration;

use concierge_domain::{hash_token, FieldError};
use concierge_store::{Message, NewMessage, Session};

use super::{now_ms, Error, Result, Services};
use crate::bus::{bot_topic, Event};

const MAX_MESSAGE_CHARS: usize = 4000;
const PAGE: u32 = 200;
/// Long enough for the typing indicator to register with a person, short enough to feel live.
const BOT_THINKING: Duration = Duration::from_millis(600);

/// A message as written by a visitor or an agent: trimmed, 1 to 4,000 characters.
pub(super) fn message_text(text: &str) -> Result<&str> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(Error::Validation(vec![FieldError {
            field: "text".into(),
            message: format!("A message has 1 to {MAX_MESSAGE_CHARS} characters."),
        }]));
    }
    Ok(text)
}

impl Services {
    /// The live session behind a widget's bearer token, if the page's origin may use the bot.
    pub async fn widget_session(&self, bearer: Option<&str>, origin: Option<&str>) -> Result<Session> {
        let token = bearer.filter(|t| !t.is_empty()).ok_or(Error::Unauthorized)?;
        let session = self.store.find_session(&hash_token(token), now_ms()).await?.ok_or(Error::Unauthorized)?;
        if !self.load_bot_auth(&session.bot_id).await?.settings.allows_origin(origin) {
            return Err(Error::OriginNotAllowed);
        }
        Ok(session)
    }

    /// Logs the widget out: the token stops working at once, everywhere.
    pub async fn end_widget_session(&self, bearer: Option<&str>) -> Result<()> {
        let token = bearer.filter(|t| !t.is_empty()).ok_or(Error::Unauthorized)?;
        if self.store.delete_session(&hash_token(token)).await? {
            Ok(())
        } else {
            Err(Error::Unauthorized)
        }
    }

    /// Stores the visitor's message, delivers it to every socket of the conversation, and
    /// lets the bot answer.
    pub async fn send_visitor_message(&self, session: &Session, text: &str) -> Result<Message> {
        let text = message_text(text)?;
        let message = self.post(&session.bot_id, &session.conversation_id, "visitor", text).await?;
        let services = self.clone();
        let session = session.clone();
        tokio::spawn(async move {
            if let Err(e) = services.acknowledge(&session).await {
                tracing::warn!(error = %e, "the bot could not answer");
            }
        });
        Ok(message)
    }

    /// Stores a message and tells the conversation's sockets and the bot's inbox.
    pub(super) async fn post(&self, bot_id: &str, conversation_id: &str, author: &str, text: &str) -> Result<Message> {
        let message = self.store.add_message(NewMessage { conversation_id, author, text, now: now_ms() }).await?;
        self.bus.publish(conversation_id, Event::Message(message.clone()));
        self.bus.publish(&bot_topic(bot_id), Event::Message(message.clone()));
        Ok(message)
    }

    async fn acknowledge(&self, session: &Session) -> Result<()> {
        // While an agent handles the conversation, the bot stays silent; an agent may take
        // over while the bot is "thinking", so this is asked again right before it answers.
        if !self.bot_handles(&session.conversation_id).await? {
            return Ok(());
        }
        self.bus.publish(&session.conversation_id, Event::Typing { author: "bot".into() });
        tokio::time::sleep(BOT_THINKING).await;
        if !self.bot_handles(&session.conversation_id).await? {
            return Ok(());
        }
        let name = match &session.contact_id {
            Some(id) => self.store.get_contact(id).await?.and_then(|c| c.name),
            None => None,
        };
        let text = match name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            Some(name) => format!("Thanks, {name}! We have your message and will answer here."),
            None => "Thanks! We have your message and will answer here.".to_owned(),
        };
        self.post(&session.bot_id, &session.conversation_id, "bot", &text).await?;
        Ok(())
    }

    async fn bot_handles(&self, conversation_id: &str) -> Result<bool> {
        Ok(self.store.get_conversation(conversation_id).await?.is_some_and(|c| c.handled_by == "bot"))
    }

    pub async fn messages_after(&self, session: &Session, after: i64) -> Result<Vec<Message>> {
        Ok(self.store.list_messages(&session.conversation_id, after, PAGE).await?)
    }
}
