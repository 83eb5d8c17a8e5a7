//! The visitor's side of a conversation. The bot's and agents' replies come in later
//! layers; here a message is stored and the history read back.

use concierge_domain::{hash_token, FieldError};
use concierge_store::{Message, NewMessage, Session};

use super::{now_ms, Error, Result, Services};

const MAX_MESSAGE_CHARS: usize = 4000;
const PAGE: u32 = 200;

impl Services {
    /// The live session behind a widget's bearer token.
    pub async fn widget_session(&self, bearer: Option<&str>) -> Result<Session> {
        let token = bearer.filter(|t| !t.is_empty()).ok_or(Error::Unauthorized)?;
        self.store.find_session(&hash_token(token), now_ms()).await?.ok_or(Error::Unauthorized)
    }

    pub async fn send_visitor_message(&self, session: &Session, text: &str) -> Result<Message> {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > MAX_MESSAGE_CHARS {
            return Err(Error::Validation(vec![FieldError {
                field: "text".into(),
                message: format!("A message has 1 to {MAX_MESSAGE_CHARS} characters."),
            }]));
        }
        let message = self
            .store
            .add_message(NewMessage {
                conversation_id: &session.conversation_id,
                author: "visitor",
                text,
                now: now_ms(),
            })
            .await?;
        Ok(message)
    }

    pub async fn messages_after(&self, session: &Session, after: i64) -> Result<Vec<Message>> {
        Ok(self.store.list_messages(&session.conversation_id, after, PAGE).await?)
    }
}
