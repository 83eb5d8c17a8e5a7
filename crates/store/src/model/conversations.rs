//! Widget sessions, the conversations they open, their messages, and what a sign-in does
//! with a visitor's conversation.

use concierge_domain::{Author, Handler, Priority, StyleRange};

pub struct OpenSession<'a> {
    pub bot_id: &'a str,
    pub contact_id: Option<&'a str>,
    /// SHA-256 of the new session token.
    pub token_hash: &'a str,
    /// The hash of the browser's previous visitor session token, if it sent one.
    pub visitor_token_hash: Option<&'a str>,
    /// The session was asked for with an access token that was refused. It stays
    /// anonymous and continues the visitor's conversation without revoking the visitor
    /// session, and it proves that conversation later only to a start that presents the
    /// same access token: a refused token may belong to somebody else than the next person
    /// to sign in, but whoever holds that token is the person it names.
    pub refused: bool,
    /// SHA-256 of the access token this start presented, if any: what a refused visitor
    /// session's conversation is proved by, and what a refused session keeps.
    pub proof_hash: Option<&'a str>,
    pub expires_at: i64,
    pub now: i64,
}

/// A session start that presents no visitor session: the kind
/// [`crate::Conversations::start_sessions`] writes several of in one transaction.
#[derive(Debug, Clone)]
pub struct NewStart {
    pub bot_id: String,
    /// The verified person, whose contact is created or updated; `None`: anonymous.
    pub contact: Option<crate::ContactProfile>,
    /// SHA-256 of the new session token.
    pub token_hash: String,
    /// See [`OpenSession::refused`].
    pub refused: bool,
    /// See [`OpenSession::proof_hash`].
    pub proof_hash: Option<String>,
    pub expires_at: i64,
    pub now: i64,
}

/// What a [`NewStart`] wrote.
#[derive(Debug, Clone)]
pub struct StartedSession {
    pub contact: Option<crate::Contact>,
    pub session: Session,
    pub conversation: Conversation,
    /// The conversation was created by this start: it has no messages yet.
    pub new_conversation: bool,
    /// The conversation's newest messages (as many as asked for), oldest first.
    pub messages: Vec<Message>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Session {
    pub id: String,
    pub bot_id: String,
    pub contact_id: Option<String>,
    pub conversation_id: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Conversation {
    pub id: String,
    pub bot_id: String,
    pub contact_id: Option<String>,
    /// The bot answers, or (handed off) nobody yet, or a person: the bot stays silent.
    pub handled_by: Handler,
    /// The inbox lists waiting conversations of high priority first.
    pub priority: Priority,
    /// The person answering, shown in the widget.
    pub agent_name: Option<String>,
    /// Their account (a user's id, or `admin` for the admin token): names may repeat.
    pub agent_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Who handles a conversation after a visitor's conversation joined it.
pub(crate) struct MergedHandler {
    pub handled_by: Handler,
    pub priority: Priority,
    pub agent_name: Option<String>,
    pub agent_id: Option<String>,
    /// Any of the three differs from what the conversation had.
    pub changed: bool,
}

impl Conversation {
    /// Who handles this conversation once `visitor`'s messages joined it: the more engaged
    /// of the two (a person answering, then waiting for one, then the bot) with its agent,
    /// at the higher of the two priorities.
    pub(crate) fn merged_handler(&self, visitor: &Conversation) -> MergedHandler {
        let rank = |handled_by: Handler| match handled_by {
            Handler::Agent => 2,
            Handler::Waiting => 1,
            Handler::Bot => 0,
        };
        let lead = if rank(visitor.handled_by) > rank(self.handled_by) { visitor } else { self };
        let priority = self.priority.max(visitor.priority);
        let changed =
            lead.handled_by != self.handled_by || lead.agent_name != self.agent_name || priority != self.priority;
        MergedHandler {
            handled_by: lead.handled_by,
            priority,
            agent_name: lead.agent_name.clone(),
            agent_id: lead.agent_id.clone(),
            changed,
        }
    }
}

/// Who handles a conversation from now on; see [`Conversation`] for the values.
#[derive(Debug, Clone, Copy)]
pub struct HandlerChange<'a> {
    pub handled_by: Handler,
    pub priority: Priority,
    pub agent_name: Option<&'a str>,
    pub agent_id: Option<&'a str>,
    /// Only change a conversation whose handled_by is this (compare-and-set), e.g. the bot
    /// hands off only while it still handles the conversation.
    pub expected: Option<Handler>,
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedSession {
    pub session: Session,
    pub conversation: Conversation,
    /// What became of the browser's anonymous conversation.
    pub visitor: VisitorOutcome,
    /// The sessions this start ended, whose open sockets must close.
    pub ended: Option<EndedSessions>,
}

/// Sessions of one conversation that stopped working before they expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedSessions {
    pub conversation_id: String,
    pub which: Ended,
}

/// Which of a conversation's sessions ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "which", content = "id", rename_all = "snake_case")]
pub enum Ended {
    /// The session with this id: a logout, or a visitor session that a newer one of the
    /// same browser replaced.
    Session(String),
    /// Every anonymous session: the visitor signed in, and the conversation became the
    /// contact's, joined the contact's, or was discarded.
    Anonymous,
}

impl Ended {
    pub fn includes(&self, session: &Session) -> bool {
        match self {
            Ended::Session(id) => *id == session.id,
            Ended::Anonymous => session.contact_id.is_none(),
        }
    }
}

/// What a session start did with the anonymous conversation that the browser proved with
/// its visitor session token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisitorOutcome {
    /// No live visitor session of this bot was presented.
    None,
    /// The visitor goes on chatting in it (a reload, or a refused sign-in).
    Continued,
    /// The visitor signed in without having written anything: the conversation is
    /// deleted and the contact's own is used, so an empty chat never hides their history.
    Discarded,
    /// The contact had no conversation yet: this one became theirs.
    HandedOver,
    /// Its messages joined the contact's most recent conversation and it is gone, so the
    /// person sees one continuous conversation on every device.
    Merged {
        from: String,
        /// The moved messages, oldest first.
        messages: Vec<Message>,
        /// Who handles the contact's conversation, or its priority, changed: it took over
        /// the visitor's handler (waiting for a person, or a person answering) or priority.
        handler_changed: bool,
    },
}

pub struct NewMessage<'a> {
    pub conversation_id: &'a str,
    pub author: Author,
    /// The bot's name for bot messages, the agent's display name for agent messages, `None`
    /// for the visitor.
    pub author_name: Option<&'a str>,
    pub text: &'a str,
    /// The emphasis of a bot message's text; `None` for other messages and plain text.
    pub styles: Option<&'a [StyleRange]>,
    /// Written only while the conversation is handled so, checked under the lock the write
    /// holds (else `Error::Conflict("handler")`): the bot's answer, so that it never follows
    /// the message of a person who took over while the bot was thinking.
    pub only_while: Option<Handler>,
    pub now: i64,
}

/// `seq` is the message's id on the wire: increasing in insertion order, across all
/// conversations, so `after=seq` pagination never skips or repeats.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct Message {
    pub seq: i64,
    pub conversation_id: String,
    pub author: Author,
    /// See [`NewMessage::author_name`].
    pub author_name: Option<String>,
    pub text: String,
    /// See [`NewMessage::styles`].
    #[sqlx(json(nullable))]
    pub styles: Option<Vec<StyleRange>>,
    pub created_at: i64,
}

/// A message just stored, and where it goes in its conversation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Posted {
    pub message: Message,
    /// The `seq` of the conversation's message before this one (0 for its first). Messages
    /// of one conversation commit in `seq` order but may be announced in another (two
    /// requests, or two instances, racing to publish): a watcher that has not seen
    /// `prev_seq` yet knows a message overtook another, and re-reads what is stored.
    pub prev_seq: i64,
    /// The conversation as the inbox lists it with this message as its latest, read under
    /// the same lock: an inbox can show the change without reading anything.
    pub inbox: InboxItem,
}

/// What [`crate::Conversations::add_message_once`] did.
#[derive(Debug, Clone)]
pub enum Added {
    /// Stored now. Boxed: a posted message carries its conversation's inbox entry too.
    Posted(Box<Posted>),
    /// Stored before, under the same client id: nothing was written.
    Repeated(Message),
}

impl Added {
    /// The message written, for a write without a client id, which is never a repeat.
    pub(crate) fn posted(self) -> crate::Result<Posted> {
        match self {
            Added::Posted(posted) => Ok(*posted),
            Added::Repeated(_) => Err(crate::Error::Conflict("client_id")),
        }
    }
}

/// A conversation as the inbox lists it: who it is with and its latest message.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct InboxItem {
    pub id: String,
    pub bot_id: String,
    pub contact_id: Option<String>,
    pub handled_by: Handler,
    pub priority: Priority,
    pub agent_name: Option<String>,
    pub updated_at: i64,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    /// How the contact was identified (an id, an email, a phone number): what names a
    /// contact known by nothing else.
    pub contact_identifier: Option<String>,
    pub last_author: Author,
    pub last_text: String,
    pub last_seq: i64,
}

/// Where a conversation stands in the inbox's order, which a next page starts after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxPlace {
    /// 0: waiting at high priority, 1: waiting, 2: the others.
    pub rank: i64,
    pub updated_at: i64,
    pub id: String,
}

impl InboxItem {
    /// The group it is listed in: 0 waiting at high priority, 1 waiting, 2 the others (the
    /// database's `inbox_rank`).
    pub fn rank(&self) -> i64 {
        match (self.handled_by, self.priority) {
            (Handler::Waiting, Priority::High) => 0,
            (Handler::Waiting, Priority::Normal) => 1,
            _ => 2,
        }
    }

    pub fn place(&self) -> InboxPlace {
        InboxPlace { rank: self.rank(), updated_at: self.updated_at, id: self.id.clone() }
    }
}

/// The conversation a message is being added to, as its writer holds it: with what the
/// inbox shows of its contact, and the seq of its newest message so far (0: none).
#[derive(sqlx::FromRow)]
pub(crate) struct HeldConversation {
    #[sqlx(flatten)]
    pub conversation: Conversation,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_identifier: Option<String>,
    pub prev_seq: i64,
}
