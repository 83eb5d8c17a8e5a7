//! Dashboard sign-in: email and password (argon2id), an opaque cookie token stored as
//! its SHA-256, a CSRF token derived from it, and the one-time link that creates the
//! first user.

use concierge_domain::{hash_token, normalise_email, random_token};
use concierge_store::{NewLogin, NewUser, User};
use subtle::ConstantTimeEq;

use super::accounts::new_credentials;
use super::{now_ms, Error, Result, Services};

const LOGIN_TTL_MS: i64 = 7 * 24 * 3600 * 1000;
const SETUP_LINK_TTL_MS: i64 = 24 * 3600 * 1000;

/// What a setup link can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupLink {
    /// It creates the first account.
    Usable,
    /// Someone can sign in already; no link works any more.
    AccountExists,
    /// Expired, or never issued, while no account exists.
    Invalid,
}

impl SetupLink {
    fn refusal(self) -> Error {
        match self {
            SetupLink::AccountExists => Error::BadRequest {
                code: "account_exists",
                message: "An account already exists: sign in instead.".into(),
            },
            SetupLink::Usable | SetupLink::Invalid => Error::BadRequest {
                code: "setup_link_invalid",
                message: "This setup link has expired or is not valid.".into(),
            },
        }
    }
}

/// Derives the CSRF token of a sign-in: unforgeable without the cookie, nothing to store.
pub fn csrf_token(login_token: &str) -> String {
    hash_token(&format!("csrf:{login_token}"))[..32].to_owned()
}

pub fn csrf_matches(login_token: &str, presented: &str) -> bool {
    bool::from(csrf_token(login_token).as_bytes().ct_eq(presented.as_bytes()))
}

impl Services {
    /// When nobody can sign in yet, a one-time link (valid 24 h) to create the first user.
    pub async fn setup_link_if_needed(&self) -> Result<Option<String>> {
        if self.store.has_users().await? {
            return Ok(None);
        }
        let token = random_token("setup_");
        let now = now_ms();
        self.store.create_setup_token(&hash_token(&token), now + SETUP_LINK_TTL_MS, now).await?;
        Ok(Some(token))
    }

    /// Whether a setup link can create the first account. A link only ever creates the
    /// *first* account: once anyone exists (also through `concierge user create`), every
    /// link is dead. Claiming one revokes them all, so which link was used is not known.
    pub async fn setup_link(&self, token: &str) -> Result<SetupLink> {
        if self.store.has_users().await? {
            return Ok(SetupLink::AccountExists);
        }
        let valid = !token.is_empty() && self.store.setup_token_valid(&hash_token(token), now_ms()).await?;
        Ok(if valid { SetupLink::Usable } else { SetupLink::Invalid })
    }

    /// Creates the first user through a setup link and signs them in; the cookie token.
    /// A dead link is refused with the reason's code: `account_exists` or `setup_link_invalid`.
    pub async fn complete_setup(&self, token: &str, email: &str, name: Option<&str>, password: &str) -> Result<String> {
        match self.setup_link(token).await? {
            SetupLink::Usable => {}
            dead => return Err(dead.refusal()),
        }
        let (email, hash) = new_credentials(email, password).await?;
        let name = super::accounts::display_name(name)?;
        let workspace = self.store.default_workspace().await?;
        let user = NewUser {
            workspace_id: &workspace.id,
            email: &email,
            name: name.as_deref(),
            password_hash: &hash,
            now: now_ms(),
        };
        match self.store.claim_setup(&hash_token(token), user).await? {
            Some(user) => self.new_login(&user).await,
            // Expired meanwhile, or another link won a race and an account exists now.
            None => Err(self.setup_link(token).await?.refusal()),
        }
    }

    /// Signs in with email and password; the cookie token. Attempts are rate-limited per
    /// client IP.
    pub async fn sign_in(&self, email: &str, password: &str, ip: std::net::IpAddr) -> Result<String> {
        self.limits.check_sign_in(ip).await?;
        let refused = || Error::BadRequest { code: "invalid_credentials", message: "Wrong email or password.".into() };
        let user = match normalise_email(email) {
            Ok(email) => self.store.find_user_by_email(&email).await?,
            Err(_) => None,
        };
        let verified = crate::password::verify(password, user.as_ref().map(|u| u.password_hash.as_str())).await?;
        match user {
            Some(user) if verified => self.new_login(&user).await,
            _ => Err(refused()),
        }
    }

    async fn new_login(&self, user: &User) -> Result<String> {
        let token = random_token("csn_");
        let now = now_ms();
        let login =
            NewLogin { user_id: &user.id, token_hash: &hash_token(&token), expires_at: now + LOGIN_TTL_MS, now };
        self.store.create_login(login).await?;
        Ok(token)
    }

    /// The user behind a dashboard cookie.
    pub async fn signed_in_user(&self, login_token: &str) -> Result<User> {
        self.store.find_login(&hash_token(login_token), now_ms()).await?.ok_or(Error::Unauthorized)
    }

    pub async fn sign_out(&self, login_token: &str) -> Result<()> {
        self.store.delete_login(&hash_token(login_token)).await?;
        Ok(())
    }
}
