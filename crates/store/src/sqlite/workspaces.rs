//! Workspaces, their users and the users' API tokens.

use sqlx::SqlitePool;

use crate::{
    new_id, now_millis, ApiToken, ApiTokenOwner, Error, NewApiToken, NewUser, Result, ResultExt, User, Workspace,
    DEFAULT_WORKSPACE_NAME,
};

pub(super) async fn default_workspace(writer: &SqlitePool) -> Result<Workspace> {
    // Both statements run on the single writer connection, so they come after any
    // concurrent caller's insert.
    sqlx::query(
        "INSERT INTO workspaces (id, name, is_default, created_at) VALUES (?, ?, 1, ?)
         ON CONFLICT DO NOTHING",
    )
    .bind(new_id())
    .bind(DEFAULT_WORKSPACE_NAME)
    .bind(now_millis())
    .execute(writer)
    .await?;
    let row = sqlx::query("SELECT id, name, is_default, created_at FROM workspaces WHERE is_default = 1")
        .fetch_optional(writer)
        .await?;
    match row {
        Some(row) => crate::decode_row(&row),
        // No default after the insert: an ordinary workspace already has its name.
        None => Err(Error::Conflict("workspace_name")),
    }
}

pub(super) async fn create_workspace(writer: &SqlitePool, name: &str) -> Result<Workspace> {
    let workspace = Workspace { id: new_id(), name: name.to_owned(), is_default: false, created_at: now_millis() };
    sqlx::query("INSERT INTO workspaces (id, name, is_default, created_at) VALUES (?, ?, 0, ?)")
        .bind(&workspace.id)
        .bind(&workspace.name)
        .bind(workspace.created_at)
        .execute(writer)
        .await
        .on_unique("workspace_name")?;
    Ok(workspace)
}

pub(super) async fn find_workspace_by_name(reader: &SqlitePool, name: &str) -> Result<Option<Workspace>> {
    sqlx::query("SELECT id, name, is_default, created_at FROM workspaces WHERE name = ?")
        .bind(name)
        .fetch_optional(reader)
        .await?
        .map(|row| crate::decode_row(&row))
        .transpose()
}

pub(super) async fn create_user(writer: &SqlitePool, new: &NewUser<'_>) -> Result<User> {
    let user = User {
        id: new_id(),
        workspace_id: new.workspace_id.to_owned(),
        email: new.email.to_owned(),
        password_hash: new.password_hash.to_owned(),
        name: new.name.map(str::to_owned),
        created_at: new.now,
    };
    sqlx::query(
        "INSERT INTO users (id, workspace_id, email, password_hash, name, created_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(&user.id)
    .bind(&user.workspace_id)
    .bind(&user.email)
    .bind(&user.password_hash)
    .bind(&user.name)
    .bind(user.created_at)
    .execute(writer)
    .await
    .on_unique("user_email")
    .on_foreign_key("workspace")?;
    Ok(user)
}

pub(super) async fn find_user_by_email(reader: &SqlitePool, email: &str) -> Result<Option<User>> {
    sqlx::query("SELECT id, workspace_id, email, password_hash, name, created_at FROM users WHERE email = ?")
        .bind(email)
        .fetch_optional(reader)
        .await?
        .map(|row| crate::decode_row(&row))
        .transpose()
}

pub(super) async fn set_user_name(writer: &SqlitePool, user_id: &str, name: Option<&str>) -> Result<bool> {
    let done = sqlx::query("UPDATE users SET name = ? WHERE id = ?").bind(name).bind(user_id).execute(writer).await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn create_api_token(writer: &SqlitePool, new: &NewApiToken<'_>) -> Result<ApiToken> {
    let token =
        ApiToken { id: new_id(), user_id: new.user_id.to_owned(), name: new.name.to_owned(), created_at: new.now };
    sqlx::query(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at)
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&token.id)
    .bind(&token.user_id)
    .bind(&token.name)
    .bind(new.token_hash)
    .bind(token.created_at)
    .execute(writer)
    .await
    .on_unique("api_token")
    .on_foreign_key("user")?;
    Ok(token)
}

pub(super) async fn find_api_token(reader: &SqlitePool, token_hash: &str) -> Result<Option<ApiTokenOwner>> {
    sqlx::query(
        "SELECT t.id AS token_id, t.user_id, u.workspace_id
         FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = ?",
    )
    .bind(token_hash)
    .fetch_optional(reader)
    .await?
    .map(|row| crate::decode_row(&row))
    .transpose()
}
