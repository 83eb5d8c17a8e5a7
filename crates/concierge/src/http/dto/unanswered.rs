//! The admin API's unanswered questions: what visitors asked that no article answered.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::schema::{non_blank_text, optional_trimmed_text};

use concierge_core::{rfc3339, ArticleMatch, Error, Today, UnansweredPage, UnansweredQuestion};

/// The largest cursor: a message's `seq`, as a JSON number any client reads exactly.
const MAX_CURSOR: i64 = (1 << 53) - 1;

#[derive(Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UnansweredQuery {
    /// The `next_cursor` of the previous page.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 9007199254740991.0)]
    pub before: Option<String>,
    /// 1..=50 (more is 50), default 20 (also for 0). Each question is decided again.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 4294967295.0)]
    pub limit: Option<u32>,
}

impl UnansweredQuery {
    /// The question to list from; `invalid_query` for a cursor that is not a number of
    /// 0..=[`MAX_CURSOR`] (a page's `next_cursor` always is).
    pub fn before(&self) -> Result<Option<i64>, Error> {
        self.before
            .as_deref()
            .map(|cursor| {
                cursor.parse::<i64>().ok().filter(|seq| (0..=MAX_CURSOR).contains(seq)).ok_or_else(|| {
                    Error::BadRequest {
                        code: "invalid_query",
                        message: format!("before must be the next_cursor of a page, not {cursor:?}."),
                    }
                })
            })
            .transpose()
    }
}

/// An article, and the bot's confidence in it for the question, in percent.
#[derive(Serialize, ToSchema)]
pub struct ArticleMatchDto {
    pub id: String,
    pub title: String,
    pub confidence: u8,
}

impl From<ArticleMatch> for ArticleMatchDto {
    fn from(m: ArticleMatch) -> Self {
        Self { id: m.article_id, title: m.title, confidence: m.confidence }
    }
}

/// What the bot does with the question today, with today's articles and rules.
#[derive(Serialize, ToSchema)]
pub struct TodayDto {
    /// The bot answers it now instead of handing it to the team.
    pub answered: bool,
    /// The rule that decides now, if one does.
    pub rule: Option<String>,
    /// The best article now: the answer's when `answered`, else the closest.
    pub article: Option<ArticleMatchDto>,
}

impl From<Today> for TodayDto {
    fn from(t: Today) -> Self {
        Self { answered: t.answered, rule: t.rule, article: t.article.map(Into::into) }
    }
}

/// A visitor's message the bot handed to the team because no article was a confident
/// enough match.
#[derive(Serialize, ToSchema)]
pub struct UnansweredDto {
    /// The message's `seq`, which dismisses the question.
    pub id: i64,
    pub conversation_id: String,
    /// The conversation's contact; `null` for an anonymous visitor.
    pub contact_id: Option<String>,
    pub text: String,
    pub asked_at: String,
    /// The best article the bot had then, below its threshold; `null` when none matched, or
    /// that article was deleted since.
    pub closest: Option<ArticleMatchDto>,
    pub now: TodayDto,
}

impl From<UnansweredQuestion> for UnansweredDto {
    fn from(q: UnansweredQuestion) -> Self {
        Self {
            id: q.seq,
            conversation_id: q.conversation_id,
            contact_id: q.contact_id,
            text: q.text,
            asked_at: rfc3339(q.asked_at),
            closest: q.closest.map(Into::into),
            now: q.today.into(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UnansweredPageDto {
    pub items: Vec<UnansweredDto>,
    pub next_cursor: Option<String>,
}

impl From<UnansweredPage> for UnansweredPageDto {
    fn from(page: UnansweredPage) -> Self {
        Self {
            items: page.items.into_iter().map(Into::into).collect(),
            next_cursor: page.next_cursor.map(|seq| seq.to_string()),
        }
    }
}

/// The article that answers a question: the question becomes one of the ways it is asked.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerWithArticleBody {
    /// The id of one of the bot's articles.
    #[schema(schema_with = non_blank_text)]
    pub article_id: String,
    /// The question as the article is to be asked, edited (a way of asking is kept with the
    /// article after the conversation is gone: leave out what is personal); absent or null:
    /// the question as asked.
    #[schema(schema_with = optional_trimmed_text::<{ concierge_core::MAX_ASKED_AS_CHARS }>)]
    pub asked_as: Option<String>,
}
