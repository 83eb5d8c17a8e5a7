//! Sentence embeddings, when the operator gives the bot a model: a vector per article and
//! per question, whose cosine says how close their meanings are even when they share no
//! word ("where is my package?" and "Tracking your order").
//!
//! Two sources, chosen by the operator for the whole deployment so that every stored
//! vector is comparable with every question's:
//! - [`LocalModel`]: a BERT sentence-embedding model (all-MiniLM-L6-v2 and its kind) read
//!   from a directory (`config.json`, `model.safetensors`, `tokenizer.json`), run on the CPU
//!   by candle; nothing is downloaded.
//! - [`RemoteEmbeddings`]: an OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, Ollama,
//!   vLLM, …) behind the outbound guard, like the language model.
//!
//! Vectors are L2-normalised when they are made, so their cosine is their dot product; they
//! are stored as little-endian `f32` bytes. Each model's cosines have their own scale,
//! measured once per process on a fixed set of questions and answers (`calibration`).
//!
//! Some models were trained to read a question and a document each after a word of its own
//! (e5's `query: ` and `passage: `, nomic-embed-text's `search_query: ` and
//! `search_document: `) and find answers worse without: the operator gives them
//! ([`Prefixes`]), and every text is sent with its kind's.

pub mod calibration;
mod kept;
mod local;
mod remote;

use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::knowledge::hybrid::Scale;
use kept::KeptQuestions;
pub use local::LocalModel;
pub use remote::{RemoteConfig, RemoteEmbeddings};

/// The most texts one call embeds: a knowledge base is embedded in batches of this many.
pub const MAX_BATCH: usize = 32;
/// The most characters of a text that a vector is made from: a passage is shorter (the
/// local model reads 256 tokens, about 1,000 characters, at most), and an API's own input
/// limit is never reached.
pub const MAX_TEXT_CHARS: usize = 4_000;

/// What an article's vectors are made from, one per passage of its body
/// ([`crate::knowledge::passages::searchable`], template tags left out): the title, then
/// the passage, at most [`MAX_TEXT_CHARS`]. The title goes with each, as a section heading
/// is read under its page's.
pub fn article_texts(title: &str, body: &str) -> Vec<String> {
    under_title(title, crate::knowledge::passages::searchable(body))
}

/// What an article's vectors are made from: [`article_texts`], then one for each way it is
/// asked, under its title too: what the search compares a question with, passage by passage
/// ([`crate::knowledge::Article::searchable`]).
pub fn texts_of(article: &crate::knowledge::Article) -> Vec<String> {
    under_title(&article.title, article.searchable())
}

fn under_title(title: &str, passages: Vec<String>) -> Vec<String> {
    passages.into_iter().map(|passage| format!("{title}\n\n{passage}").chars().take(MAX_TEXT_CHARS).collect()).collect()
}

/// Why texts could not be embedded. No message contains an API key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmbedError {
    #[error("the embedding model could not be loaded from {dir}: {reason}")]
    Load { dir: String, reason: String },
    #[error("the embedding model failed: {0}")]
    Model(String),
    #[error("the embeddings API did not answer in time")]
    Timeout,
    #[error("the embeddings API answered with HTTP status {0}")]
    Status(u16),
    #[error("the embeddings API could not be reached ({0})")]
    Transport(String),
    #[error("the embeddings API sent an answer that could not be read ({0})")]
    InvalidResponse(String),
    #[error("the embeddings API may not be called: {0}")]
    Blocked(String),
    #[error("the embeddings API failed moments ago; it is asked again shortly")]
    Paused,
}

/// What the model reads before each kind of text. Empty by default: most models (the
/// all-MiniLM family, OpenAI's) read texts as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prefixes {
    /// Before a visitor's question (and the calibration's questions).
    pub query: String,
    /// Before an article's passage (and the calibration's passages).
    pub document: String,
}

/// Where a deployment's embeddings come from, and where its model's cosines lie. Cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct Embedder {
    source: Source,
    prefixes: Arc<Prefixes>,
    /// The source's key, and the document prefix's fingerprint when there is one.
    key: Arc<str>,
    /// Visitors' questions' vectors, kept for a while.
    questions: KeptQuestions,
    /// Measured once, when first needed (`calibration`); `None` inside: the model cannot
    /// tell an answer from an unrelated text.
    scale: Arc<tokio::sync::OnceCell<Option<Scale>>>,
}

#[derive(Debug, Clone)]
enum Source {
    /// The model, and how many texts it embeds at once: each pass already uses several
    /// cores, and more at once would only make every question wait longer.
    Local(Arc<LocalModel>, Arc<tokio::sync::Semaphore>),
    Remote(RemoteEmbeddings),
}

impl Source {
    /// The vector space's name ([`Embedder::model_key`]) with `prefixes`.
    fn key_with(&self, prefixes: &Prefixes) -> Arc<str> {
        let source = match self {
            Source::Local(model, _) => model.key(),
            Source::Remote(remote) => remote.key(),
        };
        if prefixes.document.is_empty() {
            return Arc::from(source);
        }
        // A fingerprint, not the prefix: the key stays short and plain whatever the prefix.
        let fingerprint = hex::encode(Sha256::digest(prefixes.document.as_bytes()));
        Arc::from(format!("{source}+document:{}", &fingerprint[..12]))
    }
}

impl Embedder {
    pub fn local(model: impl Into<Arc<LocalModel>>) -> Self {
        let at_once = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::of(Source::Local(model.into(), Arc::new(tokio::sync::Semaphore::new(at_once))))
    }

    pub fn remote(remote: RemoteEmbeddings) -> Self {
        Self::of(Source::Remote(remote))
    }

    fn of(source: Source) -> Self {
        Self::with(source, Prefixes::default())
    }

    /// The same source, its texts sent after `prefixes`.
    pub fn with_prefixes(self, prefixes: Prefixes) -> Self {
        Self::with(self.source, prefixes)
    }

    fn with(source: Source, prefixes: Prefixes) -> Self {
        let key = source.key_with(&prefixes);
        Self { source, prefixes: Arc::new(prefixes), key, questions: KeptQuestions::new(), scale: Arc::default() }
    }

    /// Names the vector space: stored vectors made under another name are made again. A
    /// document prefix is part of it (the article's vectors depend on it); a query prefix
    /// is not (questions are embedded afresh).
    pub fn model_key(&self) -> &str {
        &self.key
    }

    /// Articles' texts ([`article_texts`]), one vector each, after the document prefix.
    pub async fn embed_documents(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embed(prefixed(&self.prefixes.document, texts)).await
    }

    /// Questions, one vector each, after the query prefix, none kept: the calibration's.
    async fn embed_questions(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embed(prefixed(&self.prefixes.query, texts)).await
    }

    /// Visitors' questions to the bot `bot_id`, after the query prefix, one vector each in
    /// their order: those asked of it in the last hour as kept (`kept`), the others made in
    /// one call, not one call each.
    pub async fn embed_bot_questions(&self, bot_id: &str, questions: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let texts: Vec<String> = questions.iter().map(|q| format!("{}{q}", self.prefixes.query)).collect();
        let mut vectors: Vec<Option<Vec<f32>>> = texts.iter().map(|t| self.questions.get(bot_id, t)).collect();
        let missing: Vec<usize> = (0..texts.len()).filter(|&i| vectors[i].is_none()).collect();
        if !missing.is_empty() {
            let made = self.embed(missing.iter().map(|&i| texts[i].clone()).collect()).await?;
            if made.len() != missing.len() {
                let message = format!("{} vectors for {} questions", made.len(), missing.len());
                return Err(EmbedError::InvalidResponse(message));
            }
            for (i, vector) in missing.into_iter().zip(made) {
                self.questions.keep(bot_id, questions[i], texts[i].clone(), &vector);
                vectors[i] = Some(vector);
            }
        }
        Ok(vectors.into_iter().flatten().collect())
    }

    /// Where the model's cosines lie, measured on its first call and kept; `Ok(None)` when
    /// its meaning is not to be used (it cannot tell an answer from an unrelated text). An
    /// error (the API is down) is not kept: the next call measures again.
    pub async fn scale(&self) -> Result<Option<Scale>, EmbedError> {
        let measured = self.scale.get_or_try_init(|| async {
            let (questions, passages) = calibration::texts();
            let mut vectors = Vec::new();
            // In small calls: an API on a busy CPU answers each within its timeout.
            for texts in questions.chunks(calibration::BATCH) {
                vectors.extend(self.embed_questions(texts.to_vec()).await?);
            }
            for texts in passages.chunks(calibration::BATCH) {
                vectors.extend(self.embed_documents(texts.to_vec()).await?);
            }
            let anchors = calibration::anchors(&vectors)
                .ok_or_else(|| EmbedError::Model("the calibration texts got no usable vectors".into()))?;
            let scale = calibration::scale(anchors);
            let calibration::Anchors { unrelated, answering, own_first } = anchors;
            match scale {
                Some(Scale { floor, ceiling }) => {
                    tracing::info!(unrelated, answering, floor, ceiling, "the embedding model's scale is measured");
                }
                None => tracing::warn!(
                    unrelated,
                    answering,
                    own_first,
                    "the embedding model finds the text that answers a question no better than an unrelated \
                     one; it is not used, and the bot judges questions on their words"
                ),
            }
            Ok::<_, EmbedError>(scale)
        });
        measured.await.copied()
    }

    /// The scale if it was measured (`Some(None)`: the model is not to be used); `None`
    /// while it is not. Never waits.
    pub fn known_scale(&self) -> Option<Option<Scale>> {
        self.scale.get().copied()
    }

    /// One unit-length vector per text, in order. At most [`MAX_BATCH`] texts per call are
    /// sent to a remote API; more are split. The local model runs off the async threads.
    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        match &self.source {
            Source::Local(model, at_once) => {
                let model = model.clone();
                let _turn = at_once.acquire().await.map_err(|e| EmbedError::Model(e.to_string()))?;
                tokio::task::spawn_blocking(move || texts.iter().map(|t| model.embed(t)).collect())
                    .await
                    .map_err(|e| EmbedError::Model(e.to_string()))?
            }
            Source::Remote(remote) => {
                let mut vectors = Vec::with_capacity(texts.len());
                for batch in texts.chunks(MAX_BATCH) {
                    vectors.extend(remote.embed(batch).await?);
                }
                Ok(vectors)
            }
        }
    }
}

fn prefixed(prefix: &str, texts: Vec<String>) -> Vec<String> {
    if prefix.is_empty() {
        return texts;
    }
    texts.into_iter().map(|text| format!("{prefix}{text}")).collect()
}

/// Scales `vector` to unit length; a zero vector stays zero (it is close to nothing).
pub fn normalize(mut vector: Vec<f32>) -> Vec<f32> {
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 && norm.is_finite() {
        vector.iter_mut().for_each(|x| *x /= norm);
    }
    vector
}

/// The cosine of two unit vectors; `None` when it says nothing: their lengths differ (two
/// models' vectors) or it is not a number.
pub fn cosine(a: &[f32], b: &[f32]) -> Option<f32> {
    if a.len() != b.len() {
        return None;
    }
    Some(dot(a, b)).filter(|c| c.is_finite())
}

/// The dot product in eight running sums: a single sum of floats must be added in order,
/// which keeps the compiler from using the CPU's vector instructions; eight let it. With a
/// model, a question is compared with every passage of every article (6,000 at 1,000 long
/// articles).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    const LANES: usize = 8;
    let mut sums = [0.0f32; LANES];
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let rest: f32 = a_chunks.remainder().iter().zip(b_chunks.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for lane in 0..LANES {
            sums[lane] += x[lane] * y[lane];
        }
    }
    sums.iter().sum::<f32>() + rest
}

/// The cosine of the unit vector `question` and the closest of `vectors`, unit vectors of
/// its length end to end (an article's passages); `None` when none can be compared.
pub fn closest(question: &[f32], vectors: &[f32]) -> Option<f32> {
    if question.is_empty() || !vectors.len().is_multiple_of(question.len()) {
        return None;
    }
    vectors.chunks_exact(question.len()).filter_map(|v| cosine(question, v)).reduce(f32::max)
}

pub fn to_bytes(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// `None` when the bytes are not a whole number of `f32`s.
pub fn from_bytes(bytes: &[u8]) -> Option<Vec<f32>> {
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    Some(bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_round_trip_through_bytes() {
        let v = normalize(vec![3.0, -4.0, 0.0]);
        assert_eq!(v, vec![0.6, -0.8, 0.0]);
        assert_eq!(from_bytes(&to_bytes(&v)), Some(v.clone()));
        assert_eq!(from_bytes(&[0, 0, 128]), None);
        assert!((cosine(&v, &v).unwrap() - 1.0).abs() < 1e-6);
        assert_eq!(cosine(&v, &[1.0]), None, "another model's vector");
        assert_eq!(cosine(&[f32::NAN], &[1.0]), None);
        let (long_a, long_b): (Vec<f32>, Vec<f32>) = (0..21).map(|i| (i as f32, 1.0 - i as f32 / 10.0)).unzip();
        let plain: f32 = long_a.iter().zip(&long_b).map(|(x, y)| x * y).sum();
        assert!((cosine(&long_a, &long_b).unwrap() - plain).abs() < 1e-3, "eight lanes and a rest add up");
        assert_eq!(normalize(vec![0.0, 0.0]), vec![0.0, 0.0]);
        assert_eq!(article_texts("T", "body"), vec!["T\n\nbody"]);
        assert_eq!(article_texts("T", &"é".repeat(10_000))[0].chars().count(), MAX_TEXT_CHARS);
    }

    #[test]
    fn a_document_prefix_names_another_vector_space() {
        let remote = |model: &str| {
            let config = RemoteConfig {
                base_url: "http://127.0.0.1:9/v1".parse().unwrap(),
                model: model.to_owned(),
                api_key: None,
                timeout: std::time::Duration::from_secs(1),
            };
            Embedder::remote(RemoteEmbeddings::new(reqwest::Client::new(), Default::default(), config))
        };
        let plain = remote("e5");
        assert_eq!(plain.model_key(), "remote:e5", "vectors stored before prefixes existed stay current");
        let prefixes = |query: &str, document: &str| Prefixes { query: query.into(), document: document.into() };
        let asked = remote("e5").with_prefixes(prefixes("query: ", ""));
        assert_eq!(asked.model_key(), "remote:e5", "a question's prefix changes no stored vector");
        let e5 = remote("e5").with_prefixes(prefixes("query: ", "passage: "));
        assert!(e5.model_key().starts_with("remote:e5+document:"), "{}", e5.model_key());
        assert!(!e5.model_key().contains("passage"), "a fingerprint, not the prefix");
        assert_ne!(e5.model_key(), remote("e5").with_prefixes(prefixes("", "passage:")).model_key());
        assert_eq!(prefixed("query: ", vec!["a".into()]), vec!["query: a"]);
        assert_eq!(prefixed("", vec!["a".into()]), vec!["a"]);
    }

    #[test]
    fn an_article_is_as_close_as_its_closest_passage() {
        let question = normalize(vec![1.0, 0.0]);
        let passages = [normalize(vec![0.0, 1.0]), normalize(vec![1.0, 1.0]), normalize(vec![-1.0, 0.0])].concat();
        assert!((closest(&question, &passages).unwrap() - 0.5f32.sqrt()).abs() < 1e-6);
        assert_eq!(closest(&question, &[1.0, 0.0, 1.0]), None, "not whole vectors of the question's length");
        assert_eq!(closest(&question, &[]), None);
        assert_eq!(closest(&[], &[]), None);
        let body = format!("{}\n\n{}", "pairing ".repeat(40), "charging ".repeat(40));
        let texts = article_texts("Your watch", &body);
        assert_eq!(texts.len(), 2);
        assert!(texts.iter().all(|t| t.starts_with("Your watch\n\n")), "each passage under the title");
    }
}
