//! The questions the bot handed to the team because no article was a confident enough
//! match: the knowledge base's gaps, as its operator reviews them.

use crate::Article;

/// A visitor message the bot could not answer from the knowledge base.
#[derive(Debug, Clone, Copy)]
pub struct NewUnansweredQuestion<'a> {
    /// The visitor's message (its text is the question's, not copied).
    pub message_seq: i64,
    pub bot_id: &'a str,
    /// The best article the bot had, and its confidence in percent.
    pub closest_article_id: Option<&'a str>,
    pub closest_confidence: Option<i64>,
    pub now: i64,
}

/// A question as the operator reviews it: the message, its conversation, and the best
/// article the bot had when it was asked (gone if that article was deleted since).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UnansweredQuestion {
    pub message_seq: i64,
    pub conversation_id: String,
    /// The conversation's contact; `None` for an anonymous visitor.
    pub contact_id: Option<String>,
    pub text: String,
    pub asked_at: i64,
    pub closest_article_id: Option<String>,
    pub closest_title: Option<String>,
    pub closest_confidence: Option<i64>,
}

/// An unanswered question the operator answers with an article: its words become one of the
/// ways the article is asked ([`crate::Article::asked_as`]), and the question leaves the list,
/// both or neither.
#[derive(Debug, Clone, Copy)]
pub struct AnswerWithArticle<'a> {
    pub bot_id: &'a str,
    pub message_seq: i64,
    pub article_id: &'a str,
    /// The question as the article is to be asked (the caller's reading of its text).
    pub asked_as: &'a str,
    /// An article asked in this many ways already takes no more.
    pub max_asked_as: usize,
    pub now: i64,
}

/// What answering a question with an article did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnsweredWith {
    /// The article as it is now: asked as the question too (already was, ignoring case, or
    /// added), and the question dismissed.
    Article(Article),
    /// The bot has no such question (dismissed or answered meanwhile); nothing changed.
    QuestionNotFound,
    /// The bot has no such article; nothing changed.
    ArticleNotFound,
    /// The article is asked in `max_asked_as` ways already; nothing changed.
    Full,
}
