//! The knowledge base's articles and their embeddings ([`Knowledge`]) on PostgreSQL.

use async_trait::async_trait;

use super::{PostgresStore, ARTICLE_LOCK};
use crate::sql;
use crate::{
    AnswerWithArticle, AnsweredWith, Article, ArticleChange, Knowledge, NewArticle, NewUnansweredQuestion, Result,
    StoredEmbedding, UnansweredQuestion,
};

#[async_trait]
impl Knowledge for PostgresStore {
    #[tracing::instrument(skip_all, fields(bot_id = %article.bot_id))]
    async fn create_article(&self, article: NewArticle<'_>) -> Result<Article> {
        sql::knowledge::create_article(self.pool.begin().await?, &article).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn list_articles(&self, bot_id: &str) -> Result<Vec<Article>> {
        sql::knowledge::list_articles(&self.pool, bot_id).await
    }

    #[tracing::instrument(skip_all, fields(article_id = %article_id))]
    async fn get_article(&self, article_id: &str) -> Result<Option<Article>> {
        sql::knowledge::get_article(&self.pool, article_id).await
    }

    #[tracing::instrument(skip_all, fields(article_id = %article_id))]
    async fn update_article(&self, article_id: &str, change: ArticleChange<'_>) -> Result<Option<Article>> {
        sql::knowledge::update_article(self.pool.begin().await?, article_id, &change, ARTICLE_LOCK).await
    }

    #[tracing::instrument(skip_all, fields(article_id = %article_id))]
    async fn delete_article(&self, article_id: &str) -> Result<bool> {
        sql::knowledge::delete_article(self.pool.begin().await?, article_id).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn article_embeddings(&self, bot_id: &str, model: &str) -> Result<Vec<StoredEmbedding>> {
        sql::knowledge::article_embeddings(&self.pool, bot_id, model).await
    }

    #[tracing::instrument(skip_all, fields(article_id = %embedding.article_id))]
    async fn put_article_embedding(&self, model: &str, embedding: &StoredEmbedding) -> Result<bool> {
        sql::knowledge::put_article_embedding(&self.pool, model, embedding).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %question.bot_id))]
    async fn record_unanswered(&self, question: NewUnansweredQuestion<'_>) -> Result<bool> {
        sql::unanswered::record_unanswered(&self.pool, &question).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn list_unanswered(&self, bot_id: &str, before: Option<i64>, limit: u32) -> Result<Vec<UnansweredQuestion>> {
        sql::unanswered::list_unanswered(&self.pool, bot_id, before, limit).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn count_unanswered(&self, bot_id: &str) -> Result<i64> {
        sql::unanswered::count_unanswered(&self.pool, bot_id).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn dismiss_unanswered(&self, bot_id: &str, message_seq: i64) -> Result<bool> {
        sql::unanswered::dismiss_unanswered(&self.pool, bot_id, message_seq).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %answer.bot_id, article_id = %answer.article_id))]
    async fn answer_with_article(&self, answer: AnswerWithArticle<'_>) -> Result<AnsweredWith> {
        sql::unanswered::answer_with_article(self.pool.begin().await?, &answer, ARTICLE_LOCK).await
    }
}
