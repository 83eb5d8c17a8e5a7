//! The knowledge base: a bot's articles. Each write of an article bumps the bot's
//! `knowledge_revision` in its transaction, which the backend begins (each in its own way)
//! and this commits. Their embeddings are written on their own: a new vector for the same
//! text leaves the revision as it is.

use sqlx::types::Json;
use sqlx::Transaction;

use super::{Arg, Backend, Db};
use crate::{
    gained_since, new_id, Article, ArticleChange, Error, NewArticle, Result, ResultExt, StoredEmbedding, MAX_ARTICLES,
};

pub(super) const ARTICLE_COLUMNS: &str = "id, bot_id, title, body, asked_as, created_at, updated_at";

pub(crate) async fn create_article<DB: Backend>(mut tx: Transaction<'_, DB>, new: &NewArticle<'_>) -> Result<Article> {
    let article = Article {
        id: new_id(),
        bot_id: new.bot_id.to_owned(),
        title: new.title.to_owned(),
        body: new.body.to_owned(),
        asked_as: new.asked_as.clone(),
        created_at: new.now,
        updated_at: new.now,
    };
    // The revision's update comes first: it locks the bot's row (PostgreSQL; SQLite has one
    // writer), so writers of the same bot count one after another and none passes the cap.
    bump_revision(DB::on(&mut *tx), new.bot_id).await?;
    let count = sqlx::query("SELECT COUNT(*) FROM articles WHERE bot_id = $1").arg(new.bot_id);
    let (count,): (i64,) = DB::one(DB::on(&mut *tx), count).await?;
    if usize::try_from(count).unwrap_or(usize::MAX) >= new.at_most {
        return Err(Error::Conflict("article_limit"));
    }
    let insert = format!("INSERT INTO articles ({ARTICLE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $6)");
    let statement = sqlx::query(&insert).arg(article.id.as_str()).arg(new.bot_id).arg(new.title).arg(new.body);
    let statement = statement.arg(Json(new.asked_as)).arg(new.now);
    DB::execute(DB::on(&mut *tx), statement).await.on_foreign_key("bot")?;
    tx.commit().await?;
    Ok(article)
}

/// Oldest first.
pub(crate) async fn list_articles<DB: Backend>(db: impl Db<'_, DB>, bot_id: &str) -> Result<Vec<Article>> {
    let select = format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE bot_id = $1 ORDER BY id LIMIT $2");
    DB::all(db, sqlx::query(&select).arg(bot_id).arg(MAX_ARTICLES)).await
}

pub(crate) async fn get_article<DB: Backend>(db: impl Db<'_, DB>, article_id: &str) -> Result<Option<Article>> {
    let select = format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = $1");
    DB::optional(db, sqlx::query(&select).arg(article_id)).await
}

/// `row_lock` locks the article's row while the ways it gained since the writer's view are
/// read and kept (the backend's lock that lets rows referencing it be written meanwhile).
pub(crate) async fn update_article<DB: Backend>(
    mut tx: Transaction<'_, DB>,
    article_id: &str,
    change: &ArticleChange<'_>,
    row_lock: &str,
) -> Result<Option<Article>> {
    let mut asked_as = change.asked_as.cloned();
    if let (Some(ways), Some(shown)) = (asked_as.as_mut(), change.shown) {
        let select = format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = $1{row_lock}");
        let Some(current): Option<Article> =
            DB::optional(DB::on(&mut *tx), sqlx::query(&select).arg(article_id)).await?
        else {
            return Ok(None);
        };
        let gained = gained_since(&current.asked_as, shown, ways);
        ways.extend(gained);
        if ways.len() > change.max_asked_as {
            return Err(Error::Conflict("asked_as"));
        }
    }
    // Without new ways, the column keeps its value: the statement leaves it out.
    let (set_asked_as, id) = if asked_as.is_some() { (", asked_as = $4", "$5") } else { ("", "$4") };
    let update = format!(
        "UPDATE articles SET title = $1, body = $2, updated_at = $3{set_asked_as} WHERE id = {id} RETURNING {ARTICLE_COLUMNS}"
    );
    let statement = sqlx::query(&update).arg(change.title).arg(change.body).arg(change.now);
    let statement = match &asked_as {
        Some(ways) => statement.arg(Json(ways)),
        None => statement,
    };
    let Some(article): Option<Article> = DB::optional(DB::on(&mut *tx), statement.arg(article_id)).await? else {
        return Ok(None);
    };
    bump_revision(DB::on(&mut *tx), &article.bot_id).await?;
    tx.commit().await?;
    Ok(Some(article))
}

pub(crate) async fn delete_article<DB: Backend>(mut tx: Transaction<'_, DB>, article_id: &str) -> Result<bool> {
    let statement = sqlx::query("DELETE FROM articles WHERE id = $1 RETURNING bot_id").arg(article_id);
    let Some((bot_id,)): Option<(String,)> = DB::optional(DB::on(&mut *tx), statement).await? else {
        return Ok(false);
    };
    bump_revision(DB::on(&mut *tx), &bot_id).await?;
    tx.commit().await?;
    Ok(true)
}

/// Oldest article first, and no more than [`list_articles`] lists: enough for the
/// embeddings of every article it lists, and bounded as it is.
pub(crate) async fn article_embeddings<DB: Backend>(
    db: impl Db<'_, DB>,
    bot_id: &str,
    model: &str,
) -> Result<Vec<StoredEmbedding>> {
    let select = "SELECT e.article_id, e.content_hash, e.vector
                  FROM articles a JOIN article_embeddings e ON e.article_id = a.id
                  WHERE a.bot_id = $1 AND e.model = $2
                  ORDER BY a.id LIMIT $3";
    DB::all(db, sqlx::query(select).arg(bot_id).arg(model).arg(MAX_ARTICLES)).await
}

/// One statement, and no check for the article first (not even `WHERE EXISTS` in the
/// statement): the article could be deleted after the check, and PostgreSQL checks the
/// foreign key against committed rows, not the statement's snapshot, so the insert would
/// fail on it all the same. The foreign key is the check, and its refusal is the `false`.
pub(crate) async fn put_article_embedding<DB: Backend>(
    db: impl Db<'_, DB>,
    model: &str,
    embedding: &StoredEmbedding,
) -> Result<bool> {
    let statement = sqlx::query(
        "INSERT INTO article_embeddings (article_id, model, content_hash, vector) VALUES ($1, $2, $3, $4)
         ON CONFLICT (article_id) DO UPDATE SET
             model = excluded.model,
             content_hash = excluded.content_hash,
             vector = excluded.vector",
    )
    .arg(embedding.article_id.as_str())
    .arg(model)
    .arg(embedding.content_hash.as_str())
    .arg(embedding.vector.as_slice());
    match DB::execute(db, statement).await.on_foreign_key("article") {
        Ok(_) => Ok(true),
        Err(Error::NotFound(_)) => Ok(false),
        Err(err) => Err(err),
    }
}

pub(super) async fn bump_revision<DB: Backend>(db: impl Db<'_, DB>, bot_id: &str) -> Result<()> {
    let statement = sqlx::query("UPDATE bots SET knowledge_revision = knowledge_revision + 1 WHERE id = $1");
    DB::execute(db, statement.arg(bot_id)).await?;
    Ok(())
}
