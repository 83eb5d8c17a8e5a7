//! Workspaces, their users and the users' API tokens; dashboard sign-ins and the one-time
//! setup links.

use sqlx::Transaction;

use super::{Arg, Backend, Db};
use crate::{
    new_id, now_millis, ApiToken, ApiTokenOwner, Error, NewApiToken, NewLogin, NewUser, Result, ResultExt, User,
    Workspace, DEFAULT_WORKSPACE_NAME,
};

const WORKSPACE_COLUMNS: &str = "id, name, is_default, created_at";
const USER_COLUMNS: &str = "u.id, u.workspace_id, u.email, u.password_hash, u.name, u.created_at";

/// Idempotent under concurrent callers: on SQLite both statements run on the single writer
/// connection, after any concurrent caller's insert; on PostgreSQL a concurrent insert
/// makes this one wait for it and then do nothing. Either way the select sees the one
/// default workspace.
pub(crate) async fn sealed_samples<DB: Backend>(db: impl Db<'_, DB>, limit: u32) -> Result<Vec<String>> {
    let select = "SELECT signing_secret_sealed FROM custom_auth ORDER BY bot_id LIMIT $1";
    let rows: Vec<(String,)> = DB::all(db, sqlx::query(select).arg(i64::from(limit))).await?;
    Ok(rows.into_iter().map(|(sealed,)| sealed).collect())
}

pub(crate) async fn default_workspace<DB: Backend>(db: impl Db<'_, DB> + Copy) -> Result<Workspace> {
    let insert = format!("INSERT INTO workspaces ({WORKSPACE_COLUMNS}) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING");
    let now = now_millis();
    DB::execute(db, sqlx::query(&insert).arg(new_id().as_str()).arg(DEFAULT_WORKSPACE_NAME).arg(true).arg(now)).await?;
    let select = format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE is_default = $1");
    match DB::optional(db, sqlx::query(&select).arg(true)).await? {
        Some(workspace) => Ok(workspace),
        // No default after the insert: an ordinary workspace already has its name.
        None => Err(Error::Conflict("workspace_name")),
    }
}

pub(crate) async fn create_workspace<DB: Backend>(db: impl Db<'_, DB>, name: &str) -> Result<Workspace> {
    let workspace = Workspace { id: new_id(), name: name.to_owned(), is_default: false, created_at: now_millis() };
    let insert = format!("INSERT INTO workspaces ({WORKSPACE_COLUMNS}) VALUES ($1, $2, $3, $4)");
    let statement = sqlx::query(&insert).arg(workspace.id.as_str()).arg(name).arg(false).arg(workspace.created_at);
    DB::execute(db, statement).await.on_unique("workspace_name")?;
    Ok(workspace)
}

pub(crate) async fn find_workspace_by_name<DB: Backend>(db: impl Db<'_, DB>, name: &str) -> Result<Option<Workspace>> {
    let select = format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE name = $1");
    DB::optional(db, sqlx::query(&select).arg(name)).await
}

/// Also the last step of claiming a setup link.
pub(crate) async fn create_user<DB: Backend>(db: impl Db<'_, DB>, new: &NewUser<'_>) -> Result<User> {
    let user = User {
        id: new_id(),
        workspace_id: new.workspace_id.to_owned(),
        email: new.email.to_owned(),
        password_hash: new.password_hash.to_owned(),
        name: new.name.map(str::to_owned),
        created_at: new.now,
    };
    let statement = sqlx::query(
        "INSERT INTO users (id, workspace_id, email, password_hash, name, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .arg(user.id.as_str())
    .arg(new.workspace_id)
    .arg(new.email)
    .arg(new.password_hash)
    .arg(new.name)
    .arg(new.now);
    DB::execute(db, statement).await.on_unique("user_email").on_foreign_key("workspace")?;
    Ok(user)
}

pub(crate) async fn find_user_by_email<DB: Backend>(db: impl Db<'_, DB>, email: &str) -> Result<Option<User>> {
    let select = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1");
    DB::optional(db, sqlx::query(&select).arg(email)).await
}

pub(crate) async fn get_user<DB: Backend>(db: impl Db<'_, DB>, user_id: &str) -> Result<Option<User>> {
    let select = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
    DB::optional(db, sqlx::query(&select).arg(user_id)).await
}

pub(crate) async fn has_users<DB: Backend>(db: impl Db<'_, DB>) -> Result<bool> {
    let (exists,) = DB::one(db, sqlx::query("SELECT EXISTS (SELECT 1 FROM users)")).await?;
    Ok(exists)
}

pub(crate) async fn set_user_name<DB: Backend>(db: impl Db<'_, DB>, user_id: &str, name: Option<&str>) -> Result<bool> {
    let statement = sqlx::query("UPDATE users SET name = $1 WHERE id = $2").arg(name).arg(user_id);
    Ok(DB::execute(db, statement).await? > 0)
}

pub(crate) async fn create_api_token<DB: Backend>(db: impl Db<'_, DB>, new: &NewApiToken<'_>) -> Result<ApiToken> {
    let token =
        ApiToken { id: new_id(), user_id: new.user_id.to_owned(), name: new.name.to_owned(), created_at: new.now };
    let statement =
        sqlx::query("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .arg(token.id.as_str())
            .arg(new.user_id)
            .arg(new.name)
            .arg(new.token_hash)
            .arg(new.now);
    DB::execute(db, statement).await.on_unique("api_token").on_foreign_key("user")?;
    Ok(token)
}

pub(crate) async fn find_api_token<DB: Backend>(
    db: impl Db<'_, DB>,
    token_hash: &str,
) -> Result<Option<ApiTokenOwner>> {
    let select = "SELECT t.id AS token_id, t.user_id, u.workspace_id
                  FROM api_tokens t JOIN users u ON u.id = t.user_id
                  WHERE t.token_hash = $1";
    DB::optional(db, sqlx::query(select).arg(token_hash)).await
}

pub(crate) async fn create_login<DB: Backend>(db: impl Db<'_, DB>, login: &NewLogin<'_>) -> Result<()> {
    let statement =
        sqlx::query("INSERT INTO logins (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .arg(login.token_hash)
            .arg(login.user_id)
            .arg(login.now)
            .arg(login.expires_at);
    DB::execute(db, statement).await.on_foreign_key("user")?;
    Ok(())
}

pub(crate) async fn find_login<DB: Backend>(db: impl Db<'_, DB>, token_hash: &str, now: i64) -> Result<Option<User>> {
    let select = format!(
        "SELECT {USER_COLUMNS} FROM logins l JOIN users u ON u.id = l.user_id
         WHERE l.token_hash = $1 AND l.expires_at > $2"
    );
    DB::optional(db, sqlx::query(&select).arg(token_hash).arg(now)).await
}

pub(crate) async fn delete_login<DB: Backend>(db: impl Db<'_, DB>, token_hash: &str) -> Result<bool> {
    let statement = sqlx::query("DELETE FROM logins WHERE token_hash = $1").arg(token_hash);
    Ok(DB::execute(db, statement).await? > 0)
}

pub(crate) async fn create_setup_token<DB: Backend>(
    db: impl Db<'_, DB>,
    token_hash: &str,
    expires_at: i64,
    now: i64,
) -> Result<()> {
    let statement = sqlx::query("INSERT INTO setup_tokens (token_hash, created_at, expires_at) VALUES ($1, $2, $3)")
        .arg(token_hash)
        .arg(now)
        .arg(expires_at);
    DB::execute(db, statement).await?;
    Ok(())
}

pub(crate) async fn setup_token_valid<DB: Backend>(db: impl Db<'_, DB>, token_hash: &str, now: i64) -> Result<bool> {
    let select = "SELECT EXISTS (SELECT 1 FROM setup_tokens WHERE token_hash = $1 AND expires_at > $2)";
    let (valid,) = DB::one(db, sqlx::query(select).arg(token_hash).arg(now)).await?;
    Ok(valid)
}

/// Every setup link dies with the first successful claim, in the same transaction that
/// creates the user, so two people racing with two links cannot both become the first user.
pub(crate) async fn claim_setup<DB: Backend>(
    mut tx: Transaction<'_, DB>,
    token_hash: &str,
    user: &NewUser<'_>,
) -> Result<Option<User>> {
    // Deleting our own token is the claim: on PostgreSQL a racing claim of the same link
    // waits on the row and then finds nothing.
    let claim = "DELETE FROM setup_tokens WHERE token_hash = $1 AND expires_at > $2 RETURNING token_hash";
    let claimed: Option<(String,)> =
        DB::optional(DB::on(&mut *tx), sqlx::query(claim).arg(token_hash).arg(user.now)).await?;
    if claimed.is_none() {
        return Ok(None);
    }
    DB::execute(DB::on(&mut *tx), sqlx::query("DELETE FROM setup_tokens")).await?;
    let created = create_user(DB::on(&mut *tx), user).await?;
    tx.commit().await?;
    Ok(Some(created))
}
