//! A question as the knowledge search reads it: the text after the support synonyms and the
//! typo reading, and its meaningful words, each with its share of the question. An
//! article's lexical confidence is the sum of the shares of the words it has (most of the
//! share for a word its title is related to: [`Match`]), so "Try a question" can show an
//! operator why an article scores what it does, and which word to add to it.

use std::sync::Arc;

use super::asked::AskedAs;
use super::{relatives, synonyms, tokens, KnowledgeIndex, MAX_QUESTION_TERMS};
use crate::semantic;

/// A question as the knowledge search reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The question lower-cased, with the support synonyms and typo corrections applied:
    /// "i want to return it" reads "i want to refund it", "pasword" reads "password".
    pub text: String,
    /// Its meaningful words (stop words such as "how" or "my" left out), each once, in the
    /// order they come, at most 64 of them.
    pub words: Vec<Word>,
    /// Whether the synonyms or the typo reading changed the question (lower-casing aside).
    pub rewritten: bool,
}

/// One meaningful word of a question.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    /// As it stands in [`Reading::text`] ("refunds"); the search compares its stem.
    pub word: String,
    /// Its share of the question, in 0.0..=1.0, the shares summing to 1: a word that few
    /// articles contain (or none) says more about the question and weighs more.
    pub weight: f32,
    /// The analysed term (stem) the articles are searched for.
    pub(super) term: String,
    /// The passages that have it, ascending: looked up once per question.
    pub(super) passages: Option<Arc<[u32]>>,
}

/// How an article has a word of the question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// The word itself (its stem), in the title or the body: its whole weight counts.
    Itself,
    /// A relative of it in the title ("teach" for "Become an instructor"): most of its
    /// weight counts (`relatives`).
    TitleRelative,
}

impl Match {
    /// The share of the word's weight the article gets.
    pub fn credit(self) -> f32 {
        match self {
            Match::Itself => 1.0,
            Match::TitleRelative => relatives::CREDIT,
        }
    }
}

/// How one article answers a question ([`KnowledgeIndex::judged`]).
pub(super) struct Judged {
    pub lexical: f32,
    pub semantic: Option<f32>,
    /// Counted from 0 within the article's body; `None`: the whole article.
    pub passage: Option<usize>,
    /// The way the article is asked that is its best passage, counted from 0.
    pub asked_as: Option<usize>,
}

impl KnowledgeIndex {
    /// How the search reads `question`: what [`Self::search`] compares with the articles.
    pub fn reading(&self, question: &str) -> Reading {
        let text = self.vocabulary.corrected(&synonyms::canonical(question));
        let mut words: Vec<Word> = Vec::new();
        for (term, span) in tokens(&mut self.analyzer.clone(), &text) {
            if words.len() == MAX_QUESTION_TERMS {
                break;
            }
            if !words.iter().any(|w| w.term == term) {
                let word = text.get(span).unwrap_or(&term).to_owned();
                let passages = self.postings.get(&term).cloned();
                let weight = self.idf(passages.as_deref());
                words.push(Word { word, weight, term, passages });
            }
        }
        let total: f32 = words.iter().map(|w| w.weight).sum();
        // Without articles no word is rarer than another (and BM25's IDF goes negative).
        let evenly = 1.0 / words.len().max(1) as f32;
        words.iter_mut().for_each(|w| w.weight = if total > 0.0 { w.weight / total } else { evenly });
        let text = text.trim().to_owned();
        let rewritten = text != question.trim().to_lowercase();
        Reading { text, words, rewritten }
    }

    /// How the article at `ordinal` answers: the weight of the question's words its best
    /// passage has (with the title), the cosine of its closest passage when `vectors` (the
    /// question's, the article's) are given, and the passage whose blend of the two is best.
    pub(super) fn judged(&self, reading: &Reading, ordinal: usize, vectors: Option<(&[f32], &[f32])>) -> Judged {
        let mut judged = Judged { lexical: 0.0, semantic: None, passage: None, asked_as: None };
        let Some(passages) = self.passages.get(ordinal).cloned() else { return judged };
        let first = passages.start;
        let (question, article) = vectors.unwrap_or_default();
        // One vector per passage, made from the same passages; should the count differ, the
        // article's closest cosine still counts, and its words alone choose the passage.
        let per_passage = !question.is_empty() && article.len() == question.len() * passages.len();
        if !per_passage {
            judged.semantic = vectors.and_then(|(question, article)| semantic::closest(question, article));
        }
        let mut chunks = article.chunks(question.len().max(1)).filter(|_| per_passage);
        let mut best = f32::NEG_INFINITY;
        for passage in passages {
            let share = self.share(reading, ordinal, passage);
            let cosine = chunks.next().and_then(|v| semantic::cosine(question, v));
            judged.lexical = judged.lexical.max(share);
            if let Some(c) = cosine {
                judged.semantic = Some(judged.semantic.map_or(c, |s| s.max(c)));
            }
            let blend = self.scale.blend(share, cosine);
            if blend > best {
                (best, judged.passage) = (blend, Some(passage - first));
            }
        }
        // On words alone, a question its title has as much of as the best passage is about
        // the whole article; with meaning, the closest passage says which part it is about.
        // A way the article is asked is no part of its body: the answer is the whole article.
        let body = self.body_passages.get(ordinal).copied().unwrap_or(usize::MAX);
        if let Some(asked_as) = judged.passage.and_then(|passage| passage.checked_sub(body)) {
            (judged.passage, judged.asked_as) = (None, Some(asked_as));
        }
        if !per_passage && judged.lexical > 0.0 && self.title_share(reading, ordinal) >= judged.lexical {
            judged.passage = None;
        }
        judged
    }

    /// The weight of the question's words that the title of the article at `ordinal` has,
    /// itself or as a relative (see [`Self::found`]).
    fn title_share(&self, reading: &Reading, ordinal: usize) -> f32 {
        let Some(title) = self.titles.get(ordinal) else { return 0.0 };
        let share: f32 = reading
            .words
            .iter()
            .map(|w| {
                if title.contains(&w.term) {
                    w.weight
                } else if self.title_related(&w.term, ordinal) {
                    w.weight * Match::TitleRelative.credit()
                } else {
                    0.0
                }
            })
            .sum();
        share.clamp(0.0, 1.0)
    }

    /// The weight of the question's words that the passage has, with the title of its
    /// article (the one at `ordinal`); for a way the article is asked, how alike it and the
    /// question are (`asked`).
    fn share(&self, reading: &Reading, ordinal: usize, passage: usize) -> f32 {
        if let Some(asked) = self.asked_at(passage) {
            let rarest = self.idf(None);
            return asked.share(reading, |term| Some(self.idf(Some(self.postings.get(term)?)) / rarest));
        }
        let weight: f32 = self.found(reading, ordinal, passage).map(|(w, how)| w.weight * how.credit()).sum();
        weight.clamp(0.0, 1.0)
    }

    fn asked_at(&self, passage: usize) -> Option<&AskedAs> {
        self.asked.get(passage)?.as_ref()
    }

    /// The passage of the article at `ordinal` that has most of the question's weight, and
    /// that weight; the first of equals.
    fn best_passage(&self, reading: &Reading, ordinal: usize) -> Option<(usize, f32)> {
        let passages = self.passages.get(ordinal)?.clone();
        let shares = passages.map(|passage| (passage, self.share(reading, ordinal, passage)));
        shares.reduce(|best, next| if next.1 > best.1 { next } else { best })
    }

    /// The words of `reading` that the article's best passage has with its title, and how;
    /// none when no article has that id.
    pub fn words_found<'r>(&self, reading: &'r Reading, article_id: &str) -> Vec<(&'r Word, Match)> {
        let Some(ordinal) = self.ids.iter().position(|id| id == article_id) else { return Vec::new() };
        match self.best_passage(reading, ordinal) {
            Some((passage, _)) => match self.asked_at(passage) {
                Some(asked) => {
                    reading.words.iter().filter(|w| asked.has(&w.term)).map(|w| (w, Match::Itself)).collect()
                }
                None => self.found(reading, ordinal, passage).collect(),
            },
            None => Vec::new(),
        }
    }

    /// The words of `reading` that the passage has with its title (the article at `ordinal`'s),
    /// and how. A title's relative counts only beside a word the passage has itself: it adds
    /// to an article the question is about, and never makes one out of a single dictionary
    /// link ("bug" is a relative of "card" through "tease").
    pub(super) fn found<'r>(
        &self,
        reading: &'r Reading,
        ordinal: usize,
        passage: usize,
    ) -> impl Iterator<Item = (&'r Word, Match)> + use<'r, '_> {
        let passage = u32::try_from(passage).unwrap_or(u32::MAX);
        let itself = move |w: &Word| w.passages.as_ref().is_some_and(|p| p.binary_search(&passage).is_ok());
        let any_itself = reading.words.iter().any(itself);
        reading.words.iter().filter_map(move |w| {
            if itself(w) {
                Some((w, Match::Itself))
            } else if any_itself && self.title_related(&w.term, ordinal) {
                Some((w, Match::TitleRelative))
            } else {
                None
            }
        })
    }

    /// Whether the title of the article at `ordinal` has a relative of `term` (`relatives`).
    fn title_related(&self, term: &str, ordinal: usize) -> bool {
        self.related.get(term).is_some_and(|o| o.binary_search(&ordinal).is_ok())
    }
}
