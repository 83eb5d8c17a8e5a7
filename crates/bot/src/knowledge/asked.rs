//! The ways an article is asked ([`super::Article::asked_as`]), each judged against a
//! question as one question against another.
//!
//! A way of asking is in the visitors' everyday words, and so is the question: "how long do
//! refunds take" and "how long does shipping take" share two of their three meaningful
//! words, and the knowledge base's own weights cannot tell which two matter, as "long" and
//! "take" are in no article and weigh like its rarest words. So a way of asking is judged
//! on weights of its own: a word weighs by how rare it is in English (`english`), and up to
//! three times more when the articles' titles and bodies have it, for then it says what
//! the question is about ("shipping", "refunds"): three times for a word of one article,
//! hardly more for one that every article has ("order" in a shop's). And the match goes
//! both ways: the share of the question the way has times the share of the way the
//! question has, so that one way of asking does not answer a question about something else
//! that happens to share its everyday words, nor a question of one word that it contains;
//! both must be high. (The lesser of the two still let one shared word carry a short
//! question: docs/benchmarks.md, ninth step.)

use tantivy::tokenizer::TextAnalyzer;

use super::analysis::analyse;
use super::{english, Reading};
use crate::words;

/// How much more a word weighs when one article's title or body has it; less when more
/// do, as a word every article has says nothing of which one is asked about.
const KNOWN: f32 = 3.0;
/// A word this common in English or more (Zipf 7: "the", "of") weighs least.
const COMMONEST: f32 = 7.0;
/// A word this much rarer than [`COMMONEST`] (Zipf 4: "refund", "password") or more weighs
/// most.
const SPAN: f32 = 3.0;
/// The least a word weighs, of the most.
const FLOOR: f32 = 0.1;

/// One way an article is asked: its meaningful terms, each once, with how rare it is.
#[derive(Debug, Clone)]
pub(super) struct AskedAs {
    terms: Vec<(String, f32)>,
}

/// How much `word` (lower-case) says in everyday English: 0.1 for the commonest words, 1
/// for words no more common than "refund", and for words rarer than English's 25,000 most
/// frequent.
pub(super) fn rarity(word: &str) -> f32 {
    english::zipf(word).map_or(1.0, |zipf| ((COMMONEST - zipf) / SPAN).clamp(FLOOR, 1.0))
}

impl AskedAs {
    /// `text` as the articles are read (support synonyms applied by the caller).
    pub(super) fn new(analyzer: &mut TextAnalyzer, text: &str) -> Self {
        let mut terms: Vec<(String, f32)> = Vec::new();
        for word in words(text) {
            let word = word.to_lowercase();
            for term in analyse(analyzer, &word) {
                if !terms.iter().any(|(known, _)| *known == term) {
                    terms.push((term, rarity(&word)));
                }
            }
        }
        Self { terms }
    }

    pub(super) fn has(&self, term: &str) -> bool {
        self.terms.iter().any(|(known, _)| known == term)
    }

    /// How alike the question and this way of asking are, in 0.0..=1.0: the share of the
    /// question's weight this way has times the share of its weight the question has.
    /// `specific` says how few of the articles' titles and bodies have a term, in 0.0..=1.0
    /// (1: one; `None`: none).
    pub(super) fn share(&self, reading: &Reading, specific: impl Fn(&str) -> Option<f32>) -> f32 {
        let weight = |term: &str, rarity: f32| rarity * (1.0 + (KNOWN - 1.0) * specific(term).unwrap_or(0.0));
        let (mut question, mut question_found) = (0.0, 0.0);
        for word in &reading.words {
            let w = weight(&word.term, rarity(&word.word));
            question += w;
            if self.has(&word.term) {
                question_found += w;
            }
        }
        let (mut asked, mut asked_found) = (0.0, 0.0);
        for (term, rarity) in &self.terms {
            let w = weight(term, *rarity);
            asked += w;
            if reading.words.iter().any(|word| word.term == *term) {
                asked_found += w;
            }
        }
        if question <= 0.0 || asked <= 0.0 {
            return 0.0;
        }
        ((question_found / question) * (asked_found / asked)).clamp(0.0, 1.0)
    }
}
