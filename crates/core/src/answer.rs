//! The bot in a live conversation: it answers each visitor message while it handles the
//! conversation, streams a language model's answer piece by piece, and hands the
//! conversation to the team when asked, told by a rule, or not sure.

use std::time::Duration;

use concierge_bot::{
    excerpt, prompt, template, Article as Passage, ChatMessage, ContactFacts, LlmConfig, Priority, PromptInput,
};
use concierge_domain::{Author, BotId, ConversationId, Handler, StyledText};
use concierge_store::{Bot, HandlerChange, NewMessage, Session};
use futures::StreamExt;

use super::decide::{self, HandoffReason, Reply};
use super::{now_ms, Error, Result, Services};
use crate::bus::{Event, Topic};

/// Long enough for the typing indicator to register with a person, short enough to feel live.
const BOT_THINKING: Duration = Duration::from_millis(400);
/// Messages of the conversation a language model sees before the question.
const HISTORY: u32 = 10;
/// Messages written after the question that the history's read may find first, and skip.
const LATER_MESSAGES: u32 = 10;

/// What the bot did with one visitor message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Turn {
    Answered,
    HandedOff,
    /// A person handles the conversation, or took it over while the bot was thinking.
    Silent,
}

impl Turn {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::HandedOff => "handed_off",
            Self::Silent => "silent",
        }
    }
}

impl Services {
    /// Writes the bot's `text` in the conversation, if it is still handled by `only_while`
    /// when written (a person may take over while the bot thinks); whether it was.
    pub(super) async fn bot_says(
        &self,
        bot: &Bot,
        conversation_id: &str,
        text: &StyledText,
        only_while: Handler,
    ) -> Result<bool> {
        let styles = (!text.styles.is_empty()).then_some(text.styles.as_slice());
        let new = NewMessage {
            conversation_id,
            author: Author::Bot,
            author_name: Some(&bot.name),
            text: &text.text,
            styles,
            only_while: Some(only_while),
            now: now_ms(),
        };
        match self.post_message(&BotId::from(bot.id.as_str()), new).await {
            Ok(_) => Ok(true),
            Err(Error::Conflict("handler")) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Answers the visitor's latest message `text` (its `seq` is `message_seq`), unless a
    /// person handles the conversation.
    pub(super) async fn answer(&self, session: &Session, message_seq: i64, text: &str) -> Result<Turn> {
        // While the team handles the conversation (or is about to), the bot stays silent;
        // an agent may take over while the bot is "thinking", so this is asked again right
        // before every write.
        if !self.bot_handles(&session.conversation_id).await? {
            return Ok(Turn::Silent);
        }
        let Some(bot) = self.store.get_bot(&session.bot_id).await? else { return Ok(Turn::Silent) };
        self.bus.publish(
            &Topic::Conversation(ConversationId::from(session.conversation_id.as_str())),
            Event::Typing { author: Author::Bot },
        );
        let contact = self.contact_facts(session.contact_id.as_deref()).await?;
        let knowledge = self.knowledge(&bot).await?;
        let llm = self.llm_config(&bot.id).await?;
        let decision = self.decide(&bot, &knowledge, contact.as_ref(), text, llm.is_some()).await;
        let searched = decision.searched();
        tracing::debug!(bot_id = %bot.id, rule = decision.rule.as_deref(), hits = decision.hits.len(), "bot decided");
        let kind = match &decision.reply {
            Reply::Answer { .. } => "answer",
            Reply::Handoff { reason, .. } => reason.as_str(),
            Reply::Generate { .. } => "model",
        };
        metrics::counter!("concierge_bot_replies_total", "kind" => kind).increment(1);

        let reply = match decision.reply {
            Reply::Generate { fallback } => {
                // Rendered for this contact, as the contact would read them: the template
                // source would show the model what other contacts' branches say. Of a long
                // article, the section the search found: the whole could crowd the other
                // articles, and its own answer, out of the prompt's budget.
                let passages: Vec<Passage> = decision
                    .hits
                    .iter()
                    .filter_map(|hit| Some((knowledge.articles.get(&hit.article_id)?, hit.passage)))
                    .filter_map(|(a, passage)| {
                        let section = excerpt::section(&a.body, passage, contact.as_ref());
                        let body = section.or_else(|| decide::render(&a.body, contact.as_ref()))?.text;
                        Some(Passage { id: a.id.clone(), title: a.title.clone(), body, asked_as: Vec::new() })
                    })
                    .collect();
                let Some(llm) = llm else { return Ok(Turn::Silent) };
                let question = (message_seq, text);
                let messages = self.prompt(&bot, &llm.1, session, contact.as_ref(), &passages, question).await?;
                let answer = match self.limits.model_slot(&bot.id) {
                    Some(_slot) => self.generate(session, &llm.0, &messages).await,
                    None => {
                        tracing::warn!(bot_id = %bot.id, "every language model slot is busy; answering from the knowledge base");
                        None
                    }
                };
                match answer {
                    Some(text) => Reply::Answer { text },
                    None => {
                        metrics::counter!("concierge_bot_model_fallbacks_total").increment(1);
                        Reply::Answer { text: fallback }
                    }
                }
            }
            other => {
                tokio::time::sleep(BOT_THINKING).await;
                other
            }
        };
        Ok(match reply {
            Reply::Answer { text } => {
                if !self.bot_says(&bot, &session.conversation_id, &text, Handler::Bot).await? {
                    return Ok(Turn::Silent);
                }
                Turn::Answered
            }
            Reply::Handoff { text, priority, reason } => {
                if !self.hand_to_team(&bot, &session.conversation_id, priority).await? {
                    return Ok(Turn::Silent);
                }
                tracing::info!(bot_id = %bot.id, reason = reason.as_str(), "conversation handed to the team");
                self.bot_says(&bot, &session.conversation_id, &text, Handler::Waiting).await?;
                if searched && reason == HandoffReason::NotSure {
                    self.record_unanswered(&bot.id, message_seq, &decision.hits).await;
                }
                Turn::HandedOff
            }
            Reply::Generate { .. } => Turn::Silent,
        })
    }

    pub(super) async fn bot_handles(&self, conversation_id: &str) -> Result<bool> {
        Ok(self.store.get_conversation(conversation_id).await?.is_some_and(|c| c.handled_by == Handler::Bot))
    }

    /// The verified facts of the contact `contact_id` (none for an anonymous visitor), as
    /// templates and rules read them.
    pub(super) async fn contact_facts(&self, contact_id: Option<&str>) -> Result<Option<ContactFacts>> {
        Ok(match contact_id {
            Some(id) => self.store.get_contact(id).await?.map(|c| decide::facts(&c)),
            None => None,
        })
    }

    /// Puts the conversation in "waiting for an agent", only if the bot still handles it;
    /// whether it did.
    pub(super) async fn hand_to_team(&self, bot: &Bot, conversation_id: &str, priority: Priority) -> Result<bool> {
        let change = HandlerChange {
            handled_by: Handler::Waiting,
            priority,
            agent_name: None,
            agent_id: None,
            expected: Some(Handler::Bot),
            now: now_ms(),
        };
        let Some(conversation) = self.store.set_conversation_handler(conversation_id, &change).await? else {
            return Ok(false);
        };
        self.announce_handler(&bot.id, &conversation).await;
        Ok(true)
    }

    async fn prompt(
        &self,
        bot: &Bot,
        instructions: &str,
        session: &Session,
        contact: Option<&ContactFacts>,
        passages: &[Passage],
        (question_seq, question): (i64, &str),
    ) -> Result<Vec<ChatMessage>> {
        // What came before the question, not what came since: a visitor who wrote again
        // while the model answers has the next turn for that.
        let recent = self.store.latest_messages(&session.conversation_id, HISTORY + LATER_MESSAGES).await?;
        let history = history_before(&recent, question_seq);
        let passages: Vec<&Passage> = passages.iter().collect();
        Ok(prompt::build(&PromptInput {
            bot_name: &bot.name,
            instructions,
            passages: &passages,
            contact,
            history: &history,
            question,
        }))
    }

    /// Streams the model's answer to the conversation's widgets (plain pieces, as they
    /// come); the whole answer with its emphasis, or `None` when the model failed, was too
    /// slow, or a person took over meanwhile.
    async fn generate(&self, session: &Session, config: &LlmConfig, messages: &[ChatMessage]) -> Option<StyledText> {
        let conversation = &Topic::Conversation(ConversationId::from(session.conversation_id.as_str()));
        let stream_id = uuid::Uuid::now_v7().to_string();
        let mut answer = String::new();
        // A person who takes over ends the answer at once: no more pieces, no model time.
        let mut events = self.bus.subscribe(conversation);
        let taken_over = async move {
            loop {
                match events.recv().await {
                    Ok(Event::Handler { handled_by, .. }) if handled_by != Handler::Bot => return,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => std::future::pending().await,
                    _ => {}
                }
            }
        };
        let streamed = async {
            let mut pieces = self.llm_client.stream(config, messages).await?;
            let mut written = 0;
            while let Some(piece) = pieces.next().await {
                let piece = piece?;
                if piece.is_empty() {
                    continue;
                }
                answer.push_str(&piece);
                let at = written;
                written += piece.encode_utf16().count();
                self.bus.publish(conversation, Event::Delta { stream: stream_id.clone(), text: piece, at: Some(at) });
            }
            Ok::<(), concierge_bot::LlmError>(())
        };
        let outcome = tokio::select! {
            outcome = streamed => outcome,
            () = taken_over => {
                self.bus.publish(conversation, Event::StreamEnd { stream: stream_id });
                tracing::info!(bot_id = %session.bot_id, "a person took over; the model's answer was dropped");
                return None;
            }
        };
        self.bus.publish(conversation, Event::StreamEnd { stream: stream_id });
        match outcome {
            Err(e) => {
                tracing::warn!(bot_id = %session.bot_id, error = %e, "the language model failed; answering from the knowledge base");
                None
            }
            Ok(()) => Some(template::markdown_to_styled(&answer)).filter(|styled| !styled.text.is_empty()),
        }
    }
}

/// The conversation before the message `question_seq`, as (author, text), at most
/// [`HISTORY`] of it; `recent` is its newest messages, oldest first.
fn history_before(recent: &[concierge_store::Message], question_seq: i64) -> Vec<(&str, &str)> {
    let earlier: Vec<_> = recent.iter().filter(|m| m.seq < question_seq).collect();
    let earlier = &earlier[earlier.len().saturating_sub(HISTORY as usize)..];
    earlier.iter().map(|m| (m.author.as_str(), m.text.as_str())).collect()
}

#[cfg(test)]
mod tests {
    use concierge_store::Message;

    use super::*;

    fn message(seq: i64, author: Author, text: &str) -> Message {
        Message {
            seq,
            conversation_id: "c".into(),
            author,
            author_name: None,
            text: text.into(),
            styles: None,
            created_at: seq,
        }
    }

    #[test]
    fn the_history_is_what_came_before_the_question_not_since() {
        // The visitor asked (3), then wrote again (4) before the model was asked about 3.
        let recent = [
            message(1, Author::Visitor, "hi"),
            message(2, Author::Bot, "Hello! How can I help?"),
            message(3, Author::Visitor, "How do I reset my password?"),
            message(4, Author::Visitor, "thanks"),
        ];
        assert_eq!(history_before(&recent, 3), [("visitor", "hi"), ("bot", "Hello! How can I help?")]);
        assert_eq!(history_before(&recent, 4).last(), Some(&("visitor", "How do I reset my password?")));
        let long: Vec<Message> = (1..=30).map(|seq| message(seq, Author::Visitor, "again")).collect();
        assert_eq!(history_before(&long, 30).len(), HISTORY as usize);
    }
}
