//! A bot's knowledge base: its articles, the ways visitors ask for them, and their
//! embeddings as stored.

/// An article of a bot's knowledge base.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Article {
    pub id: String,
    pub bot_id: String,
    pub title: String,
    pub body: String,
    /// The ways visitors ask for it, in their words: the search reads each as a passage.
    #[sqlx(json)]
    pub asked_as: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub struct NewArticle<'a> {
    pub bot_id: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub asked_as: &'a Vec<String>,
    /// The most articles the bot may have: at that many, the write is refused with
    /// `Conflict("article_limit")`, counted in the write's own transaction.
    pub at_most: usize,
    pub now: i64,
}

/// An article's new text; `asked_as: None` keeps the ways it is asked as they are (a client
/// that does not know them loses none).
#[derive(Debug, Clone, Copy)]
pub struct ArticleChange<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub asked_as: Option<&'a Vec<String>>,
    /// The ways the writer was shown, when it says: a way the article gained since (a
    /// question answered with it meanwhile) is kept after `asked_as`, not overwritten.
    /// `Error::Conflict("asked_as")` when that makes more than `max_asked_as`.
    pub shown: Option<&'a Vec<String>>,
    pub max_asked_as: usize,
    pub now: i64,
}

/// Whether two ways of asking are one (they differ only in case; their spaces are made one
/// before they are kept).
pub fn same_way(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// The ways of `current` (an article's as saved) that a writer neither was `shown` nor
/// `wrote`: those the article gained since the writer looked, in their order.
pub fn gained_since(current: &[String], shown: &[String], wrote: &[String]) -> Vec<String> {
    let known = |way: &String| shown.iter().chain(wrote).any(|k| same_way(k, way));
    current.iter().filter(|way| !known(way)).cloned().collect()
}

/// One article's sentence embedding as stored: made by the model the caller names, from
/// the article's text whose hash is `content_hash` (the caller's hash: it tells a stale
/// vector from a current one), as little-endian f32 bytes.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredEmbedding {
    pub article_id: String,
    pub content_hash: String,
    pub vector: Vec<u8>,
}
