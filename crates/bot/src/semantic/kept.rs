//! Visitors' questions' vectors, kept for a while: visitors ask the same few questions over
//! and over ("where is my order?"), and each costs a model pass (some 6 ms of CPU with
//! all-MiniLM-L6-v2) or a call to an embeddings API, often a paid one. A question kept is
//! also understood while the API is down.
//!
//! Kept per bot, so that a visitor of one workspace cannot learn by the answer's timing
//! what was asked of another's bot; and a question with a number of four digits or more or
//! an `@` in it is not kept at all: an order, card or phone number or an address is
//! personal, seldom asked again word for word, and a kept one could be probed for by another
//! visitor of the same bot. ("2FA", "error 429" or "2 weeks" are kept.)

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The most bytes kept: some 20,000 questions of all-MiniLM-L6-v2's 384 numbers, 5,000 of
/// OpenAI's 1,536.
const MAX_BYTES: u64 = 32 * 1024 * 1024;
/// How long a question is kept: a model behind an API may be replaced under its name.
const KEPT_FOR: Duration = Duration::from_secs(3600);
/// What an entry costs besides its texts and numbers: the key's and the vector's headers
/// and the cache's own bookkeeping, roughly.
const ENTRY_OVERHEAD: usize = 128;

type Key = (Arc<str>, String);

#[derive(Clone)]
pub(super) struct KeptQuestions(moka::sync::Cache<Key, Arc<[f32]>>);

impl KeptQuestions {
    pub(super) fn new() -> Self {
        let weigh = |(scope, text): &Key, vector: &Arc<[f32]>| {
            let bytes = scope.len() + text.len() + std::mem::size_of_val(&**vector) + ENTRY_OVERHEAD;
            u32::try_from(bytes).unwrap_or(u32::MAX)
        };
        Self(moka::sync::Cache::builder().weigher(weigh).max_capacity(MAX_BYTES).time_to_live(KEPT_FOR).build())
    }

    /// The vector of `text` (as sent to the model) asked of the bot `scope`, if kept.
    pub(super) fn get(&self, scope: &str, text: &str) -> Option<Vec<f32>> {
        self.0.get(&(Arc::from(scope), text.to_owned())).map(|vector| vector.to_vec())
    }

    /// Keeps `vector` unless `question` (as the visitor wrote it) looks personal.
    pub(super) fn keep(&self, scope: &str, question: &str, text: String, vector: &[f32]) {
        if !personal(question) {
            self.0.insert((Arc::from(scope), text), Arc::from(vector));
        }
    }
}

/// Never the questions: they are the visitors' words.
impl fmt::Debug for KeptQuestions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeptQuestions({} kept)", self.0.entry_count())
    }
}

/// The fewest digits in a row that make a number personal.
const PERSONAL_DIGITS: usize = 4;

fn personal(question: &str) -> bool {
    let mut digits = 0;
    for c in question.chars() {
        if c == '@' {
            return true;
        }
        digits = if c.is_numeric() { digits + 1 } else { 0 };
        if digits >= PERSONAL_DIGITS {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_are_kept_per_bot_and_personal_ones_not_at_all() {
        let kept = KeptQuestions::new();
        kept.keep("bot-a", "where is my order?", "q: where is my order?".into(), &[0.6, 0.8]);
        assert_eq!(kept.get("bot-a", "q: where is my order?"), Some(vec![0.6, 0.8]));
        assert_eq!(kept.get("bot-b", "q: where is my order?"), None, "another bot's visitors asked it");
        assert_eq!(kept.get("bot-a", "where is my order?"), None, "the text as sent, prefix and all");
        for personal in ["where is order 48213?", "mail me at ann@example.com", "call ٣٤٥٦٧"] {
            kept.keep("bot-a", personal, personal.into(), &[1.0]);
            assert_eq!(kept.get("bot-a", personal), None, "{personal}");
        }
        for ordinary in ["how do I set up 2FA?", "getting 429 errors", "away for 2 weeks, 12.5 cm band"] {
            kept.keep("bot-a", ordinary, ordinary.into(), &[1.0]);
            assert_eq!(kept.get("bot-a", ordinary), Some(vec![1.0]), "{ordinary}");
        }
        kept.0.run_pending_tasks();
        assert!(!format!("{kept:?}").contains("order"), "{kept:?}");
    }
}
