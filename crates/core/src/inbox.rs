//! The support team's side of conversations: the inbox, agent replies, and taking a
//! conversation over from the bot and handing it back.

use concierge_domain::{Author, BotId, ConversationId, Handler, Priority};
use concierge_store::{Conversation, HandlerChange, InboxItem, InboxPlace, Message};

use super::{now_ms, Error, Principal, Result, Services};
use crate::bus::{Event, Topic};

/// Who answers for the admin token, which belongs to no person.
const TEAM: &str = "Support team";

/// Conversations a page of the inbox lists; messages a read of a thread gives.
pub const INBOX_PAGE: u32 = 100;
pub const THREAD_PAGE: u32 = 200;

/// A page of the inbox, and where the next one starts if there may be one.
pub struct InboxPage {
    pub items: Vec<InboxItem>,
    pub next_cursor: Option<String>,
}

/// The cursor of the page after `item`: its place in the inbox's order, written out.
fn cursor(item: &InboxItem) -> String {
    let place = item.place();
    format!("{}.{}.{}", place.rank, place.updated_at, place.id)
}

fn place(cursor: &str) -> Result<InboxPlace> {
    let refused = || Error::BadRequest {
        code: "invalid_query",
        message: "before is not a cursor this list gave (next_cursor).".into(),
    };
    let mut parts = cursor.splitn(3, '.');
    let (Some(rank), Some(updated_at), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(refused());
    };
    let rank = rank.parse().ok().filter(|r| (0..=2).contains(r)).ok_or_else(refused)?;
    let updated_at = updated_at.parse().map_err(|_| refused())?;
    if id.is_empty() {
        return Err(refused());
    }
    Ok(InboxPlace { rank, updated_at, id: id.to_owned() })
}

impl Services {
    /// A page of the bot's inbox: the first, or the one after `before` (a `next_cursor`).
    pub async fn inbox(&self, who: &Principal, bot_id: &str, before: Option<&str>) -> Result<InboxPage> {
        let after = before.map(place).transpose()?;
        self.bot_for(who, bot_id).await?;
        let items = self.store.list_inbox(bot_id, after.as_ref(), INBOX_PAGE).await?;
        let next_cursor = super::paging::next_cursor(&items, INBOX_PAGE, cursor);
        Ok(InboxPage { items, next_cursor })
    }

    /// The conversation, if the caller may see its bot; otherwise `conversation_not_found`.
    /// What the page said about the conversation's visitor (its `data-*` fields, by wire
    /// name), unverified: for a visitor the bot did not identify, or identified by an
    /// identity hash, which verifies one field only.
    pub async fn page_fields(&self, who: &Principal, conversation_id: &str) -> Result<Vec<(String, String)>> {
        self.conversation_for(who, conversation_id).await?;
        let said = self.store.page_fields(conversation_id).await?;
        let fields = said.as_ref().and_then(serde_json::Value::as_object).into_iter().flatten();
        Ok(fields.filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect())
    }

    pub async fn conversation_for(&self, who: &Principal, conversation_id: &str) -> Result<Conversation> {
        let conversation =
            self.store.get_conversation(conversation_id).await?.ok_or(Error::NotFound("conversation"))?;
        match self.bot_for(who, &conversation.bot_id).await {
            Ok(_) => Ok(conversation),
            Err(Error::NotFound(_)) => Err(Error::NotFound("conversation")),
            Err(e) => Err(e),
        }
    }

    /// A conversation's messages, oldest first: the newest, those after `after` (to catch
    /// up), or those just before `before` (to read further back).
    pub async fn conversation_messages(
        &self,
        who: &Principal,
        conversation_id: &str,
        after: i64,
        before: Option<i64>,
    ) -> Result<Vec<Message>> {
        let conversation = self.conversation_for(who, conversation_id).await?;
        Ok(match (after, before) {
            (_, Some(before)) => self.store.messages_before(&conversation.id, before, THREAD_PAGE).await?,
            (0, None) => self.store.latest_messages(&conversation.id, THREAD_PAGE).await?,
            (after, None) => self.store.list_messages(&conversation.id, after, THREAD_PAGE).await?,
        })
    }

    /// An agent answers; answering takes the conversation over from the bot (or from a
    /// colleague: the widget then shows who answers now).
    pub async fn agent_reply(&self, who: &Principal, conversation_id: &str, text: &str) -> Result<Message> {
        let text = super::messages::message_text(text)?;
        let conversation = self.conversation_for(who, conversation_id).await?;
        let name = self.agent_name(who).await?;
        if conversation.handled_by != Handler::Agent || !answered_by(&conversation, who, &name) {
            self.set_handler(who, conversation_id, Handler::Agent).await?;
        }
        self.post(
            &BotId::from(conversation.bot_id.as_str()),
            &ConversationId::from(conversation.id.as_str()),
            Author::Agent,
            Some(&name),
            &text,
            &[],
        )
        .await
    }

    /// Takes the conversation over from the bot or from the queue. A conversation a
    /// colleague already answers stays theirs: two agents who both clicked "Take over" on
    /// one waiting conversation must not both believe it is theirs and answer the visitor
    /// twice. The loser is told who has it (`conversation_taken`); replying still takes it
    /// over deliberately (see [`Services::agent_reply`]).
    pub async fn take_over(&self, who: &Principal, conversation_id: &str) -> Result<Conversation> {
        let name = self.agent_name(who).await?;
        // Each round reads the state and writes only over that state; losing a race means
        // the state changed, and the next round reads what it became.
        for _ in 0..3 {
            let conversation = self.conversation_for(who, conversation_id).await?;
            if conversation.handled_by == Handler::Agent {
                if answered_by(&conversation, who, &name) {
                    return Ok(conversation);
                }
                return Err(taken(conversation.agent_name.as_deref()));
            }
            let change = HandlerChange {
                handled_by: Handler::Agent,
                priority: conversation.priority,
                agent_name: Some(&name),
                agent_id: Some(agent_id(who)),
                expected: Some(conversation.handled_by),
                now: now_ms(),
            };
            if let Some(updated) = self.store.set_conversation_handler(&conversation.id, &change).await? {
                self.announce_handler(&updated.bot_id, &updated).await;
                return Ok(updated);
            }
        }
        Err(Error::NotNow {
            code: "conversation_busy",
            message: "The conversation kept changing hands; try again in a moment.".into(),
        })
    }

    /// Takes the conversation over whoever handles it (`Agent`), or resolves it and hands
    /// it back to the bot (`Bot`), which also drops its priority.
    pub async fn set_handler(&self, who: &Principal, conversation_id: &str, handler: Handler) -> Result<Conversation> {
        let conversation = self.conversation_for(who, conversation_id).await?;
        let name = match handler {
            Handler::Agent => Some(self.agent_name(who).await?),
            Handler::Bot | Handler::Waiting => None,
        };
        let change = HandlerChange {
            handled_by: handler,
            priority: match handler {
                Handler::Agent | Handler::Waiting => conversation.priority,
                Handler::Bot => Priority::Normal,
            },
            agent_name: name.as_deref(),
            agent_id: name.is_some().then(|| agent_id(who)),
            expected: None,
            now: now_ms(),
        };
        let updated = self
            .store
            .set_conversation_handler(&conversation.id, &change)
            .await?
            .ok_or(Error::NotFound("conversation"))?;
        self.announce_handler(&updated.bot_id, &updated).await;
        Ok(updated)
    }

    /// Tells the conversation's widgets and the bot's inbox who answers now.
    pub(super) async fn announce_handler(&self, bot_id: &str, conversation: &Conversation) {
        let event = Event::Handler {
            conversation_id: conversation.id.clone(),
            handled_by: conversation.handled_by,
            agent_name: conversation.agent_name.clone(),
            priority: conversation.priority,
        };
        self.bus.publish_conversation(&BotId::from(bot_id), &ConversationId::from(conversation.id.as_str()), event);
        self.announce_listed(bot_id, &conversation.id).await;
    }

    /// Tells the bot's inbox how it lists the conversation now, read once here rather than
    /// by every agent's tab. Read after the change committed, so it is at least as new as
    /// the change. The change is made: an inbox that is not told catches up at its next
    /// (re)connection, so a failed read is logged, not the caller's failure.
    pub(super) async fn announce_listed(&self, bot_id: &str, conversation_id: &str) {
        match self.store.inbox_item(conversation_id).await {
            Ok(Some(item)) => self.bus.publish(&Topic::Bot(BotId::from(bot_id)), Event::Listed(item)),
            // Without messages it is not listed.
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, conversation_id, "could not tell the inbox of a change"),
        }
    }

    /// The name the visitor sees on a person's answers: the user's display name, else the
    /// part of their email before the @; the admin token answers as the support team.
    pub async fn agent_name(&self, who: &Principal) -> Result<String> {
        let Principal::Member { user_id, .. } = who else { return Ok(TEAM.to_owned()) };
        let Some(user) = self.store.get_user(user_id).await? else { return Ok(TEAM.to_owned()) };
        let name = user.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
        Ok(name.map_or_else(|| user.email.split('@').next().unwrap_or(&user.email).to_owned(), str::to_owned))
    }
}

/// Who answers, by account: names may repeat (two agents called Sam; everyone on the admin
/// token is the support team, one account).
fn agent_id(who: &Principal) -> &str {
    match who {
        Principal::Admin => "admin",
        Principal::Member { user_id, .. } => user_id,
    }
}

/// Whether `who` (named `name`) is who answers the conversation; by name for a conversation
/// taken before accounts were recorded.
fn answered_by(conversation: &Conversation, who: &Principal, name: &str) -> bool {
    match &conversation.agent_id {
        Some(id) => id == agent_id(who),
        None => conversation.agent_name.as_deref() == Some(name),
    }
}

/// The refusal of a take-over of a conversation a colleague answers.
fn taken(holder: Option<&str>) -> Error {
    let holder = holder.unwrap_or("A colleague");
    Error::NotNow {
        code: "conversation_taken",
        message: format!("{holder} is answering this conversation. Replying takes it over from them."),
    }
}
