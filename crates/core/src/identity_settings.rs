//! A bot's identity settings as its admins manage them: the mode, the shared identify
//! method and failure policy, each mode's settings, and the keys Concierge generates for
//! the modes (read like the signing secret, rotated without losing a key to a race).

use concierge_domain::{
    ClientSecret, FieldError, IdentifyMethod, IdentityInput, IdentityKind, IdentitySettings, OnFailure,
};
use concierge_store::IdentitySecrets;

use super::auth_settings::JwtKey;
use super::{now_ms, BotAuth, Error, Principal, Result, Services};

/// Keys of signed user tokens valid at once: enough for a rotation in progress.
pub const MAX_JWT_KEYS: usize = 5;
/// A secrets write that loses to another write of the settings is retried this often.
const ATTEMPTS: usize = 5;

/// An identity request: the fields shared by every mode, and the modes' own. A field left
/// out keeps its current value.
#[derive(Debug, Clone, Default)]
pub struct IdentityRequest {
    pub enabled: Option<bool>,
    pub identify_method: Option<String>,
    pub on_failure: Option<String>,
    pub modes: IdentityInput,
    /// A new client secret for the introspection endpoint; `None` keeps the stored one.
    pub introspection_client_secret: Option<String>,
}

/// Longer than any client secret a provider issues.
const MAX_CLIENT_SECRET: usize = 1024;

/// What the chosen mode lacks to identify anyone, for a bot that is switched on.
fn missing_for_mode(auth: &BotAuth, identity: &IdentitySettings, has_client_secret: bool) -> Vec<FieldError> {
    let mut missing = Vec::new();
    let mut need = |field: &str, message: &str| missing.push(FieldError::new(field, message));
    match identity.mode {
        IdentityKind::CustomAuth if auth.settings.url.is_none() => need(
            "mode",
            "A Custom Authentication call needs an Authentication URL: set it in the Custom Authentication settings first.",
        ),
        IdentityKind::OidcUserinfo if identity.oidc_userinfo.issuer.is_none() => {
            need("oidc_userinfo.issuer", "Enter the provider's issuer URL: its discovery document names the userinfo endpoint.")
        }
        IdentityKind::Introspection => {
            let i = &identity.introspection;
            if i.endpoint.is_none() && i.issuer.is_none() {
                need("introspection.endpoint", "Enter the introspection endpoint, or the issuer whose discovery names it.");
            }
            if i.client_id.is_none() {
                need("introspection.client_id", "Enter the client id Concierge authenticates with.");
            }
            if !has_client_secret {
                need("introspection.client_secret", "Enter the client secret Concierge authenticates with.");
            }
        }
        _ => {}
    }
    missing
}

impl Services {
    /// The bot's identity settings with their keys, generating the keys it lacks.
    pub async fn identity_for(&self, who: &Principal, bot_id: &str) -> Result<BotAuth> {
        self.bot_for(who, bot_id).await?;
        self.identity_with_keys(bot_id).await
    }

    pub async fn put_identity(&self, bot_id: &str, request: IdentityRequest) -> Result<BotAuth> {
        let mut auth = self.identity_with_keys(bot_id).await?;
        let mut errors = Vec::new();
        let identity = request.modes.validate(&auth.identity, self.upstream_policy()).unwrap_or_else(|e| {
            errors.extend(e);
            auth.identity.clone()
        });
        let identify_method = match request.identify_method.as_deref() {
            None => auth.settings.identify_method,
            Some(s) => s.parse::<IdentifyMethod>().unwrap_or_else(|e| {
                errors.push(FieldError::new("identify_method", format!("{e}.")));
                auth.settings.identify_method
            }),
        };
        let on_failure = match request.on_failure.as_deref() {
            None => auth.settings.on_failure,
            Some(s) => s.parse::<OnFailure>().unwrap_or_else(|e| {
                errors.push(FieldError::new("on_failure", format!("{e}.")));
                auth.settings.on_failure
            }),
        };
        let client_secret = match request.introspection_client_secret.map(|s| s.trim().to_owned()) {
            Some(s) if s.is_empty() || s.len() > MAX_CLIENT_SECRET => {
                let message = format!("Enter the client secret the provider issued (1 to {MAX_CLIENT_SECRET} bytes).");
                errors.push(FieldError::new("introspection.client_secret", message));
                None
            }
            other => other.map(ClientSecret::new),
        };
        // A stored client secret goes only where it was entered for: a new endpoint or issuer
        // needs it again, or whoever may edit the bot could send it to a server of theirs.
        let (was, now) = (&auth.identity.introspection, &identity.introspection);
        let moved = (&was.endpoint, &was.issuer) != (&now.endpoint, &now.issuer)
            && (now.endpoint.is_some() || now.issuer.is_some());
        if moved && client_secret.is_none() && auth.introspection_secret.is_some() {
            let message = "The introspection endpoint or issuer changed: enter the client secret again.";
            errors.push(FieldError::new("introspection.client_secret", message));
        }
        let enabled = request.enabled.unwrap_or(auth.settings.enabled);
        if enabled {
            let has_secret = client_secret.is_some() || auth.introspection_secret.is_some();
            errors.extend(missing_for_mode(&auth, &identity, has_secret));
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        auth.identity = identity;
        auth.settings.enabled = enabled;
        auth.settings.identify_method = identify_method;
        auth.settings.on_failure = on_failure;
        self.write_bot_auth(&auth, client_secret.as_ref()).await?;
        self.load_bot_auth(bot_id).await
    }

    /// Adds a key for signed user tokens; the others stay valid until deleted.
    pub async fn add_jwt_key(&self, bot_id: &str) -> Result<BotAuth> {
        self.change_identity_secrets(bot_id, |auth| {
            if auth.jwt_keys.len() >= MAX_JWT_KEYS {
                return Err(Error::NotNow {
                    code: "too_many_keys",
                    message: format!("A bot has at most {MAX_JWT_KEYS} keys: delete one it no longer signs with."),
                });
            }
            auth.jwt_keys.push(JwtKey::generate());
            Ok(())
        })
        .await
    }

    /// Deletes a key of signed user tokens: tokens naming it are refused from now on.
    pub async fn delete_jwt_key(&self, bot_id: &str, kid: &str) -> Result<BotAuth> {
        self.change_identity_secrets(bot_id, |auth| {
            let before = auth.jwt_keys.len();
            auth.jwt_keys.retain(|k| k.kid != kid);
            if auth.jwt_keys.len() == before {
                return Err(Error::NotFound("key"));
            }
            if auth.jwt_keys.is_empty() {
                return Err(Error::NotNow {
                    code: "last_key",
                    message: "A bot keeps at least one key: add a new one before deleting this one.".into(),
                });
            }
            Ok(())
        })
        .await
    }

    /// Replaces the identity hash key; like the signing secret, the old one keeps verifying
    /// during the rotation grace period, so the customer can deploy the new one without
    /// failed sign-ins.
    pub async fn rotate_identity_hash_secret(&self, bot_id: &str) -> Result<BotAuth> {
        self.change_identity_secrets(bot_id, |auth| {
            let now = now_ms();
            if let Some(old) = auth.hash_secret.replace(concierge_domain::GeneratedKey::generate()) {
                auth.hash_previous.retire(old, self.grace_ends(now), now);
            }
            Ok(())
        })
        .await
    }

    /// The bot's settings, with a JWT key and an identity hash key stored if it had none
    /// (settings saved before identity modes existed).
    async fn identity_with_keys(&self, bot_id: &str) -> Result<BotAuth> {
        self.change_identity_secrets(bot_id, |auth| {
            if auth.jwt_keys.is_empty() {
                auth.jwt_keys.push(JwtKey::generate());
            }
            if auth.hash_secret.is_none() {
                auth.hash_secret = Some(concierge_domain::GeneratedKey::generate());
            }
            Ok(())
        })
        .await
    }

    /// Applies `change` to the secrets read and writes them if the settings did not change
    /// meanwhile (a rotation on another instance, a save); otherwise reads and applies
    /// again. Nothing is written when `change` leaves the secrets as they were.
    async fn change_identity_secrets(
        &self,
        bot_id: &str,
        change: impl Fn(&mut BotAuth) -> Result<()>,
    ) -> Result<BotAuth> {
        for _ in 0..ATTEMPTS {
            let mut auth = self.load_bot_auth(bot_id).await?;
            let before = (auth.jwt_keys.iter().map(|k| k.kid.clone()).collect::<Vec<_>>(), auth.hash_secret.clone());
            change(&mut auth)?;
            let after = (auth.jwt_keys.iter().map(|k| k.kid.clone()).collect::<Vec<_>>(), auth.hash_secret.clone());
            if before == after {
                return Ok(auth);
            }
            let jwt_keys = self.seal_jwt_keys(&auth.jwt_keys);
            let hash_sealed = auth.hash_secret.as_ref().map(|k| self.sealer.seal(k.expose()));
            let (previous_sealed, previous_expires_at, earlier) =
                auth.hash_previous.seal(|k| self.sealer.seal(k.expose()));
            let secrets = IdentitySecrets {
                jwt_keys: &jwt_keys,
                identity_hash_secret_sealed: hash_sealed.as_deref(),
                identity_hash_previous_sealed: previous_sealed.as_deref(),
                identity_hash_previous_expires_at: previous_expires_at,
                identity_hash_earlier: &earlier,
                revision: auth.revision,
                now: now_ms(),
            };
            let written = self.store.set_identity_secrets(bot_id, secrets).await;
            self.forget_bot_config(bot_id);
            if written? {
                return self.load_bot_auth(bot_id).await;
            }
        }
        Err(Error::Conflict("identity_settings_write"))
    }
}
