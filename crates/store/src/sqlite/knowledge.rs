//! The knowledge base's articles and their embeddings ([`Knowledge`]) on SQLite: reads on
//! the reader pool, writes on the writer.

use async_trait::async_trait;

use super::{SqliteStore, BEGIN};
use crate::sql;
use crate::{Article, Knowledge, NewArticle, Result, StoredEmbedding};

#[async_trait]
impl Knowledge for SqliteStore {
    #[tracing::instrument(skip_all, fields(bot_id = %article.bot_id))]
    async fn create_article(&self, article: NewArticle<'_>) -> Result<Article> {
        sql::knowledge::create_article(self.writer.begin_with(BEGIN).await?, &article).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn list_articles(&self, bot_id: &str) -> Result<Vec<Article>> {
        sql::knowledge::list_articles(&self.reader, bot_id).await
    }

    #[tracing::instrument(skip_all, fields(article_id = %article_id))]
    async fn get_article(&self, article_id: &str) -> Result<Option<Article>> {
        sql::knowledge::get_article(&self.reader, article_id).await
    }

    #[tracing::instrument(skip_all, fields(article_id = %article_id))]
    async fn update_article(&self, article_id: &str, title: &str, body: &str, now: i64) -> Result<Option<Article>> {
        sql::knowledge::update_article(self.writer.begin_with(BEGIN).await?, article_id, title, body, now).await
    }

    #[tracing::instrument(skip_all, fields(article_id = %article_id))]
    async fn delete_article(&self, article_id: &str) -> Result<bool> {
        sql::knowledge::delete_article(self.writer.begin_with(BEGIN).await?, article_id).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn article_embeddings(&self, bot_id: &str, model: &str) -> Result<Vec<StoredEmbedding>> {
        sql::knowledge::article_embeddings(&self.reader, bot_id, model).await
    }

    #[tracing::instrument(skip_all, fields(article_id = %embedding.article_id))]
    async fn put_article_embedding(&self, model: &str, embedding: &StoredEmbedding) -> Result<bool> {
        sql::knowledge::put_article_embedding(&self.writer, model, embedding).await
    }
}
