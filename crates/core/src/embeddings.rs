//! The bot's sentence embeddings, when the deployment has a model (`--embedding-model` or
//! an embeddings API): each article's vectors (one per passage, `semantic::texts_of`)
//! are made when the article is written and stored, end to end, with the hash of the texts
//! they were made from, so that an instance that builds a
//! bot's index (after a restart, or an edit made on another instance) reads the vectors
//! instead of making them again, and makes only those that are missing or stale. A
//! question's vector is made when it is asked.
//!
//! A knowledge base that has many articles without vectors (a model given to a deployment
//! that has run without one, or another model) is not made to wait for them: its index is
//! built at once with the vectors it has, the rest are made in the background, and the
//! index is built again when they are stored.
//!
//! The model is an aid, never a condition: an article whose vector cannot be made is found
//! by its words, and a question whose vector does not come in time is judged on its words.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use concierge_bot::knowledge::hybrid::Scale;
use concierge_bot::semantic::{self, EmbedError, Embedder, MAX_BATCH};
use concierge_bot::Article as IndexedArticle;
use concierge_store::StoredEmbedding;
use sha2::{Digest, Sha256};

use super::knowledge::Knowledge;
use super::{Meaning, Services};

/// The hash of an article's passage texts. For one passage it is the hash of its text, as
/// the vector of a whole article was hashed before articles had passages, so those stay
/// current; the separator keeps two splits of one text apart.
fn hash_of(texts: &[String]) -> String {
    hex::encode(Sha256::digest(texts.join("\u{1e}").as_bytes()))
}

/// An article whose vectors are missing: its position, the hash of its texts, and its texts.
type Missing = (usize, String, Vec<String>);

/// `missing` in calls of at most [`MAX_BATCH`] texts, an article's texts never split over
/// two calls (an article with more has a call of its own).
fn batches(missing: &[Missing]) -> Vec<&[Missing]> {
    let mut batches = Vec::new();
    let (mut start, mut texts) = (0, 0);
    for (index, (_, _, article_texts)) in missing.iter().enumerate() {
        if index > start && texts + article_texts.len() > MAX_BATCH {
            batches.push(&missing[start..index]);
            (start, texts) = (index, 0);
        }
        texts += article_texts.len();
    }
    if start < missing.len() {
        batches.push(&missing[start..]);
    }
    batches
}

/// At most this many missing vectors (passages' texts) are made while a question waits for
/// the index (one call, under a second with all-MiniLM-L6-v2 on one core); more are made in
/// the background.
const MADE_WHILE_WAITING: usize = MAX_BATCH;

/// The vectors of a bot's articles, in their order, and where their model's cosines lie;
/// `complete` is false when some could not be made (the embeddings API is down), so that
/// the index is built again later.
pub(super) struct Vectors {
    pub vectors: Vec<Option<Vec<f32>>>,
    pub scale: Scale,
    pub complete: bool,
}

impl Vectors {
    /// Words alone: no model, or none to be used now.
    fn none(complete: bool) -> Self {
        Self { vectors: Vec::new(), scale: Scale::REFERENCE, complete }
    }
}

/// The vectors made for `batch`'s texts, in order, as each article's end to end; `None`
/// for an article the answer fell short of.
fn by_article(batch: &[Missing], made: Vec<Vec<f32>>) -> Vec<Option<Vec<f32>>> {
    let mut made = made.into_iter();
    batch
        .iter()
        .map(|(_, _, texts)| {
            let vectors: Vec<Vec<f32>> = made.by_ref().take(texts.len()).collect();
            (vectors.len() == texts.len()).then(|| vectors.concat())
        })
        .collect()
}

/// Whether the model cannot be asked at all now, rather than refusing these texts.
fn unreachable(error: &EmbedError) -> bool {
    matches!(
        error,
        EmbedError::Timeout
            | EmbedError::Transport(_)
            | EmbedError::Paused
            | EmbedError::Blocked(_)
            | EmbedError::Model(_)
    ) || matches!(error, EmbedError::Status(status) if *status >= 500 || *status == 401 || *status == 403 || *status == 429)
}

/// The background backfills: the bots whose run now, and when each bot's last one
/// finished, so that an index built from reads made before that is built again.
#[derive(Default)]
pub(super) struct Backfills {
    running: HashSet<String>,
    finished: HashMap<String, Instant>,
}

/// A bot's background backfill, registered while it runs, even if its task panics.
struct Backfill {
    bot_id: String,
    backfills: Arc<Mutex<Backfills>>,
}

impl Backfill {
    /// `None` when one runs for the bot already.
    fn start(services: &Services, bot_id: &str) -> Option<Self> {
        let backfills = services.backfills.clone();
        let started = lock(&backfills).running.insert(bot_id.to_owned());
        started.then(|| Self { bot_id: bot_id.to_owned(), backfills })
    }

    fn finished(&self) {
        lock(&self.backfills).finished.insert(self.bot_id.clone(), Instant::now());
    }
}

impl Drop for Backfill {
    fn drop(&mut self) {
        lock(&self.backfills).running.remove(&self.bot_id);
    }
}

fn lock(backfills: &Mutex<Backfills>) -> std::sync::MutexGuard<'_, Backfills> {
    backfills.lock().unwrap_or_else(|e| e.into_inner())
}

impl Services {
    pub(super) fn embedder(&self) -> Option<&Embedder> {
        self.embedder.as_ref()
    }

    /// Whether a backfill of the bot's vectors finished after `since`: an index whose
    /// vectors were read before then lacks what it stored.
    pub(super) fn backfilled_since(&self, bot_id: &str, since: Instant) -> bool {
        lock(&self.backfills).finished.get(bot_id).is_some_and(|finished| *finished > since)
    }

    /// The name stored vectors are made under (`local:<fingerprint of the files>` or
    /// `remote:<model>`, then `+document:<fingerprint>` with a document prefix), if the
    /// deployment has a model.
    pub fn embedding_model(&self) -> Option<&str> {
        self.embedder().map(Embedder::model_key)
    }

    /// Makes and stores one article's vector right after it was written. A failure is
    /// logged, not reported: the save succeeded, and the next index build tries again.
    pub(super) async fn embed_article(&self, bot_id: &str, article: &IndexedArticle) {
        // A model that is not used is not asked either.
        let Some(embedder) = self.embedder().filter(|_| self.meaning() != Meaning::Unusable) else { return };
        let texts = semantic::texts_of(article);
        let missing = [(0, hash_of(&texts), texts)];
        self.make_vectors(embedder, bot_id, std::slice::from_ref(article), &missing, &mut [None]).await;
    }

    async fn store_vector(&self, embedder: &Embedder, article_id: &str, content_hash: &str, vector: &[f32]) {
        let stored = StoredEmbedding {
            article_id: article_id.to_owned(),
            content_hash: content_hash.to_owned(),
            vector: semantic::to_bytes(vector),
        };
        if let Err(error) = self.store.put_article_embedding(embedder.model_key(), &stored).await {
            tracing::warn!(article_id, %error, "the article's embedding could not be stored");
        }
    }

    /// The stored vectors that are current; those that are not are made and stored, while
    /// the caller waits when they are few and this is not a `retry` (of a build that lacked
    /// some: the model failed then, and a visitor must not wait for it to fail again), in
    /// the background otherwise.
    pub(super) async fn article_vectors(&self, bot_id: &str, articles: &[IndexedArticle], retry: bool) -> Vectors {
        let Some(embedder) = self.embedder() else { return Vectors::none(true) };
        let scale = match self.scale_for_build(embedder, retry).await {
            Some(Some(scale)) => scale,
            // Logged once, when it was measured: this model's meaning is not used.
            Some(None) => return Vectors::none(true),
            // Built again once it is measured.
            None => return Vectors::none(false),
        };
        let stored: HashMap<String, StoredEmbedding> =
            match self.store.article_embeddings(bot_id, embedder.model_key()).await {
                Ok(rows) => rows.into_iter().map(|row| (row.article_id.clone(), row)).collect(),
                Err(error) => {
                    // Not "all missing": that would make every vector again for one failed read.
                    tracing::warn!(bot_id, %error, "stored embeddings could not be read; searching by words for now");
                    return Vectors::none(false);
                }
            };
        let mut vectors = Vec::with_capacity(articles.len());
        let mut missing = Vec::new();
        for (position, article) in articles.iter().enumerate() {
            let texts = semantic::texts_of(article);
            let hash = hash_of(&texts);
            let current = stored
                .get(&article.id)
                .filter(|row| row.content_hash == hash)
                .and_then(|row| semantic::from_bytes(&row.vector));
            if current.is_none() {
                missing.push((position, hash, texts));
            }
            vectors.push(current);
        }
        if missing.is_empty() {
            return Vectors { vectors, scale, complete: true };
        }
        let texts: usize = missing.iter().map(|(_, _, texts)| texts.len()).sum();
        if retry || texts > MADE_WHILE_WAITING {
            self.backfill(bot_id, articles, missing);
            return Vectors { vectors, scale, complete: false };
        }
        let complete = self.make_vectors(embedder, bot_id, articles, &missing, &mut vectors).await;
        Vectors { vectors, scale, complete }
    }

    /// Makes the `missing` articles' vectors into `vectors` and stores them; false when
    /// some are still missing. A batch the model refuses is tried article by article, so
    /// that one article it cannot take does not keep the others from their vectors; an API
    /// that cannot be reached stops the whole.
    async fn make_vectors(
        &self,
        embedder: &Embedder,
        bot_id: &str,
        articles: &[IndexedArticle],
        missing: &[Missing],
        vectors: &mut [Option<Vec<f32>>],
    ) -> bool {
        let mut complete = true;
        for batch in batches(missing) {
            let article_failed = |position: usize, error: &EmbedError| {
                metrics::counter!("concierge_embedding_failures_total", "of" => "article").increment(1);
                let article_id = &articles[position].id;
                tracing::warn!(bot_id, article_id, %error, "the article's embedding could not be made");
            };
            let texts = batch.iter().flat_map(|(_, _, texts)| texts.iter().cloned()).collect();
            let made = match embedder.embed_documents(texts).await {
                Ok(made) => by_article(batch, made),
                Err(error) if unreachable(&error) => {
                    metrics::counter!("concierge_embedding_failures_total", "of" => "article").increment(1);
                    tracing::warn!(bot_id, %error, "articles' embeddings could not be made; they are found by their words");
                    return false;
                }
                // One article refused: asking again for it alone would be the same question.
                Err(error) if batch.len() == 1 => {
                    article_failed(batch[0].0, &error);
                    vec![None]
                }
                Err(error) => {
                    tracing::warn!(bot_id, %error, "a batch of articles was refused; embedding them one by one");
                    let mut one_by_one = Vec::with_capacity(batch.len());
                    for article in batch {
                        let (position, _, texts) = article;
                        match embedder.embed_documents(texts.clone()).await {
                            Ok(made) => {
                                one_by_one.push(by_article(std::slice::from_ref(article), made).pop().flatten())
                            }
                            Err(error) => {
                                article_failed(*position, &error);
                                one_by_one.push(None);
                                if unreachable(&error) {
                                    return false;
                                }
                            }
                        }
                    }
                    one_by_one
                }
            };
            for ((position, hash, _), vector) in batch.iter().zip(made) {
                match vector {
                    Some(vector) => {
                        self.store_vector(embedder, &articles[*position].id, hash, &vector).await;
                        vectors[*position] = Some(vector);
                    }
                    None => complete = false,
                }
            }
        }
        complete
    }

    /// Makes the missing vectors in a task of their own (one per bot at a time), then,
    /// when they are all made, drops the bot's index so that the next question builds it
    /// with them. A backfill that failed leaves the index to its retry period.
    fn backfill(&self, bot_id: &str, articles: &[IndexedArticle], missing: Vec<Missing>) {
        let Some(embedder) = self.embedder().cloned() else { return };
        let Some(running) = Backfill::start(self, bot_id) else { return };
        tracing::info!(bot_id, articles = missing.len(), "making the articles' embeddings in the background");
        let (services, articles) = (self.clone(), articles.to_vec());
        tokio::spawn(async move {
            let mut vectors = vec![None; articles.len()];
            if services.make_vectors(&embedder, &running.bot_id, &articles, &missing, &mut vectors).await {
                running.finished();
                services.knowledge_cache.invalidate(&running.bot_id);
            }
        });
    }

    /// The questions' vectors, in their order, made in one call: none when the bot's
    /// articles have no vectors to compare them with, or the model failed.
    pub(super) async fn question_vectors(
        &self,
        bot_id: &str,
        knowledge: &Knowledge,
        texts: &[&str],
    ) -> Vec<Option<Vec<f32>>> {
        let Some(embedder) = self.embedder().filter(|_| knowledge.index.has_vectors()) else {
            return vec![None; texts.len()];
        };
        match embedder.embed_bot_questions(bot_id, texts).await {
            Ok(vectors) => vectors.into_iter().map(Some).collect(),
            Err(error) => {
                metrics::counter!("concierge_embedding_failures_total", "of" => "question").increment(1);
                tracing::warn!(%error, "the questions' embeddings could not be made; judging them on their words");
                vec![None; texts.len()]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(position: usize, passages: usize) -> Missing {
        (position, format!("hash-{position}"), (0..passages).map(|p| format!("text {position}.{p}")).collect())
    }

    #[test]
    fn calls_carry_whole_articles_and_at_most_a_batch_of_texts() {
        let missing = [article(0, 20), article(1, 12), article(2, 1), article(3, 40), article(4, 3)];
        let sizes: Vec<Vec<usize>> =
            batches(&missing).iter().map(|b| b.iter().map(|(_, _, texts)| texts.len()).collect()).collect();
        assert_eq!(sizes, vec![vec![20, 12], vec![1], vec![40], vec![3]], "an article of 40 passages alone");
        assert!(batches(&[]).is_empty());
    }

    #[test]
    fn each_article_gets_its_passages_vectors_end_to_end() {
        let batch = [article(0, 2), article(1, 1)];
        let made = vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![0.6, 0.8]];
        assert_eq!(by_article(&batch, made), vec![Some(vec![1.0, 0.0, 0.0, 1.0]), Some(vec![0.6, 0.8])]);
        let short = vec![vec![1.0, 0.0], vec![0.0, 1.0]];
        assert_eq!(by_article(&batch, short), vec![Some(vec![1.0, 0.0, 0.0, 1.0]), None], "an answer short of texts");
    }

    #[test]
    fn one_passage_hashes_as_the_whole_article_did() {
        let text = "Refunds\n\nWe refund within 30 days.".to_owned();
        assert_eq!(hash_of(std::slice::from_ref(&text)), hex::encode(Sha256::digest(text.as_bytes())));
        assert_ne!(hash_of(&["a b".into(), "c".into()]), hash_of(&["a".into(), "b c".into()]));
    }
}
