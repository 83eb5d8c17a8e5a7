//! Starting a widget session (PRODUCT.md steps 2–6 and 8).

use std::net::IpAddr;

use concierge_domain::{
    hash_token, random_token, AuthErrorCode, BotId, ConversationId, IdentityKind, OnFailure, StyledText,
};
use concierge_store::{
    Bot, Contact, ContactProfile, Conversation, Message, NewStart, OpenSession, OpenedSession, Session, VisitorOutcome,
};

use super::auth_flow::{AuthFailure, WidgetFields};
use super::identity::{Identified, IdentityMode, Presented};
use super::{now_ms, Error, Result, Services};
use crate::bus::Event;

/// How many of the newest messages a new session receives; the widget fetches older
/// ones never, newer ones through its socket or `GET /messages?after=`.
pub(crate) const HISTORY_LIMIT: u32 = 200;

/// Longer than any hex HMAC (SHA-256's is 64), short enough to refuse junk at once.
const MAX_USER_HASH: usize = 256;

pub struct StartSession {
    pub bot_id: String,
    pub access_token: Option<String>,
    pub fields: WidgetFields,
    /// The identity hash of the identifier in `fields` (identity hash mode).
    pub user_hash: Option<String>,
    /// The browser's previous (anonymous) session token: the only proof that a visitor
    /// conversation belongs to the person now signing in.
    pub visitor_token: Option<String>,
}

pub struct ClientInfo {
    pub ip: IpAddr,
    pub origin: Option<String>,
}

pub struct SessionStarted {
    pub token: String,
    pub expires_at: i64,
    pub authenticated: bool,
    pub auth_error: Option<AuthFailure>,
    pub contact: Option<Contact>,
    pub conversation: Conversation,
    pub messages: Vec<Message>,
    /// The bot's greeting rendered for the verified contact.
    pub greeting: StyledText,
}

/// What a widget learns when its socket opens.
pub struct WidgetState {
    pub contact: Option<Contact>,
    pub greeting: StyledText,
    pub conversation: Conversation,
}

/// The start writer is gone: the process is stopping.
fn shutting_down() -> anyhow::Error {
    anyhow::anyhow!("the session writer has stopped: the process is shutting down")
}

/// What the end user's browser is told about a failure. The details (status codes, host
/// names, field names) are for the customer's developers: they are in the attempt log and
/// the testing panel, not in every visitor's console.
pub(crate) fn public_failure(code: AuthErrorCode) -> AuthFailure {
    let message = match code {
        AuthErrorCode::TokenRequired => "Sign in on the website to chat as yourself.",
        AuthErrorCode::InvalidToken => "Your sign-in could not be confirmed. Sign in again to chat as yourself.",
        _ => "We could not confirm who you are right now.",
    };
    AuthFailure { code, message: message.into() }
}

/// Whether a failure says nothing about the user, so that the same start may succeed in a
/// moment: the customer's API did not answer in time or could not be reached, failed on
/// its side (5xx, 429, an answer broken off) or was not called for want of a free slot,
/// or an introspection endpoint refused Concierge's own credentials (401/403 as
/// `auth_upstream_error`: the operator's to fix; a user's refused token is
/// `invalid_token`). Not an answer given on purpose, such as 400, 404 or a redirect for a
/// bad or expired token or a wrong URL: retrying those only asks again for the same verdict.
fn passing(code: AuthErrorCode, answered: Option<u16>) -> bool {
    match code {
        AuthErrorCode::AuthTimeout | AuthErrorCode::AuthUnreachable => true,
        AuthErrorCode::AuthUpstreamError => {
            !matches!(answered, Some(300..=499)) || matches!(answered, Some(401 | 403 | 429))
        }
        _ => false,
    }
}

impl Services {
    pub async fn start_session(&self, req: StartSession, client: ClientInfo) -> Result<SessionStarted> {
        self.limits.check_ip(client.ip).await?;
        req.fields.check(req.access_token.as_deref()).map_err(Error::Validation)?;
        if req.user_hash.as_ref().is_some_and(|h| h.len() > MAX_USER_HASH) {
            let message = format!("user_hash is an HMAC-SHA256 in hex: at most {MAX_USER_HASH} characters.");
            return Err(Error::Validation(vec![concierge_domain::FieldError::new("user_hash", message)]));
        }
        let config = self.bot_config(&req.bot_id).await?;
        let (bot, auth) = (&config.bot, &config.auth);
        if !auth.settings.allows_origin(client.origin.as_deref()) {
            return Err(Error::OriginNotAllowed);
        }
        self.limits.check_bot(&bot.id).await?;

        let access_token = req.access_token.as_deref().map(str::trim).filter(|t| !t.is_empty());
        let presented = Presented {
            access_token,
            user_hash: req.user_hash.as_deref(),
            fields: &req.fields,
            client_ip: Some(client.ip),
            is_test: false,
        };
        let verification = self.verify(IdentityMode::of(auth), presented).await;
        let answered = verification.trace.as_ref().and_then(|t| t.response.as_ref()).map(|r| r.status);
        let verified = verification.result.map_err(|failure| {
            if failure.code != AuthErrorCode::TokenRequired {
                tracing::info!(bot_id = %bot.id, code = %failure.code, mode = %auth.identity.mode, "identification failed");
            }
            public_failure(failure.code)
        });
        let (profile, auth_error) = match verified {
            Ok(None) => (None, None),
            Ok(Some(Identified { profile, identifier })) => {
                let profile = ContactProfile {
                    identify_method: identifier.method(),
                    identifier: identifier.value().to_owned(),
                    external_id: profile.id,
                    email: profile.email,
                    name: profile.name,
                    phone_number: profile.phone_number,
                    metadata: profile.metadata,
                };
                (Some(profile), None)
            }
            Err(failure) if auth.settings.on_failure == OnFailure::Block => {
                let passing = passing(failure.code, answered);
                return Err(Error::AuthFailed { code: failure.code, message: failure.message, passing });
            }
            Err(failure) => (None, Some(failure)),
        };

        let token = random_token("cst_");
        let now = now_ms();
        let ttl = i64::try_from(self.settings.session_ttl.as_millis()).unwrap_or(i64::MAX);
        let expires_at = now.saturating_add(ttl);
        let start = NewStart {
            bot_id: bot.id.clone(),
            contact: profile,
            token_hash: hash_token(&token),
            refused: access_token.is_some() && auth_error.is_some(),
            proof_hash: access_token.map(hash_token),
            expires_at,
            now,
        };
        let visitor_hash = req.visitor_token.as_deref().filter(|t| !t.is_empty()).map(hash_token);
        let (contact, conversation, messages) = match visitor_hash {
            None => {
                let started = self.starts.submit(start).await.map_err(|_| Error::Unavailable(shutting_down()))??;
                (started.contact, started.conversation, started.messages)
            }
            Some(visitor_hash) => self.start_with_visitor(start, &visitor_hash).await?,
        };
        // What the page said about a visitor it did not verify (anonymous, or identified by
        // an identity hash, which verifies one field), for agents, marked unverified. Written
        // after the start, which works whether or not this hint is kept.
        let unverified = contact.is_none() || auth.identity.mode == IdentityKind::IdentityHash;
        if let Some(said) = req.fields.said().filter(|_| unverified) {
            if let Err(e) = self.store.set_page_fields(&conversation.id, &said).await {
                tracing::warn!(error = %e, "could not keep what the page said about a visitor");
            }
        }
        let authenticated = contact.is_some();
        metrics::counter!("concierge_sessions_started_total", "authenticated" => authenticated.to_string())
            .increment(1);
        let greeting = self.greeting(bot, contact.as_ref());
        Ok(SessionStarted { greeting, token, expires_at, authenticated, auth_error, contact, conversation, messages })
    }

    /// A start that presents the browser's visitor session, whose conversation it may
    /// continue, hand over or merge: one at a time, as it may move messages.
    async fn start_with_visitor(
        &self,
        start: NewStart,
        visitor_hash: &str,
    ) -> Result<(Option<Contact>, Conversation, Vec<Message>)> {
        let contact = match &start.contact {
            Some(profile) => Some(self.store.upsert_contact(profile.upsert(&start.bot_id, start.now)).await?.contact),
            None => None,
        };
        let opened = self
            .store
            .open_session(OpenSession {
                bot_id: &start.bot_id,
                contact_id: contact.as_ref().map(|c| c.id.as_str()),
                token_hash: &start.token_hash,
                visitor_token_hash: Some(visitor_hash),
                refused: start.refused,
                proof_hash: start.proof_hash.as_deref(),
                expires_at: start.expires_at,
                now: start.now,
            })
            .await?;
        self.announce_sign_in(&start.bot_id, &opened).await;
        if let Some(ended) = opened.ended.clone() {
            self.announce_ended(ended);
        }
        let messages = self.store.latest_messages(&opened.conversation.id, HISTORY_LIMIT).await?;
        Ok((contact, opened.conversation, messages))
    }

    /// Tells the contact's other devices and the inbox that a visitor's messages joined the
    /// contact's conversation, and who answers it now; and the inbox that a visitor's
    /// conversation became a contact's.
    async fn announce_sign_in(&self, bot_id: &str, opened: &OpenedSession) {
        let into = &opened.conversation;
        let (from, messages, handler_changed) = match &opened.visitor {
            VisitorOutcome::Merged { from, messages, handler_changed } => (from, messages, handler_changed),
            VisitorOutcome::HandedOver => return self.announce_listed(bot_id, &into.id).await,
            VisitorOutcome::None | VisitorOutcome::Continued | VisitorOutcome::Discarded => return,
        };
        let merged = Event::Merged { from: from.clone(), into: into.id.clone(), messages: messages.clone() };
        self.bus.publish_conversation(&BotId::from(bot_id), &ConversationId::from(into.id.as_str()), merged);
        if *handler_changed {
            self.announce_handler(bot_id, into).await;
        } else {
            self.announce_listed(bot_id, &into.id).await;
        }
        metrics::counter!("concierge_visitor_conversations_merged_total").increment(1);
    }

    /// The bot's greeting for this contact (`None`: an anonymous visitor), from its
    /// verified data only. A greeting that fails to render is replaced by a plain one.
    pub fn greeting(&self, bot: &Bot, contact: Option<&Contact>) -> StyledText {
        let facts = contact.map(super::decide::facts);
        super::decide::render(&bot.greeting, facts.as_ref())
            .unwrap_or_else(|| StyledText::plain("Hi! How can we help?"))
    }

    /// The session's verified contact, greeting and conversation, for a widget whose socket
    /// just opened.
    pub async fn widget_state(&self, session: &Session) -> Result<WidgetState> {
        let bot = self.store.get_bot(&session.bot_id).await?.ok_or(Error::Unauthorized)?;
        let contact = match &session.contact_id {
            Some(id) => self.store.get_contact(id).await?,
            None => None,
        };
        let conversation = self.widget_conversation(session).await?;
        Ok(WidgetState { greeting: self.greeting(&bot, contact.as_ref()), contact, conversation })
    }

    /// The session's conversation, which says who answers it.
    pub async fn widget_conversation(&self, session: &Session) -> Result<Conversation> {
        self.store.get_conversation(&session.conversation_id).await?.ok_or(Error::Unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failures_without_a_verdict_are_passing() {
        for (code, answered, expected) in [
            (AuthErrorCode::AuthTimeout, None, true),
            (AuthErrorCode::AuthUnreachable, None, true),
            (AuthErrorCode::AuthUpstreamError, Some(503), true),
            (AuthErrorCode::AuthUpstreamError, Some(429), true),
            (AuthErrorCode::AuthUpstreamError, Some(200), true), // broken off mid-answer
            (AuthErrorCode::AuthUpstreamError, None, true),      // no free slot to call it
            (AuthErrorCode::AuthUpstreamError, Some(404), false),
            (AuthErrorCode::AuthUpstreamError, Some(400), false),
            (AuthErrorCode::AuthUpstreamError, Some(302), false),
            (AuthErrorCode::AuthUpstreamError, Some(401), true), // our introspection credentials
            (AuthErrorCode::InvalidToken, Some(401), false),
            (AuthErrorCode::AuthInvalidResponse, Some(200), false),
            (AuthErrorCode::TokenRequired, None, false),
        ] {
            assert_eq!(passing(code, answered), expected, "{code} {answered:?}");
        }
    }
}
