//! The knowledge base: a bot's articles. Each write bumps the bot's `knowledge_revision`
//! in its transaction.

use sqlx::{PgConnection, PgPool};

use crate::{new_id, Article, NewArticle, Result, ResultExt, MAX_ARTICLES};

const ARTICLE_COLUMNS: &str = "id, bot_id, title, body, created_at, updated_at";

pub(super) async fn create_article(pool: &PgPool, new: &NewArticle<'_>) -> Result<Article> {
    let article = Article {
        id: new_id(),
        bot_id: new.bot_id.to_owned(),
        title: new.title.to_owned(),
        body: new.body.to_owned(),
        created_at: new.now,
        updated_at: new.now,
    };
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO articles (id, bot_id, title, body, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&article.id)
    .bind(&article.bot_id)
    .bind(&article.title)
    .bind(&article.body)
    .bind(article.created_at)
    .bind(article.updated_at)
    .execute(&mut *tx)
    .await
    .on_foreign_key("bot")?;
    bump_revision(&mut tx, &article.bot_id).await?;
    tx.commit().await?;
    Ok(article)
}

/// Oldest first.
pub(super) async fn list_articles(pool: &PgPool, bot_id: &str) -> Result<Vec<Article>> {
    sqlx::query(&format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE bot_id = $1 ORDER BY id LIMIT $2"))
        .bind(bot_id)
        .bind(MAX_ARTICLES)
        .fetch_all(pool)
        .await?
        .iter()
        .map(crate::decode_row)
        .collect()
}

pub(super) async fn get_article(pool: &PgPool, article_id: &str) -> Result<Option<Article>> {
    sqlx::query(&format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = $1"))
        .bind(article_id)
        .fetch_optional(pool)
        .await?
        .map(|row| crate::decode_row(&row))
        .transpose()
}

pub(super) async fn update_article(
    pool: &PgPool,
    article_id: &str,
    title: &str,
    body: &str,
    now: i64,
) -> Result<Option<Article>> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query(&format!(
        "UPDATE articles SET title = $1, body = $2, updated_at = $3 WHERE id = $4 RETURNING {ARTICLE_COLUMNS}"
    ))
    .bind(title)
    .bind(body)
    .bind(now)
    .bind(article_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let article: Article = crate::decode_row(&row)?;
    bump_revision(&mut tx, &article.bot_id).await?;
    tx.commit().await?;
    Ok(Some(article))
}

pub(super) async fn delete_article(pool: &PgPool, article_id: &str) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let bot_id: Option<String> = sqlx::query_scalar("DELETE FROM articles WHERE id = $1 RETURNING bot_id")
        .bind(article_id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(bot_id) = bot_id else { return Ok(false) };
    bump_revision(&mut tx, &bot_id).await?;
    tx.commit().await?;
    Ok(true)
}

async fn bump_revision(tx: &mut PgConnection, bot_id: &str) -> Result<()> {
    sqlx::query("UPDATE bots SET knowledge_revision = knowledge_revision + 1 WHERE id = $1")
        .bind(bot_id)
        .execute(tx)
        .await?;
    Ok(())
}
