//! Dashboard sign-ins and the one-time setup links.

use sqlx::PgPool;

use crate::{new_id, NewLogin, NewUser, Result, ResultExt, User};

const USER_COLUMNS: &str = "u.id, u.workspace_id, u.email, u.password_hash, u.name, u.created_at";

pub(super) async fn has_users(pool: &PgPool) -> Result<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users)").fetch_one(pool).await?)
}

pub(super) async fn get_user(pool: &PgPool, user_id: &str) -> Result<Option<User>> {
    sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"))
        .bind(user_id)
        .fetch_optional(pool)
        .await?
        .map(|row| crate::decode_row(&row))
        .transpose()
}

pub(super) async fn create_login(pool: &PgPool, login: &NewLogin<'_>) -> Result<()> {
    sqlx::query("INSERT INTO logins (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(login.token_hash)
        .bind(login.user_id)
        .bind(login.now)
        .bind(login.expires_at)
        .execute(pool)
        .await
        .on_foreign_key("user")?;
    Ok(())
}

pub(super) async fn find_login(pool: &PgPool, token_hash: &str, now: i64) -> Result<Option<User>> {
    sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM logins l JOIN users u ON u.id = l.user_id
         WHERE l.token_hash = $1 AND l.expires_at > $2"
    ))
    .bind(token_hash)
    .bind(now)
    .fetch_optional(pool)
    .await?
    .map(|row| crate::decode_row(&row))
    .transpose()
}

pub(super) async fn delete_login(pool: &PgPool, token_hash: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM logins WHERE token_hash = $1").bind(token_hash).execute(pool).await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn create_setup_token(pool: &PgPool, token_hash: &str, expires_at: i64, now: i64) -> Result<()> {
    sqlx::query("INSERT INTO setup_tokens (token_hash, created_at, expires_at) VALUES ($1, $2, $3)")
        .bind(token_hash)
        .bind(now)
        .bind(expires_at)
        .execute(pool)
        .await?;
    Ok(())
}

pub(super) async fn setup_token_valid(pool: &PgPool, token_hash: &str, now: i64) -> Result<bool> {
    let valid =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM setup_tokens WHERE token_hash = $1 AND expires_at > $2)")
            .bind(token_hash)
            .bind(now)
            .fetch_one(pool)
            .await?;
    Ok(valid)
}

/// Every setup link dies with the first successful claim, in the same transaction that
/// creates the user, so two people racing with two links cannot both become the first user.
pub(super) async fn claim_setup(pool: &PgPool, token_hash: &str, user: &NewUser<'_>) -> Result<Option<User>> {
    let mut tx = pool.begin().await?;
    // Deleting our own token is the claim: on PostgreSQL a racing claim of the same link
    // waits on the row and then finds nothing.
    let claimed: Option<String> =
        sqlx::query_scalar("DELETE FROM setup_tokens WHERE token_hash = $1 AND expires_at > $2 RETURNING token_hash")
            .bind(token_hash)
            .bind(user.now)
            .fetch_optional(&mut *tx)
            .await?;
    if claimed.is_none() {
        return Ok(None);
    }
    sqlx::query("DELETE FROM setup_tokens").execute(&mut *tx).await?;
    let id = new_id();
    sqlx::query(
        "INSERT INTO users (id, workspace_id, email, password_hash, name, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(user.workspace_id)
    .bind(user.email)
    .bind(user.password_hash)
    .bind(user.name)
    .bind(user.now)
    .execute(&mut *tx)
    .await
    .on_unique("user_email")
    .on_foreign_key("workspace")?;
    tx.commit().await?;
    Ok(Some(User {
        id,
        workspace_id: user.workspace_id.to_owned(),
        email: user.email.to_owned(),
        password_hash: user.password_hash.to_owned(),
        name: user.name.map(str::to_owned),
        created_at: user.now,
    }))
}
