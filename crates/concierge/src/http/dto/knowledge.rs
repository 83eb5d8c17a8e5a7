//! The admin API's knowledge base, and "Try a question" against it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::schema::{asked_as, message_text, trimmed_text};
use concierge_bot::knowledge::percent;
use concierge_core::{rfc3339, ArticleInput, Meaning, Preview, Reply};

/// An article: its `title`, its `body`, the answer in Markdown, a template that may use
/// the contact's verified data (docs/bot.md), and `asked_as`, the ways visitors ask for it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleBody {
    // A field with `schema_with` keeps no doc comment in the document: the type says it.
    #[schema(schema_with = trimmed_text::<{ concierge_core::MAX_ARTICLE_TITLE }>)]
    pub title: String,
    #[schema(schema_with = trimmed_text::<{ concierge_core::MAX_ARTICLE_BODY }>)]
    pub body: String,
    #[schema(schema_with = asked_as)]
    pub asked_as: Option<Vec<String>>,
}

impl From<ArticleBody> for ArticleInput {
    fn from(b: ArticleBody) -> Self {
        Self { title: b.title, body: b.body, asked_as: b.asked_as, shown: None }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ArticleDto {
    pub id: String,
    pub bot_id: String,
    pub title: String,
    pub body: String,
    /// The ways visitors ask for the article, in their words: the bot compares a question
    /// with each as with a passage of the body, so a question asked so finds the article.
    pub asked_as: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<concierge_store::Article> for ArticleDto {
    fn from(a: concierge_store::Article) -> Self {
        Self {
            id: a.id,
            bot_id: a.bot_id,
            title: a.title,
            body: a.body,
            asked_as: a.asked_as,
            created_at: rfc3339(a.created_at),
            updated_at: rfc3339(a.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ArticleListDto {
    pub items: Vec<ArticleDto>,
}

/// A question: `text`, what a visitor would write, and whom it is asked as.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskBody {
    #[schema(schema_with = message_text)]
    pub text: String,
    /// Answer as this contact would be answered (its verified profile and metadata);
    /// absent: an anonymous visitor.
    pub contact_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RankedArticleDto {
    pub id: String,
    pub title: String,
    /// BM25: breaks ties between equal confidences (0 for an article only the embedding
    /// model proposed).
    pub score: f32,
    /// 0 to 100, what the bot's threshold is compared with: `lexical` alone, or blended
    /// with `semantic` when the deployment has an embedding model.
    pub confidence: u8,
    /// 0 to 100: how much of the question's meaningful words the article's best passage
    /// (a section or paragraph, with the title) has, weighted by how rare they are.
    pub lexical: u8,
    /// 0 to 100: the cosine similarity of the question's embedding and the closest of the
    /// article's passages' (negative counts as 0), read on `meaning_scale`; null when there
    /// is no meaning to compare (see `meaning`; the article's vector not made yet, the
    /// question's not made).
    pub semantic: Option<u8>,
    /// The question's words (of `reading.words`) that the article's best passage has, with
    /// its title.
    pub words_found: Vec<String>,
    /// The question's words that the article's title has a dictionary relative of
    /// ("teach" for "Become an instructor"), each counting 80 % of its weight; only beside
    /// at least one of `words_found`. `lexical` is the weight of `words_found` and 80 % of
    /// these (give or take their rounding), unless `asked_as` is set: then it is how alike
    /// that way of asking and the question are (docs/bot.md).
    pub words_related: Vec<String>,
    /// The way the article is asked (of its `asked_as`) that matches the question better
    /// than any passage of its body, whose words are `words_found`; null when a passage of
    /// the body does.
    pub asked_as: Option<String>,
}

/// How the knowledge search read the question.
#[derive(Serialize, ToSchema)]
pub struct ReadingDto {
    /// The question lower-cased, with the support synonyms ("return" reads "refund") and
    /// typo corrections ("pasword" reads "password") applied.
    pub text: String,
    /// Its meaningful words (stop words such as "how" or "my" left out), in order.
    pub words: Vec<ReadWordDto>,
}

/// One meaningful word of the question.
#[derive(Serialize, ToSchema)]
pub struct ReadWordDto {
    /// As it stands in `text`.
    pub word: String,
    /// 0 to 100: its share of the question; a word few articles contain weighs more. The
    /// weights add up to about 100 (each is rounded).
    pub weight: u8,
}

#[derive(Serialize, ToSchema)]
pub struct AskDto {
    /// `answer`, `handoff` (to the team) or `generate` (the language model writes it, with
    /// `text` as the fallback).
    pub action: String,
    /// What the bot would say (plain text): from the knowledge base, the best article, or
    /// for an article over 180 words its section that answers, under the article's title
    /// (the whole article when the question is about all of it).
    pub text: String,
    /// For a handoff: `normal` or `high`.
    pub priority: Option<String>,
    /// For a handoff: `asked`, `rule` or `not_sure`.
    pub reason: Option<String>,
    /// The rule that decided, if one did.
    pub rule: Option<String>,
    /// Ranked articles, best first.
    pub articles: Vec<RankedArticleDto>,
    /// The bot's confidence threshold, 0 to 100.
    pub confidence_threshold: i64,
    /// How the knowledge search read the question; null when the knowledge base was not
    /// searched (a rule decided, the visitor asked for a person, a greeting or thanks).
    pub reading: Option<ReadingDto>,
    /// Whether the question's meaning is compared with the articles': `off` (no embedding
    /// model), `unmeasured` (the model has not answered since the server started: words
    /// alone until it does), `unusable` (the model finds the text that answers a question
    /// no better than an unrelated one, so it is not used) or `on`.
    pub meaning: MeaningDto,
    /// With `meaning` `on`: how the articles' `semantic` reads with this model.
    pub meaning_scale: Option<MeaningScaleDto>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MeaningDto {
    Off,
    Unmeasured,
    Unusable,
    On,
}

/// Where the embedding model's cosines lie, measured for the model when the server starts
/// (each model has its own: one scores unrelated texts 10, another 50).
#[derive(Serialize, ToSchema)]
pub struct MeaningScaleDto {
    /// 0 to 100: a `semantic` at or below this says unrelated (its meaning counts 0).
    pub unrelated: u8,
    /// 0 to 100: a `semantic` at or above this says the article says what the question
    /// asks (its meaning counts in full).
    pub close: u8,
}

impl From<Preview> for AskDto {
    fn from(preview: Preview) -> Self {
        let threshold = preview.confidence_threshold;
        let (action, text, priority, reason) = match preview.decision.reply {
            Reply::Answer { text } => ("answer", text.text, None, None),
            Reply::Handoff { text, priority, reason } => {
                ("handoff", text.text, Some(priority.as_str().to_owned()), Some(reason.as_str().to_owned()))
            }
            Reply::Generate { fallback } => ("generate", fallback.text, None, None),
        };
        let articles = preview
            .decision
            .hits
            .iter()
            .zip(preview.articles.into_iter().zip(preview.words_found))
            .map(|(hit, (article, words))| RankedArticleDto {
                id: article.id,
                title: article.title,
                score: hit.score,
                confidence: percent(hit.confidence),
                lexical: percent(hit.lexical),
                semantic: hit.semantic.map(percent),
                words_found: words.found,
                words_related: words.related,
                asked_as: hit.asked_as.and_then(|way| article.asked_as.get(way).cloned()),
            })
            .collect();
        let (meaning, meaning_scale) = match preview.meaning {
            Meaning::Off => (MeaningDto::Off, None),
            Meaning::Unmeasured => (MeaningDto::Unmeasured, None),
            Meaning::Unusable => (MeaningDto::Unusable, None),
            Meaning::On(scale) => (
                MeaningDto::On,
                Some(MeaningScaleDto { unrelated: percent(scale.floor), close: percent(scale.ceiling) }),
            ),
        };
        let reading = preview.reading.map(|reading| ReadingDto {
            text: reading.text,
            words: reading.words.into_iter().map(|w| ReadWordDto { word: w.word, weight: percent(w.weight) }).collect(),
        });
        Self {
            action: action.to_owned(),
            text,
            priority,
            reason,
            rule: preview.decision.rule,
            articles,
            confidence_threshold: threshold,
            reading,
            meaning,
            meaning_scale,
        }
    }
}
