//! Workspaces, users, API tokens and dashboard sign-ins ([`Accounts`]) on PostgreSQL.

use async_trait::async_trait;

use super::PostgresStore;
use crate::sql;
use crate::{Accounts, ApiToken, ApiTokenOwner, NewApiToken, NewLogin, NewUser, Result, User, Workspace};

#[async_trait]
impl Accounts for PostgresStore {
    #[tracing::instrument(skip_all)]
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn sealed_samples(&self, limit: u32) -> Result<Vec<String>> {
        sql::accounts::sealed_samples(&self.pool, limit).await
    }

    #[tracing::instrument(skip_all)]
    async fn default_workspace(&self) -> Result<Workspace> {
        sql::accounts::default_workspace(&self.pool).await
    }

    #[tracing::instrument(skip_all)]
    async fn create_workspace(&self, name: &str) -> Result<Workspace> {
        sql::accounts::create_workspace(&self.pool, name).await
    }

    #[tracing::instrument(skip_all)]
    async fn find_workspace_by_name(&self, name: &str) -> Result<Option<Workspace>> {
        sql::accounts::find_workspace_by_name(&self.pool, name).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id = %user.workspace_id))]
    async fn create_user(&self, user: NewUser<'_>) -> Result<User> {
        sql::accounts::create_user(&self.pool, &user).await
    }

    #[tracing::instrument(skip_all)]
    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        sql::accounts::find_user_by_email(&self.pool, email).await
    }

    #[tracing::instrument(skip_all, fields(user_id = %token.user_id))]
    async fn create_api_token(&self, token: NewApiToken<'_>) -> Result<ApiToken> {
        sql::accounts::create_api_token(&self.pool, &token).await
    }

    #[tracing::instrument(skip_all)]
    async fn find_api_token(&self, token_hash: &str) -> Result<Option<ApiTokenOwner>> {
        sql::accounts::find_api_token(&self.pool, token_hash).await
    }

    #[tracing::instrument(skip_all)]
    async fn has_users(&self) -> Result<bool> {
        sql::accounts::has_users(&self.pool).await
    }

    #[tracing::instrument(skip_all)]
    async fn get_user(&self, user_id: &str) -> Result<Option<User>> {
        sql::accounts::get_user(&self.pool, user_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn create_login(&self, login: NewLogin<'_>) -> Result<()> {
        sql::accounts::create_login(&self.pool, &login).await
    }

    #[tracing::instrument(skip_all)]
    async fn find_login(&self, token_hash: &str, now: i64) -> Result<Option<User>> {
        sql::accounts::find_login(&self.pool, token_hash, now).await
    }

    #[tracing::instrument(skip_all)]
    async fn delete_login(&self, token_hash: &str) -> Result<bool> {
        sql::accounts::delete_login(&self.pool, token_hash).await
    }

    #[tracing::instrument(skip_all)]
    async fn create_setup_token(&self, token_hash: &str, expires_at: i64, now: i64) -> Result<()> {
        sql::accounts::create_setup_token(&self.pool, token_hash, expires_at, now).await
    }

    #[tracing::instrument(skip_all)]
    async fn setup_token_valid(&self, token_hash: &str, now: i64) -> Result<bool> {
        sql::accounts::setup_token_valid(&self.pool, token_hash, now).await
    }

    #[tracing::instrument(skip_all)]
    async fn claim_setup(&self, token_hash: &str, user: NewUser<'_>) -> Result<Option<User>> {
        sql::accounts::claim_setup(self.pool.begin().await?, token_hash, &user).await
    }

    #[tracing::instrument(skip_all)]
    async fn set_user_name(&self, user_id: &str, name: Option<&str>) -> Result<bool> {
        sql::accounts::set_user_name(&self.pool, user_id, name).await
    }
}
