//! Workspaces, users and API tokens: what the CLI manages.

use concierge_domain::{hash_token, normalise_email, random_token, FieldError};
use concierge_store::{NewApiToken, NewUser, User, Workspace};

use super::{now_ms, Error, Result};
use concierge_store::Store;

const MIN_PASSWORD_CHARS: usize = 10;

fn invalid(field: &str, message: impl Into<String>) -> Error {
    Error::Validation(vec![FieldError { field: field.into(), message: message.into() }])
}

pub async fn create_workspace(store: &dyn Store, name: &str) -> Result<Workspace> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("name", "A workspace needs a name of 1 to 100 characters."));
    }
    Ok(store.create_workspace(name).await?)
}

/// A new user's email (normalised) and the argon2id hash of their password, or a message
/// per invalid field.
pub(super) async fn new_credentials(email: &str, password: &str) -> Result<(String, String)> {
    let mut errors = Vec::new();
    let email = normalise_email(email)
        .map_err(|e| errors.push(FieldError { field: "email".into(), message: format!("The email {e}.") }))
        .ok();
    if password.chars().count() < MIN_PASSWORD_CHARS {
        errors.push(FieldError {
            field: "password".into(),
            message: format!("A password needs at least {MIN_PASSWORD_CHARS} characters."),
        });
    }
    match email {
        Some(email) if errors.is_empty() => Ok((email, crate::password::hash(password).await?)),
        _ => Err(Error::Validation(errors)),
    }
}

/// A person's name as visitors see it on their answers: trimmed, at most 100 characters;
/// blank is no name.
pub(super) fn display_name(raw: Option<&str>) -> Result<Option<String>> {
    let name = raw.map(str::trim).filter(|n| !n.is_empty());
    if name.is_some_and(|n| n.chars().count() > 100 || n.chars().any(char::is_control)) {
        return Err(Error::Validation(vec![FieldError {
            field: "name".into(),
            message: "A name has at most 100 characters.".into(),
        }]));
    }
    Ok(name.map(str::to_owned))
}

pub async fn create_user(
    store: &dyn Store,
    email: &str,
    name: Option<&str>,
    password: &str,
    workspace: Option<&str>,
) -> Result<User> {
    let (email, hash) = new_credentials(email, password).await?;
    let name = display_name(name)?;
    let workspace = match workspace {
        Some(name) => store.find_workspace_by_name(name).await?.ok_or(Error::NotFound("workspace"))?,
        None => store.default_workspace().await?,
    };
    Ok(store
        .create_user(NewUser {
            workspace_id: &workspace.id,
            email: &email,
            name: name.as_deref(),
            password_hash: &hash,
            now: now_ms(),
        })
        .await?)
}

/// A new API token for the user; returned once, stored as a hash.
pub async fn create_api_token(store: &dyn Store, email: &str, name: &str) -> Result<String> {
    let email = normalise_email(email).map_err(|e| invalid("email", format!("The email {e}.")))?;
    let user = store.find_user_by_email(&email).await?.ok_or(Error::NotFound("user"))?;
    let token = random_token("cat_");
    store
        .create_api_token(NewApiToken { user_id: &user.id, name, token_hash: &hash_token(&token), now: now_ms() })
        .await?;
    Ok(token)
}
