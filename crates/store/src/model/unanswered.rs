//! The questions the bot handed to the team because no article was a confident enough
//! match: the knowledge base's gaps, as its operator reviews them.

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
