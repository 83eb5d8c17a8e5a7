//! The bot's sentence embeddings, when the deployment has a model (`--embedding-model` or
//! an embeddings API): each article's vector is made when the article is written and
//! stored with the hash of the text it was made from, so that an instance that builds a
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

use std::collections::HashMap;

use concierge_bot::semantic::{self, Embedder, MAX_BATCH};
use concierge_bot::{intent, Article as IndexedArticle, Intent};
use concierge_store::StoredEmbedding;
use sha2::{Digest, Sha256};

use super::Services;

/// What an article's vector is made from: the text the index reads, title first.
fn text_of(article: &IndexedArticle) -> String {
    format!("{}\n\n{}", article.title, article.body)
}

fn hash_of(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// At most this many missing vectors are made while a question waits for the index (one
/// call, under a second with all-MiniLM-L6-v2 on one core); more are made in the background.
const MADE_WHILE_WAITING: usize = MAX_BATCH;

/// The vectors of a bot's articles, in their order; `complete` is false when some could
/// not be made (the embeddings API is down), so that the index is built again later.
pub(super) struct Vectors {
    pub vectors: Vec<Option<Vec<f32>>>,
    pub complete: bool,
}

impl Services {
    pub(super) fn embedder(&self) -> Option<&Embedder> {
        self.embedder.as_ref()
    }

    /// The name stored vectors are made under (`local:<dir>:<fingerprint>` or
    /// `remote:<url>#<model>`), if the deployment has a model.
    pub fn embedding_model(&self) -> Option<&str> {
        self.embedder().map(Embedder::model_key)
    }

    /// Makes and stores one article's vector right after it was written. A failure is
    /// logged, not reported: the save succeeded, and the next index build tries again.
    pub(super) async fn embed_article(&self, article_id: &str, article: &IndexedArticle) {
        let Some(embedder) = self.embedder() else { return };
        let text = text_of(article);
        match embedder.embed(vec![text.clone()]).await {
            Ok(mut vectors) => {
                if let Some(vector) = vectors.pop() {
                    self.store_vector(embedder, article_id, &hash_of(&text), &vector).await;
                }
            }
            Err(error) => tracing::warn!(article_id, %error, "the article's embedding could not be made"),
        }
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

    /// The stored vectors that are current, and those that are not made now and stored.
    pub(super) async fn article_vectors(&self, bot_id: &str, articles: &[IndexedArticle]) -> Vectors {
        let Some(embedder) = self.embedder() else { return Vectors { vectors: Vec::new(), complete: true } };
        let stored: HashMap<String, StoredEmbedding> =
            match self.store.article_embeddings(bot_id, embedder.model_key()).await {
                Ok(rows) => rows.into_iter().map(|row| (row.article_id.clone(), row)).collect(),
                Err(error) => {
                    tracing::warn!(bot_id, %error, "stored embeddings could not be read; making them again");
                    HashMap::new()
                }
            };
        let mut vectors = Vec::with_capacity(articles.len());
        let mut missing = Vec::new();
        for (position, article) in articles.iter().enumerate() {
            let text = text_of(article);
            let hash = hash_of(&text);
            let current = stored
                .get(&article.id)
                .filter(|row| row.content_hash == hash)
                .and_then(|row| semantic::from_bytes(&row.vector));
            if current.is_none() {
                missing.push((position, hash, text));
            }
            vectors.push(current);
        }
        if missing.len() > MADE_WHILE_WAITING {
            self.backfill(bot_id, articles, missing);
            return Vectors { vectors, complete: false };
        }
        let complete = self.make_vectors(embedder, bot_id, articles, &missing, &mut vectors).await;
        Vectors { vectors, complete }
    }

    /// Makes the `missing` (position, hash, text) vectors into `vectors` and stores them;
    /// false when the model failed and some are still missing.
    async fn make_vectors(
        &self,
        embedder: &Embedder,
        bot_id: &str,
        articles: &[IndexedArticle],
        missing: &[(usize, String, String)],
        vectors: &mut [Option<Vec<f32>>],
    ) -> bool {
        for batch in missing.chunks(MAX_BATCH) {
            match embedder.embed(batch.iter().map(|(_, _, text)| text.clone()).collect()).await {
                Ok(made) => {
                    for ((position, hash, _), vector) in batch.iter().zip(made) {
                        self.store_vector(embedder, &articles[*position].id, hash, &vector).await;
                        vectors[*position] = Some(vector);
                    }
                }
                Err(error) => {
                    tracing::warn!(bot_id, %error, "articles' embeddings could not be made; they are found by their words");
                    return false;
                }
            }
        }
        true
    }

    /// Makes the missing vectors in a task of their own (one per bot at a time), then
    /// drops the bot's index so that the next question builds it with them.
    fn backfill(&self, bot_id: &str, articles: &[IndexedArticle], missing: Vec<(usize, String, String)>) {
        let Some(embedder) = self.embedder().cloned() else { return };
        if !self.backfills.lock().unwrap_or_else(|e| e.into_inner()).insert(bot_id.to_owned()) {
            return;
        }
        tracing::info!(bot_id, articles = missing.len(), "making the articles' embeddings in the background");
        let (services, bot_id, articles) = (self.clone(), bot_id.to_owned(), articles.to_vec());
        tokio::spawn(async move {
            let mut vectors = vec![None; articles.len()];
            services.make_vectors(&embedder, &bot_id, &articles, &missing, &mut vectors).await;
            services.backfills.lock().unwrap_or_else(|e| e.into_inner()).remove(&bot_id);
            services.knowledge_cache.invalidate(&bot_id);
        });
    }

    /// The question's vector, when the bot's articles have vectors and the message is a
    /// question (a greeting or a request for a person never reaches the knowledge base).
    pub(super) async fn question_vector(&self, has_vectors: bool, text: &str) -> Option<Vec<f32>> {
        let embedder = self.embedder().filter(|_| has_vectors && intent(text) == Intent::Question)?;
        match embedder.embed(vec![text.to_owned()]).await {
            Ok(mut vectors) => vectors.pop(),
            Err(error) => {
                metrics::counter!("concierge_embedding_failures_total").increment(1);
                tracing::warn!(%error, "the question's embedding could not be made; judging it on its words");
                None
            }
        }
    }
}
