//! Finding the knowledge-base articles that answer a visitor's question, ranked by BM25.
//!
//! The articles live in a tantivy index in RAM, built once when a bot's knowledge base
//! changes and then queried for every question. Titles and bodies go through one English
//! analyzer (simple tokenizer, long tokens removed, lower-cased, stop words removed, English
//! stemmer), registered under one name and used both for indexing and for the question.
//! The question is never parsed as a query language: its analysed terms become a plain
//! disjunction, so quotes, colons, brackets or "AND" in a visitor's message are only words.
//!
//! Before either is analysed, the articles and the question are rewritten so that the
//! words support people use for one thing meet ("return" and "refund", "log in" and "sign
//! in": `synonyms`), and a question word no article has and no dictionary knows is read as
//! the articles' word one slip of the finger away ("projct", "certficate": `typos`). A
//! question word that an article's title is related to in the dictionary counts for that
//! article at most of its weight ("teach" for "Become an instructor": `relatives`). The
//! question so read, with its meaningful words and the share each weighs, is a [`Reading`]:
//! what the search compares, and what "Try a question" shows an operator.
//!
//! An article is searched as its passages (`passages`: its sections and paragraphs), each
//! with the article's title, and is as good as its best passage: a long article that has a
//! question's words scattered over several sections does not answer it, the one whose
//! section has them does. An article of one paragraph is one passage. Each way the operator
//! says the article is asked ([`Article::asked_as`], visitors' words) is one more passage:
//! a question asked so again finds the article although its own words differ, and the
//! words of one way do not mix with another's or with the body's.
//!
//! Each [`Hit`] carries two numbers:
//! - `score`, tantivy's BM25 score (title matches count twice). It proposes the candidates
//!   and breaks ties, but it has no scale: it grows with the question's length and depends
//!   on the corpus, so an operator could not choose a threshold for it.
//! - `confidence`, in 0.0..=1.0: the share of the question's distinct meaningful terms
//!   (what is left after stop words and stemming) that the article's best passage contains,
//!   with its title, each term weighted by its BM25 IDF in this corpus,
//!   `ln(1 + (N - df + 0.5) / (df + 0.5))` with N passages of which df contain the term
//!   (with their title; for articles of one paragraph, N articles).
//!   Hits are ordered by it, then by score. A
//!   term no article contains weighs like a term only one article contains (df = 1), as
//!   much as the rarest known words, so a question about something the knowledge base
//!   never mentions has a low confidence even when its common words match, while one
//!   unknown word in a question on a covered subject does not sink it. "How do I reset my password?" against "Resetting your password" is 1.0;
//!   "what's the weather on Mars" finds nothing at all.
//!
//! When the deployment has a sentence-embedding model (`semantic`), each passage of an
//! article carries its embedding and a question's is compared with each, the article taking
//! its closest passage's cosine: a paraphrase that shares no word with
//! the right article still finds it, and `hybrid` says how the two judgements make one
//! confidence on the same scale.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tantivy::collector::TopDocs;
use tantivy::directory::RamDirectory;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST};
use tantivy::tokenizer::{TextAnalyzer, TokenizerManager};
use tantivy::{doc, DocAddress, IndexBuilder, IndexReader, ReloadPolicy, Searcher, Term};

use analysis::{analyse, analyzer, tokens};
pub use reading::{Match, Reading, Word};

/// The name the English analyzer is registered under in the index.
const ANALYZER: &str = "concierge_en";
/// A question's terms beyond this many are ignored: a pasted log file is not a question.
const MAX_QUESTION_TERMS: usize = 64;
const TITLE_BOOST: f32 = 2.0;
/// Articles BM25 proposes before they are ordered by how much of the question they cover.
const CANDIDATES: usize = 20;
/// At most this many passages per article BM25 ranks to find its articles: an article's
/// several passages may all rank high. Where articles are one passage each, it ranks as
/// many passages as it wants articles (more would slow its top-k pruning for nothing).
const PASSAGES_PER_CANDIDATE: usize = 4;
/// The fast field that says which passage a document is.
const ORDINAL: &str = "ordinal";
const WRITER_MEMORY_BYTES: usize = 15_000_000;

/// One knowledge-base article: its title as it reads, its body as the operator wrote it (a
/// template, read by the search without its tags, passage by passage), and the ways
/// visitors ask for it, in their words.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Article {
    pub id: String,
    pub title: String,
    pub body: String,
    pub asked_as: Vec<String>,
}

impl Article {
    /// What the search reads of the article, passage by passage: its body's passages
    /// ([`passages::searchable`]), then each way it is asked.
    pub fn searchable(&self) -> Vec<String> {
        let mut texts = passages::searchable(&self.body);
        texts.extend(self.asked_as.iter().map(|asked| asked.trim().to_owned()));
        texts
    }
}

/// One article that matches a question.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub article_id: String,
    /// tantivy's BM25 score: breaks ties, has no fixed scale (0 for an article only the
    /// embeddings proposed).
    pub score: f32,
    /// In 0.0..=1.0: how much of the question's meaningful words the article has.
    pub lexical: f32,
    /// The cosine of the question's and the article's embeddings, when both have one.
    pub semantic: Option<f32>,
    /// In 0.0..=1.0, what the bot's threshold is compared with: `lexical` alone, or
    /// blended with `semantic` (`hybrid`).
    pub confidence: f32,
    /// The article's passage that answers the question best (the best blend of its words and
    /// its meaning), counted from 0 in [`passages::passages`] of the body; `None` when the
    /// question is about the whole article: its title has as much of the question's words
    /// as that passage ("why was I charged twice" for "Why was I charged twice?"), or when a
    /// way the article is asked matches it best.
    pub passage: Option<usize>,
    /// The way the article is asked ([`Article::asked_as`], counted from 0) that matches the
    /// question better than any passage of its body.
    pub asked_as: Option<usize>,
}

/// A share in 0.0..=1.0 (a confidence, a cosine) as the whole percentage an operator reads
/// beside the threshold: rounded, a negative share is 0.
pub fn percent(share: f32) -> u8 {
    (f64::from(share) * 100.0).round().clamp(0.0, 100.0) as u8
}

/// The knowledge base could not be indexed. Rare: the index lives in memory.
#[derive(Debug, thiserror::Error)]
#[error("the knowledge base could not be indexed ({source})")]
pub struct KnowledgeError {
    #[source]
    source: tantivy::TantivyError,
}

impl From<tantivy::TantivyError> for KnowledgeError {
    fn from(source: tantivy::TantivyError) -> Self {
        Self { source }
    }
}

/// A bot's knowledge base, searchable. Built once, queried from many tasks at once.
pub struct KnowledgeIndex {
    reader: IndexReader,
    analyzer: TextAnalyzer,
    title: Field,
    body: Field,
    ids: Vec<String>,
    /// The ordinals of each article's passages, by article ordinal: its body's, then the
    /// ways it is asked.
    passages: Vec<std::ops::Range<usize>>,
    /// How many of each article's passages are its body's, by article ordinal.
    body_passages: Vec<usize>,
    /// How many passages are of the articles' bodies, all articles together.
    in_bodies: usize,
    /// By passage ordinal: the way of asking it is, `None` for a passage of a body.
    asked: Vec<Option<asked::AskedAs>>,
    /// The article of each passage, by passage ordinal.
    article_of: Vec<usize>,
    /// The passages of the articles' bodies that have each term, with their title:
    /// ascending passage ordinals. A
    /// question looks each of its words up once, then checks passages by number; how many
    /// there are is the term's document frequency (a word in every section of one article
    /// says less about which section answers than a word in one).
    postings: HashMap<String, Arc<[u32]>>,
    /// The terms that count for an article because its title has a relative of theirs, and
    /// the ordinals of those articles, ascending (`relatives`).
    related: HashMap<String, Vec<usize>>,
    /// Each article's title terms, by ordinal: a question its title has as much of as its
    /// best passage is about the whole article.
    titles: Vec<Box<[String]>>,
    /// The articles' words as written, to read a question's typos by.
    vocabulary: typos::Vocabulary,
    /// Each article's embeddings, one per passage end to end, by ordinal, when the
    /// deployment has a model.
    vectors: Vec<Option<Vec<f32>>>,
    /// Where the cosines of the model that made `vectors` lie.
    scale: hybrid::Scale,
}

impl std::fmt::Debug for KnowledgeIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnowledgeIndex").field("articles", &self.ids.len()).finish_non_exhaustive()
    }
}

impl KnowledgeIndex {
    pub fn build(articles: &[Article]) -> Result<Self, KnowledgeError> {
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(ANALYZER).set_index_option(IndexRecordOption::WithFreqs),
        );
        let mut schema = Schema::builder();
        let title = schema.add_text_field("title", text.clone());
        let body = schema.add_text_field("body", text);
        // Which article a document is, so hits map back without a document store.
        let ordinal = schema.add_u64_field(ORDINAL, FAST);
        let tokenizers = TokenizerManager::default();
        tokenizers.register(ANALYZER, analyzer());

        let mut writer = IndexBuilder::new()
            .schema(schema.build())
            .tokenizers(tokenizers)
            .single_segment_index_writer(RamDirectory::create(), WRITER_MEMORY_BYTES)?;
        let mut analyzer = analyzer();
        let mut postings: HashMap<String, Vec<u32>> = HashMap::new();
        let (mut spans, mut article_of) = (Vec::with_capacity(articles.len()), Vec::with_capacity(articles.len()));
        let mut vocabulary = typos::Vocabulary::default();
        let mut related: HashMap<String, Vec<usize>> = HashMap::new();
        let mut titles = Vec::with_capacity(articles.len());
        let mut body_passages = Vec::with_capacity(articles.len());
        let mut asked = Vec::with_capacity(articles.len());
        let mut ways = Vec::new();
        for (position, article) in articles.iter().enumerate() {
            let title_text = synonyms::canonical(&article.title);
            let title_terms: HashSet<String> = analyse(&mut analyzer, &title_text).into_iter().collect();
            titles.push(title_terms.iter().cloned().collect());
            vocabulary.add(&title_text);
            let mut contained = title_terms.clone();
            let first = article_of.len();
            let searchable = article.searchable();
            let in_body = searchable.len() - article.asked_as.len();
            body_passages.push(in_body);
            for (nth, passage) in searchable.into_iter().enumerate() {
                let body_text = synonyms::canonical(&passage);
                // A visitor's slip in a way of asking ("cancle") is no word to read others' by.
                if nth < in_body {
                    vocabulary.add(&body_text);
                }
                writer.add_document(doc!(
                    title => title_text.as_str(),
                    body => body_text.as_str(),
                    ordinal => article_of.len() as u64,
                ))?;
                // A way of asking is judged on its own (`asked`): its words are not the
                // articles', and weigh nothing in theirs. It is read once every article's
                // words are known, as a question is, so that a visitor's slip taught with it
                // ("recieve") reads as the question asked again will.
                asked.push(None);
                if nth >= in_body {
                    ways.push((article_of.len(), body_text));
                    article_of.push(position);
                    continue;
                }
                let mut in_passage = title_terms.clone();
                in_passage.extend(analyse(&mut analyzer, &body_text));
                contained.extend(in_passage.iter().cloned());
                for term in &in_passage {
                    postings.entry(term.clone()).or_default().push(article_of.len() as u32);
                }
                article_of.push(position);
            }
            spans.push(first..article_of.len());
            for term in relatives::of_title(&mut analyzer, &title_text, &contained) {
                related.entry(term).or_default().push(position);
            }
        }
        for (ordinal, text) in ways {
            asked[ordinal] = Some(asked::AskedAs::new(&mut analyzer, &vocabulary.corrected(&text)));
        }
        let index = writer.finalize()?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let ids = articles.iter().map(|a| a.id.clone()).collect();
        Ok(Self {
            reader,
            analyzer,
            title,
            body,
            ids,
            passages: spans,
            in_bodies: body_passages.iter().sum(),
            body_passages,
            asked,
            article_of,
            postings: postings.into_iter().map(|(term, passages)| (term, passages.into())).collect(),
            related,
            titles,
            vocabulary,
            vectors: Vec::new(),
            scale: hybrid::Scale::REFERENCE,
        })
    }

    /// Gives the articles their embeddings, in the order they were built with, each the
    /// vectors of its passages ([`semantic::texts_of`]) end to end, and where the
    /// cosines of the model that made them lie; an article without them is judged on its
    /// words alone.
    pub fn with_vectors(mut self, vectors: Vec<Option<Vec<f32>>>, scale: hybrid::Scale) -> Self {
        debug_assert!(vectors.is_empty() || vectors.len() == self.ids.len(), "one vector slot per article");
        self.vectors = vectors;
        self.scale = scale;
        self
    }

    /// Whether any article has an embedding, so that a question's is worth making.
    pub fn has_vectors(&self) -> bool {
        self.vectors.iter().any(Option::is_some)
    }

    /// Best first, at most `limit`; empty when nothing matches or the question has no
    /// meaningful words. On words alone: see [`Self::search_with`].
    pub fn search(&self, question: &str, limit: usize) -> Vec<Hit> {
        self.search_with(question, None, limit)
    }

    /// With the question's embedding, every article that has one is a candidate, and its
    /// confidence blends its words with its meaning (`hybrid`); without, BM25 proposes the
    /// candidates and the confidence is the words' share.
    pub fn search_with(&self, question: &str, vector: Option<&[f32]>, limit: usize) -> Vec<Hit> {
        let reading = self.reading(question);
        if reading.words.is_empty() || limit == 0 || self.ids.is_empty() {
            return Vec::new();
        }
        let searcher = self.reader.searcher();
        // BM25 finds the candidates; the article that covers more of the question comes
        // first, BM25 deciding between equals: one that has every meaningful word of the
        // question beats one that repeats a single word of it in its title.
        let mut ranked = match self.ranked(&searcher, &reading.words, limit.max(CANDIDATES)) {
            Ok(ranked) => ranked,
            Err(error) => {
                // An in-memory index has no I/O to fail; should it happen, the bot answers
                // as if nothing matched rather than failing the visitor's message.
                tracing::warn!(%error, "knowledge search failed");
                return Vec::new();
            }
        };
        let vector = vector.filter(|_| self.has_vectors());
        let mut proposed: HashSet<usize> = ranked.iter().map(|(_, ordinal)| *ordinal).collect();
        // BM25 knows the articles' own words only: an article whose title is related to a
        // word of the question is a candidate too.
        for ordinal in reading.words.iter().filter_map(|w| self.related.get(&w.term)).flatten() {
            if proposed.insert(*ordinal) {
                ranked.push((0.0, *ordinal));
            }
        }
        if vector.is_some() {
            ranked.extend((0..self.ids.len()).filter(|o| !proposed.contains(o)).map(|o| (0.0, o)));
        }
        let mut hits: Vec<Hit> = ranked
            .into_iter()
            .filter_map(|(score, ordinal)| {
                let article_id = self.ids.get(ordinal)?.clone();
                let article_vector = self.vectors.get(ordinal).and_then(Option::as_deref);
                let judged = self.judged(&reading, ordinal, vector.zip(article_vector));
                let confidence = self.scale.blend(judged.lexical, judged.semantic);
                // An article that shares neither a word nor a meaning with the question is
                // no candidate: not for the ranking shown, nor for a language model's passages.
                (confidence > 0.0).then_some(Hit {
                    article_id,
                    score,
                    lexical: judged.lexical,
                    semantic: judged.semantic,
                    confidence,
                    passage: judged.passage,
                    asked_as: judged.asked_as,
                })
            })
            .collect();
        hits.sort_by(|a, b| b.confidence.total_cmp(&a.confidence).then(b.score.total_cmp(&a.score)));
        hits.truncate(limit);
        hits
    }

    /// (BM25 score of its best passage, article ordinal), best first.
    fn ranked(&self, searcher: &Searcher, words: &[Word], limit: usize) -> tantivy::Result<Vec<(f32, usize)>> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(words.len() * 2);
        for Word { term, .. } in words {
            let in_title = TermQuery::new(Term::from_field_text(self.title, term), IndexRecordOption::WithFreqs);
            let in_body = TermQuery::new(Term::from_field_text(self.body, term), IndexRecordOption::WithFreqs);
            clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(in_title), TITLE_BOOST))));
            clauses.push((Occur::Should, Box::new(in_body)));
        }
        let per_article = self.article_of.len().div_ceil(self.ids.len().max(1)).clamp(1, PASSAGES_PER_CANDIDATE);
        let passages = limit.saturating_mul(per_article);
        let top = searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(passages).order_by_score())?;
        let mut seen = HashSet::new();
        let mut ranked = Vec::with_capacity(limit);
        for (score, address) in top {
            let passage = self.ordinal_of(searcher, address)?;
            if let Some(&article) = self.article_of.get(passage) {
                if seen.insert(article) {
                    ranked.push((score, article));
                }
                if ranked.len() == limit {
                    break;
                }
            }
        }
        Ok(ranked)
    }

    fn ordinal_of(&self, searcher: &Searcher, address: DocAddress) -> tantivy::Result<usize> {
        let column = searcher.segment_reader(address.segment_ord).fast_fields().u64(ORDINAL)?;
        let ordinal = column.first(address.doc_id).unwrap_or(u64::MAX);
        Ok(usize::try_from(ordinal).unwrap_or(usize::MAX))
    }

    /// The weight of a term that `passages` have (`None`: no passage).
    fn idf(&self, passages: Option<&[u32]>) -> f32 {
        let n = self.in_bodies as f32;
        // A word no article uses weighs like the rarest words that some article does use:
        // weighing it more (df = 0) lets one unknown word, such as "forgot" in "I forgot my
        // password", sink a question whose subject the knowledge base covers well.
        let df = passages.map_or(1, <[u32]>::len) as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }
}

mod analysis;
mod asked;
mod english;
pub mod hybrid;
pub mod passages;
mod reading;
mod relatives;
mod synonyms;
#[cfg(test)]
mod tests;
mod typos;
