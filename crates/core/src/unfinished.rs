//! Bot turns that never ended: the process answering a visitor's message was killed (a
//! crash, an out-of-memory kill, a deploy that did not wait) after the message was stored
//! and before the bot answered it. The visitor would wait for ever, in a conversation the
//! team does not see as waiting; instead a person is asked to answer.

use concierge_domain::{Handler, Priority};

use super::{decide, now_ms, Result, Services};

/// Longer than any turn takes: the bot's pause, a language model's longest timeout (60 s)
/// and the embedding of the question are well within it, so a turn still under way on
/// another instance is never taken for a forgotten one.
const TURNS_END_WITHIN_MS: i64 = 5 * 60 * 1000;

/// How far back a forgotten turn is looked for: an instance down for longer than this had
/// no visitors writing to it.
const LOOK_BACK_MS: i64 = 24 * 60 * 60 * 1000;

/// Conversations handed over per run; housekeeping runs again soon.
const PER_RUN: u32 = 100;

impl Services {
    /// Hands to the team every conversation whose visitor has waited for the bot longer
    /// than any turn takes, with the bot's handoff text, as the bot would have when not
    /// sure. Run at start and by every housekeeping; several instances running it at once
    /// hand each conversation over once (the handler changes only from the bot). Returns
    /// how many it handed over.
    pub async fn hand_over_unfinished_turns(&self) -> Result<usize> {
        let now = now_ms();
        let waiting = self.store.awaiting_the_bot(now - LOOK_BACK_MS, now - TURNS_END_WITHIN_MS, PER_RUN).await?;
        let mut handed = 0;
        for conversation in waiting {
            let Some(bot) = self.store.get_bot(&conversation.bot_id).await? else { continue };
            if !self.hand_to_team(&bot, &conversation.id, Priority::Normal).await? {
                continue;
            }
            let contact = self.contact_facts(conversation.contact_id.as_deref()).await?;
            let text = decide::handoff_text(&bot, contact.as_ref());
            self.bot_says(&bot, &conversation.id, &text, Handler::Waiting).await?;
            tracing::warn!(
                bot_id = %bot.id,
                conversation_id = %conversation.id,
                "a visitor's message was never answered (the process answering it stopped): handed to the team"
            );
            handed += 1;
        }
        Ok(handed)
    }
}
