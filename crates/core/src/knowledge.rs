//! A bot's knowledge base: the articles operators write, and the search index the bot
//! ranks them with. The index lives in memory per instance and is rebuilt when the bot's
//! `knowledge_revision` moved, so every instance of a scaled-out deployment notices an
//! edit made on another at its next answer. With an embedding model, the articles' vectors
//! come with the index (`embeddings`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use concierge_bot::{template, Article as IndexedArticle, KnowledgeIndex};
use concierge_domain::FieldError;
use concierge_store::{same_way, Article, ArticleChange, Bot, NewArticle};

use super::{now_ms, Error, Principal, Result, Services};

pub const MAX_ARTICLE_TITLE: usize = 200;
pub const MAX_ARTICLE_BODY: usize = 20_000;
/// Ways one article is asked: enough for every wording a team meets, few enough that the
/// article's passages stay its body's.
pub const MAX_ASKED_AS: usize = 50;
/// Characters of one way an article is asked: a question, not a paragraph.
pub const MAX_ASKED_AS_CHARS: usize = 200;
/// Articles per bot: far more than a support knowledge base needs, and an index that
/// still builds in moments.
pub const MAX_ARTICLES: usize = 1_000;
/// An index built while some articles' vectors could not be made is built again after this
/// long, when the embeddings API may be back.
const RETRY_INCOMPLETE: Duration = Duration::from_secs(60);

/// A bot's articles as of one revision, with their index.
pub struct Knowledge {
    pub revision: i64,
    pub index: KnowledgeIndex,
    pub articles: HashMap<String, Article>,
    /// Whether every article has its vector (always, without a model).
    complete: bool,
    built_at: Instant,
}

/// What the index reads of an article: its title without template tags, its body as
/// written (the index cuts it into passages and reads those without their tags, so that a
/// passage it finds is a piece of the template the bot can answer with).
pub(super) fn as_indexed(article: &Article) -> IndexedArticle {
    IndexedArticle {
        id: article.id.clone(),
        title: template::without_tags(&article.title),
        body: article.body.clone(),
        asked_as: article.asked_as.clone(),
    }
}

/// An article as an operator writes it.
#[derive(Debug, Clone)]
pub struct ArticleInput {
    pub title: String,
    pub body: String,
    /// The ways visitors ask for it; `None` keeps an article's as they are (and is none for
    /// a new one).
    pub asked_as: Option<Vec<String>>,
    /// The ways the writer was shown (a form opened earlier): those the article gained
    /// since are kept after `asked_as`. `None`: `asked_as` replaces them all.
    pub shown: Option<Vec<String>>,
}

/// A valid article: its title, body and ways it is asked (`None`: unchanged).
type Valid = (String, String, Option<Vec<String>>);

/// One way an article is asked, as it is kept: on one line, its spaces as one, trimmed. A
/// visitor's message reads as a question so.
pub fn one_line(asked: &str) -> String {
    asked.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Why `way`, as given, cannot be a way an article is asked: it has 1 to 200 characters
/// once trimmed (as the API's schema says; its spaces are made one after).
pub(super) fn way_refused(way: &str) -> Option<FieldError> {
    let chars = way.trim().chars().count();
    let message = || format!("A way an article is asked has 1 to {MAX_ASKED_AS_CHARS} characters.");
    (chars == 0 || chars > MAX_ASKED_AS_CHARS).then(|| FieldError::new("asked_as", message()))
}

/// The ways an article is asked: at most 50, each as [`way_refused`] checks it, kept on one
/// line ([`one_line`]); of those that differ only in case or spacing, the first.
fn asked_as(given: &[String], errors: &mut Vec<FieldError>) -> Vec<String> {
    if given.len() > MAX_ASKED_AS {
        errors.push(FieldError::new("asked_as", format!("An article is asked in at most {MAX_ASKED_AS} ways.")));
    }
    errors.extend(given.iter().find_map(|way| way_refused(way)));
    let mut kept: Vec<String> = Vec::with_capacity(given.len());
    for asked in given.iter().map(|a| one_line(a)) {
        if !kept.iter().any(|k| same_way(k, &asked)) {
            kept.push(asked);
        }
    }
    kept
}

impl ArticleInput {
    /// Trimmed title of 1 to 200 characters; a body of 1 to 20,000 characters that is a
    /// valid template; ways it is asked as [`asked_as`] checks them. Every invalid field is
    /// reported.
    fn validate(&self) -> Result<Valid> {
        let mut errors = Vec::new();
        let title = self.title.trim();
        if title.is_empty() || title.chars().count() > MAX_ARTICLE_TITLE {
            errors.push(FieldError::new("title", format!("A title has 1 to {MAX_ARTICLE_TITLE} characters.")));
        }
        let body = self.body.trim();
        if body.is_empty() || body.chars().count() > MAX_ARTICLE_BODY {
            errors.push(FieldError::new("body", format!("The answer has 1 to {MAX_ARTICLE_BODY} characters.")));
        } else if let Err(e) = template::check(body) {
            errors.push(FieldError::new("body", e.to_string()));
        }
        let asked_as = self.asked_as.as_deref().map(|given| asked_as(given, &mut errors));
        if errors.is_empty() {
            Ok((title.to_owned(), body.to_owned(), asked_as))
        } else {
            Err(Error::Validation(errors))
        }
    }
}

impl Services {
    pub async fn create_article(&self, who: &Principal, bot_id: &str, input: &ArticleInput) -> Result<Article> {
        let (title, body, asked_as) = input.validate()?;
        let asked_as = asked_as.unwrap_or_default();
        self.bot_for(who, bot_id).await?;
        let new = NewArticle {
            bot_id,
            title: &title,
            body: &body,
            asked_as: &asked_as,
            at_most: MAX_ARTICLES,
            now: now_ms(),
        };
        let article = match self.store.create_article(new).await {
            Err(concierge_store::Error::Conflict("article_limit")) => {
                return Err(Error::BadRequest {
                    code: "knowledge_base_full",
                    message: format!("A bot has at most {MAX_ARTICLES} articles; remove or merge some first."),
                })
            }
            created => created?,
        };
        self.embed_article(&article.bot_id, &as_indexed(&article)).await;
        Ok(article)
    }

    pub async fn list_articles(&self, who: &Principal, bot_id: &str) -> Result<Vec<Article>> {
        self.bot_for(who, bot_id).await?;
        Ok(self.store.list_articles(bot_id).await?)
    }

    /// The article, if it belongs to `bot_id` and the caller may see that bot.
    pub async fn article_for(&self, who: &Principal, bot_id: &str, article_id: &str) -> Result<Article> {
        self.bot_for(who, bot_id).await?;
        match self.store.get_article(article_id).await? {
            Some(article) if article.bot_id == bot_id => Ok(article),
            _ => Err(Error::NotFound("article")),
        }
    }

    pub async fn update_article(
        &self,
        who: &Principal,
        bot_id: &str,
        article_id: &str,
        input: &ArticleInput,
    ) -> Result<Article> {
        let (title, body, asked_as) = input.validate()?;
        self.article_for(who, bot_id, article_id).await?;
        let shown = input.shown.as_ref().map(|shown| shown.iter().map(|way| one_line(way)).collect::<Vec<_>>());
        let change = ArticleChange {
            title: &title,
            body: &body,
            asked_as: asked_as.as_ref(),
            shown: shown.as_ref(),
            max_asked_as: MAX_ASKED_AS,
            now: now_ms(),
        };
        let article = match self.store.update_article(article_id, change).await {
            Err(concierge_store::Error::Conflict("asked_as")) => {
                let message = format!(
                    "Ways were added to this article while you edited it, which makes more than {MAX_ASKED_AS}; \
                     remove some."
                );
                return Err(Error::Validation(vec![FieldError::new("asked_as", message)]));
            }
            updated => updated?.ok_or(Error::NotFound("article"))?,
        };
        self.embed_article(&article.bot_id, &as_indexed(&article)).await;
        Ok(article)
    }

    pub async fn delete_article(&self, who: &Principal, bot_id: &str, article_id: &str) -> Result<()> {
        self.article_for(who, bot_id, article_id).await?;
        self.store.delete_article(article_id).await?;
        Ok(())
    }

    /// The bot's knowledge as of `bot.knowledge_revision`, from the cache when it is that
    /// fresh, else read and indexed again.
    pub(super) async fn knowledge(&self, bot: &Bot) -> Result<Arc<Knowledge>> {
        let cached = self.knowledge_cache.get(&bot.id).filter(|known| known.revision == bot.knowledge_revision);
        if let Some(known) = &cached {
            let waiting =
                known.built_at.elapsed() < RETRY_INCOMPLETE && !self.backfilled_since(&bot.id, known.built_at);
            if known.complete || waiting {
                return Ok(known.clone());
            }
        }
        // When the reads began: vectors a backfill stores after this are not in this index.
        let started = Instant::now();
        let articles = self.store.list_articles(&bot.id).await?;
        let indexed: Vec<IndexedArticle> = articles.iter().map(as_indexed).collect();
        let vectors = self.article_vectors(&bot.id, &indexed, cached.is_some()).await;
        // Indexing is CPU work; it stays off the threads that serve requests.
        let index = tokio::task::spawn_blocking(move || KnowledgeIndex::build(&indexed))
            .await
            .map_err(|e| Error::Internal(e.into()))?
            .map_err(|e| Error::Internal(e.into()))?
            .with_vectors(vectors.vectors, vectors.scale);
        let knowledge = Arc::new(Knowledge {
            revision: bot.knowledge_revision,
            index,
            articles: articles.into_iter().map(|a| (a.id.clone(), a)).collect(),
            complete: vectors.complete,
            built_at: started,
        });
        self.knowledge_cache.insert(bot.id.clone(), knowledge.clone());
        Ok(knowledge)
    }
}
