//! The questions the bot handed to the team for want of an article: recorded by the bot,
//! listed newest first and dismissed by the operator.

use sqlx::types::Json;
use sqlx::Transaction;

use super::knowledge::{bump_revision, ARTICLE_COLUMNS};
use super::{Arg, Backend, Db};
use crate::{
    same_way, AnswerWithArticle, AnsweredWith, Article, Error, NewUnansweredQuestion, Result, ResultExt,
    UnansweredQuestion,
};

/// Once per message (a second record of it changes nothing). The foreign keys are the
/// checks, as for embeddings: a closest article deleted meanwhile leaves the question
/// without it, and a message deleted meanwhile (its conversation was) is `Ok(false)`.
pub(crate) async fn record_unanswered<'c, DB: Backend>(
    db: impl Db<'c, DB> + Copy,
    question: &NewUnansweredQuestion<'_>,
) -> Result<bool> {
    let recorded = match insert(db, question, question.closest_article_id).await {
        Err(Error::NotFound(_)) if question.closest_article_id.is_some() => insert(db, question, None).await,
        done => done,
    };
    match recorded {
        Err(Error::NotFound(_)) => Ok(false),
        done => done,
    }
}

async fn insert<'c, DB: Backend>(
    db: impl Db<'c, DB>,
    question: &NewUnansweredQuestion<'_>,
    closest_article_id: Option<&str>,
) -> Result<bool> {
    let statement = sqlx::query(
        "INSERT INTO unanswered_questions (message_seq, bot_id, closest_article_id, closest_confidence, created_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (message_seq) DO NOTHING",
    )
    .arg(question.message_seq)
    .arg(question.bot_id)
    .arg(closest_article_id)
    .arg(question.closest_confidence)
    .arg(question.now);
    DB::execute(db, statement).await.on_foreign_key("message").map(|_| true)
}

/// Newest first, those asked before the message `before` (all when `None`).
pub(crate) async fn list_unanswered<DB: Backend>(
    db: impl Db<'_, DB>,
    bot_id: &str,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<UnansweredQuestion>> {
    let select = "SELECT u.message_seq, m.conversation_id, c.contact_id, m.text, m.created_at AS asked_at,
                         u.closest_article_id, a.title AS closest_title, u.closest_confidence
                  FROM unanswered_questions u
                  JOIN messages m ON m.seq = u.message_seq
                  JOIN conversations c ON c.id = m.conversation_id
                  LEFT JOIN articles a ON a.id = u.closest_article_id
                  WHERE u.bot_id = $1 AND u.message_seq < $2
                  ORDER BY u.message_seq DESC
                  LIMIT $3";
    let statement = sqlx::query(select).arg(bot_id).arg(before.unwrap_or(i64::MAX)).arg(i64::from(limit));
    DB::all(db, statement).await
}

/// How many questions the bot has to review.
pub(crate) async fn count_unanswered<DB: Backend>(db: impl Db<'_, DB>, bot_id: &str) -> Result<i64> {
    let statement = sqlx::query("SELECT COUNT(*) FROM unanswered_questions WHERE bot_id = $1").arg(bot_id);
    let (count,): (i64,) = DB::one(db, statement).await?;
    Ok(count)
}

/// Whether the bot had that question to dismiss.
pub(crate) async fn dismiss_unanswered<DB: Backend>(
    db: impl Db<'_, DB>,
    bot_id: &str,
    message_seq: i64,
) -> Result<bool> {
    let statement = sqlx::query("DELETE FROM unanswered_questions WHERE bot_id = $1 AND message_seq = $2")
        .arg(bot_id)
        .arg(message_seq);
    Ok(DB::execute(db, statement).await? > 0)
}

/// In one transaction: the question leaves the list and the article is asked as it too, or
/// nothing changes (a refusal drops the transaction, which rolls it back). The article's row
/// is locked first, while its ways are read and written, so that two questions answered
/// with it at once both stay; first, as deleting an article locks it before the questions
/// that name it as their closest. `row_lock` is the backend's lock that lets rows
/// referencing the article be written meanwhile.
pub(crate) async fn answer_with_article<DB: Backend>(
    mut tx: Transaction<'_, DB>,
    answer: &AnswerWithArticle<'_>,
    row_lock: &str,
) -> Result<AnsweredWith> {
    let select = format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = $1 AND bot_id = $2{row_lock}");
    let statement = sqlx::query(&select).arg(answer.article_id).arg(answer.bot_id);
    let Some(mut article): Option<Article> = DB::optional(DB::on(&mut *tx), statement).await? else {
        return Ok(AnsweredWith::ArticleNotFound);
    };
    if !dismiss_unanswered(DB::on(&mut *tx), answer.bot_id, answer.message_seq).await? {
        return Ok(AnsweredWith::QuestionNotFound);
    }
    if !article.asked_as.iter().any(|known| same_way(known, answer.asked_as)) {
        if article.asked_as.len() >= answer.max_asked_as {
            return Ok(AnsweredWith::Full);
        }
        article.asked_as.push(answer.asked_as.to_owned());
        article.updated_at = answer.now;
        let update = sqlx::query("UPDATE articles SET asked_as = $1, updated_at = $2 WHERE id = $3")
            .arg(Json(&article.asked_as))
            .arg(answer.now)
            .arg(answer.article_id);
        DB::execute(DB::on(&mut *tx), update).await?;
        bump_revision(DB::on(&mut *tx), answer.bot_id).await?;
    }
    tx.commit().await?;
    Ok(AnsweredWith::Article(article))
}
