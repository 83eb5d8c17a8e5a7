//! The visitor's side of a conversation: sending and reading history.

use concierge_domain::{
    hash_token, parse_message_text, AuthErrorCode, Author, BotId, ConversationId, FieldError, StyleRange,
};
use concierge_store::{Added, Ended, EndedSessions, Message, NewMessage, Posted, Session};

use super::{now_ms, Error, Result, Services};
use crate::bus::{Event, Topic};

const PAGE: u32 = 200;

/// The longest id a widget may give its message.
const MAX_CLIENT_ID: usize = 64;

/// Why a widget's id for its message is refused, if it is: 1 to 64 letters, digits, `-`
/// or `_` (a UUID, say).
fn client_id_refused(id: &str) -> Option<FieldError> {
    let fine = (1..=MAX_CLIENT_ID).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (!fine).then(|| {
        FieldError::new("client_id", format!("1 to {MAX_CLIENT_ID} letters, digits, '-' or '_' (a UUID, say)."))
    })
}

/// A message as written by a visitor or an agent; see [`parse_message_text`].
pub(super) fn message_text(text: &str) -> Result<String> {
    parse_message_text(text).map_err(|e| Error::Validation(vec![e]))
}

impl Services {
    /// The live session behind a widget's bearer token, if the page's origin may use the bot
    /// and the bot lets it chat: a bot that now requires sign-in (Custom Authentication on,
    /// blocking on failure) no longer lets an anonymous session started before chat on.
    pub async fn widget_session(&self, bearer: Option<&str>, origin: Option<&str>) -> Result<Session> {
        let session = self.find_widget_session(bearer).await?;
        let auth = self.load_bot_auth(&session.bot_id).await?;
        if !auth.settings.allows_origin(origin) {
            return Err(Error::OriginNotAllowed);
        }
        if session.contact_id.is_none() && auth.settings.signin_required() {
            let failure = super::session::public_failure(AuthErrorCode::TokenRequired);
            return Err(Error::AuthFailed { code: failure.code, message: failure.message, passing: false });
        }
        Ok(session)
    }

    /// The live session behind a widget's bearer token, whatever the page.
    pub async fn find_widget_session(&self, bearer: Option<&str>) -> Result<Session> {
        let token = bearer.filter(|t| !t.is_empty()).ok_or(Error::Unauthorized)?;
        self.store.find_session(&hash_token(token), now_ms()).await?.ok_or(Error::Unauthorized)
    }

    /// Logs the widget out: the token stops working at once, everywhere, and the sockets
    /// using it (on any instance) are told to close.
    pub async fn end_widget_session(&self, bearer: Option<&str>) -> Result<()> {
        let token = bearer.filter(|t| !t.is_empty()).ok_or(Error::Unauthorized)?;
        let session = self.store.delete_session(&hash_token(token)).await?.ok_or(Error::Unauthorized)?;
        self.announce_ended(EndedSessions {
            conversation_id: session.conversation_id,
            which: Ended::Session(session.id),
        });
        Ok(())
    }

    /// Tells the sockets of sessions that stopped working to close: they check nothing in
    /// the database while they run (docs/widget-protocol.md §3).
    pub(super) fn announce_ended(&self, ended: EndedSessions) {
        let topic = Topic::Conversation(ConversationId::from(ended.conversation_id));
        self.bus.publish(&topic, Event::SessionsEnded { sessions: ended.which });
    }

    /// Stores the visitor's message, delivers it to every socket of the conversation, and
    /// lets the bot answer. With the widget's `client_id` for it, once: the same id again
    /// (a retry whose first answer was lost) gives the message stored then, `false`, and
    /// neither delivers it again nor lets the bot answer it twice.
    pub async fn send_visitor_message(
        &self,
        session: &Session,
        text: &str,
        client_id: Option<&str>,
    ) -> Result<(Message, bool)> {
        let text = message_text(text)?;
        if let Some(refused) = client_id.and_then(client_id_refused) {
            return Err(Error::Validation(vec![refused]));
        }
        self.limits.check_message(&session.conversation_id).await?;
        let bot_id = BotId::from(session.bot_id.as_str());
        let new = NewMessage {
            conversation_id: &session.conversation_id,
            author: Author::Visitor,
            author_name: None,
            text: &text,
            styles: None,
            only_while: None,
            now: now_ms(),
        };
        let message = match client_id {
            None => self.post_message(&bot_id, new).await?,
            Some(client_id) => match self.store.add_message_once(new, client_id).await? {
                Added::Posted(posted) => self.announce_posted(&bot_id, *posted),
                Added::Repeated(message) => return Ok((message, false)),
            },
        };
        let services = self.clone();
        let session = session.clone();
        let seq = message.seq;
        // Tracked, so that a process stopping (a deploy) answers the message first.
        self.bot_tasks.spawn(async move {
            let outcome = match services.answer(&session, seq, &text).await {
                Ok(turn) => turn.as_str(),
                Err(e) => {
                    tracing::warn!(error = %e, "the bot could not answer");
                    "failed"
                }
            };
            metrics::counter!("concierge_bot_turns_total", "outcome" => outcome).increment(1);
            services.bot_turns.send_modify(|turns| *turns += 1);
        });
        Ok((message, true))
    }

    /// Lets the bot finish the turns it has begun, for at most `grace`, and starts no
    /// more: for a process that is stopping, after its last request. Whether all were
    /// finished; those that were not are handed to the team by the next housekeeping of
    /// any instance ([`Services::hand_over_unfinished_turns`]).
    pub async fn finish_bot_turns(&self, grace: std::time::Duration) -> bool {
        self.bot_tasks.close();
        let left = self.bot_tasks.len();
        if left == 0 {
            return true;
        }
        tracing::info!(turns = left, "waiting for the bot to finish its turns");
        let finished = tokio::time::timeout(grace, self.bot_tasks.wait()).await.is_ok();
        if !finished {
            tracing::warn!(turns = self.bot_tasks.len(), "stopping with bot turns unfinished");
        }
        finished
    }

    /// How many visitor messages the bot has finished with (answered, handed to the team,
    /// left to a person, or failed on): everything the bot does for a message, it has done
    /// before this counts it. For whoever must know that the bot is done, such as a test
    /// proving that the bot stayed silent.
    pub fn bot_turns(&self) -> tokio::sync::watch::Receiver<u64> {
        self.bot_turns.subscribe()
    }

    /// Stores a message and tells the conversation's sockets and the bot's inbox; `styles`
    /// is a bot message's emphasis (empty: none).
    pub(super) async fn post(
        &self,
        bot_id: &BotId,
        conversation_id: &ConversationId,
        author: Author,
        author_name: Option<&str>,
        text: &str,
        styles: &[StyleRange],
    ) -> Result<Message> {
        let styles = (!styles.is_empty()).then_some(styles);
        let conversation_id = conversation_id.as_str();
        let new = NewMessage { conversation_id, author, author_name, text, styles, only_while: None, now: now_ms() };
        self.post_message(bot_id, new).await
    }

    /// Stores `new` and tells the conversation's sockets and the bot's inbox.
    pub(super) async fn post_message(&self, bot_id: &BotId, new: NewMessage<'_>) -> Result<Message> {
        let posted = self.store.add_message(new).await?;
        Ok(self.announce_posted(bot_id, posted))
    }

    /// Tells the conversation's sockets and the bot's inbox of a message just stored.
    fn announce_posted(&self, bot_id: &BotId, posted: Posted) -> Message {
        let message = posted.message.clone();
        let conversation_id = ConversationId::from(message.conversation_id.as_str());
        self.bus.publish_conversation(bot_id, &conversation_id, Event::Message(posted));
        message
    }

    pub async fn messages_after(&self, session: &Session, after: i64) -> Result<Vec<Message>> {
        Ok(self.store.list_messages(&session.conversation_id, after, PAGE).await?)
    }
}
