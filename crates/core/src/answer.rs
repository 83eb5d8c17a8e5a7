//! The bot in a live conversation: it answers each visitor message while it handles the
//! conversation, streams a language model's answer piece by piece, and hands the
//! conversation to the team when asked, told by a rule, or not sure.

use std::time::Duration;

use concierge_bot::{
    excerpt, prompt, template, Article as Passage, ChatMessage, ContactFacts, LlmConfig, Priority, PromptInput,
};
use concierge_domain::{Author, BotId, ConversationId, Handler, StyledText};
use concierge_store::{Bot, HandlerChange, Session};
use futures::StreamExt;

use super::decide::{self, HandoffReason, Reply};
use super::{now_ms, Result, Services};
use crate::bus::{Event, Topic};

/// Long enough for the typing indicator to register with a person, short enough to feel live.
const BOT_THINKING: Duration = Duration::from_millis(400);
/// Messages of the conversation a language model sees before the question.
const HISTORY: u32 = 10;

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
    /// Writes the bot's `text` in the session's conversation.
    async fn bot_says(&self, bot: &Bot, session: &Session, text: &StyledText) -> Result<()> {
        let conversation = ConversationId::from(session.conversation_id.as_str());
        self.post(&BotId::from(bot.id.as_str()), &conversation, Author::Bot, Some(&bot.name), &text.text, &text.styles)
            .await?;
        Ok(())
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
        let contact = match &session.contact_id {
            Some(id) => self.store.get_contact(id).await?.map(|c| decide::facts(&c)),
            None => None,
        };
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
                let messages = self.prompt(&bot, &llm.1, session, contact.as_ref(), &passages, text).await?;
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
                if !self.bot_handles(&session.conversation_id).await? {
                    return Ok(Turn::Silent);
                }
                self.bot_says(&bot, session, &text).await?;
                Turn::Answered
            }
            Reply::Handoff { text, priority, reason } => {
                if !self.hand_to_team(&bot, &session.conversation_id, priority).await? {
                    return Ok(Turn::Silent);
                }
                tracing::info!(bot_id = %bot.id, reason = reason.as_str(), "conversation handed to the team");
                self.bot_says(&bot, session, &text).await?;
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

    /// Puts the conversation in "waiting for an agent", only if the bot still handles it;
    /// whether it did.
    pub(super) async fn hand_to_team(&self, bot: &Bot, conversation_id: &str, priority: Priority) -> Result<bool> {
        let change = HandlerChange {
            handled_by: Handler::Waiting,
            priority,
            agent_name: None,
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
        question: &str,
    ) -> Result<Vec<ChatMessage>> {
        let recent = self.store.latest_messages(&session.conversation_id, HISTORY + 1).await?;
        // The newest message is the question itself.
        let earlier = &recent[..recent.len().saturating_sub(1)];
        let history: Vec<(&str, &str)> = earlier.iter().map(|m| (m.author.as_str(), m.text.as_str())).collect();
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
            while let Some(piece) = pieces.next().await {
                let piece = piece?;
                if piece.is_empty() {
                    continue;
                }
                answer.push_str(&piece);
                self.bus.publish(conversation, Event::Delta { stream: stream_id.clone(), text: piece });
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
