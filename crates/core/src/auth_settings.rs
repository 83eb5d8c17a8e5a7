//! A bot's Custom Authentication settings: from the stored record (secrets sealed) to
//! the domain's validated settings (secrets open), and back.

use concierge_domain::{
    new_key_id, AdditionalField, BotId, ClientSecret, CustomAuthInput, CustomAuthSettings, GeneratedKey,
    IdentifyMethod, IdentitySettings, OnFailure, SigningSecret, StaticHeader, UpstreamPolicy,
};
use concierge_store::{CustomAuthRecord, SealedKey, SigningSecrets};

use super::{now_ms, Error, Principal, Result, Retired, Services};
use crate::bus::{Event, Topic};

/// How often a rotation reads the settings again when another write came first.
const ROTATION_ATTEMPTS: usize = 5;

/// Settings plus signing secrets of one bot.
#[derive(Debug, Clone)]
pub struct BotAuth {
    pub bot_id: String,
    pub settings: CustomAuthSettings,
    pub secret: SigningSecret,
    /// The secrets rotations retired, which keep signing for their grace period.
    pub previous: Retired<SigningSecret>,
    /// The stored settings' revision: cached authentication results of another are stale.
    pub revision: i64,
    /// The identity mode and the settings of every mode.
    pub identity: IdentitySettings,
    /// The keys of HS256/384/512 user tokens, oldest first.
    pub jwt_keys: Vec<JwtKey>,
    /// The key of identity hashes. Settings stored before identity modes existed have
    /// none (nor JWT keys) until the identity settings are first read or saved.
    pub hash_secret: Option<GeneratedKey>,
    /// The identity hash keys rotations retired, which keep verifying for their grace
    /// period.
    pub hash_previous: Retired<GeneratedKey>,
    /// The client secret of the introspection endpoint, as the customer gave it.
    pub introspection_secret: Option<ClientSecret>,
}

/// A key of signed user tokens, chosen by the token's `kid`.
#[derive(Debug, Clone)]
pub struct JwtKey {
    pub kid: String,
    pub secret: GeneratedKey,
    pub created_at: i64,
}

impl JwtKey {
    pub(crate) fn generate() -> Self {
        Self { kid: new_key_id(), secret: GeneratedKey::generate(), created_at: now_ms() }
    }
}

impl BotAuth {
    /// Secrets that sign a call made at `now`: the current one, plus those retired whose
    /// grace period lasts.
    pub fn signing_secrets(&self, now: i64) -> Vec<SigningSecret> {
        std::iter::once(&self.secret).chain(self.previous.live(now)).cloned().collect()
    }
}

fn corrupt(what: &str) -> Error {
    Error::Internal(anyhow::anyhow!("stored custom auth settings are corrupt: {what}"))
}

impl Services {
    pub fn upstream_policy(&self) -> UpstreamPolicy {
        UpstreamPolicy {
            allow_private: self.settings.allow_private_upstreams,
            allow_http: self.settings.allow_http_upstreams,
        }
    }

    /// The bot's settings; a bot without a stored record gets the defaults and a fresh
    /// secret, stored so that every later call signs with the same one.
    pub(super) async fn load_bot_auth(&self, bot_id: &str) -> Result<BotAuth> {
        match self.store.get_custom_auth(bot_id).await? {
            Some(record) => self.open_record(record),
            None => {
                let auth = BotAuth {
                    bot_id: bot_id.to_owned(),
                    settings: CustomAuthSettings::default(),
                    secret: SigningSecret::generate(),
                    previous: Retired::default(),
                    revision: 0,
                    identity: IdentitySettings::default(),
                    jwt_keys: vec![JwtKey::generate()],
                    hash_secret: Some(GeneratedKey::generate()),
                    hash_previous: Retired::default(),
                    introspection_secret: None,
                };
                self.save_bot_auth(&auth).await?;
                Ok(auth)
            }
        }
    }

    /// Saves the settings; their generated secrets and the stored client secret stay.
    pub(super) async fn save_bot_auth(&self, auth: &BotAuth) -> Result<()> {
        self.write_bot_auth(auth, None).await
    }

    /// [`Services::save_bot_auth`], replacing the introspection client secret when one is
    /// given, in the same statement.
    pub(super) async fn write_bot_auth(&self, auth: &BotAuth, client_secret: Option<&ClientSecret>) -> Result<()> {
        let s = &auth.settings;
        let (previous_secret_sealed, previous_secret_expires_at, earlier_secrets) =
            auth.previous.seal(|p| self.sealer.seal(p.expose()));
        let record = CustomAuthRecord {
            bot_id: auth.bot_id.clone(),
            enabled: s.enabled,
            url: s.url.as_ref().map(|u| u.to_string()),
            additional_fields: s.additional_fields.iter().map(|f| f.as_str().to_owned()).collect(),
            identify_method: s.identify_method.as_str().to_owned(),
            timeout_ms: s.timeout_ms.into(),
            on_failure: s.on_failure.as_str().to_owned(),
            headers: s.headers.iter().map(|h| (h.name.clone(), self.sealer.seal(&h.value))).collect(),
            allowed_origins: s.allowed_origins.clone(),
            signing_secret_sealed: self.sealer.seal(auth.secret.expose()),
            previous_secret_sealed,
            previous_secret_expires_at,
            earlier_secrets,
            updated_at: now_ms(),
            cache_ttl_secs: s.cache_ttl_secs.into(),
            revision: auth.revision,
            identity: auth.identity.clone(),
            jwt_keys: self.seal_jwt_keys(&auth.jwt_keys),
            identity_hash_secret_sealed: auth.hash_secret.as_ref().map(|k| self.sealer.seal(k.expose())),
            introspection_secret_sealed: client_secret.map(|s| self.sealer.seal(s.expose())),
            identity_hash_previous_sealed: None,
            identity_hash_previous_expires_at: None,
            identity_hash_earlier: Vec::new(),
        };
        let saved = self.store.put_custom_auth(&record).await;
        self.forget_bot_config(&auth.bot_id);
        saved?;
        Ok(())
    }

    pub(super) fn seal_jwt_keys(&self, keys: &[JwtKey]) -> Vec<SealedKey> {
        keys.iter()
            .map(|k| SealedKey {
                kid: k.kid.clone(),
                secret_sealed: self.sealer.seal(k.secret.expose()),
                created_at: k.created_at,
            })
            .collect()
    }

    fn open_record(&self, r: CustomAuthRecord) -> Result<BotAuth> {
        let key = |sealed: &str| -> Result<GeneratedKey> {
            GeneratedKey::parse(&self.sealer.open(sealed)?).ok_or_else(|| corrupt("identity key"))
        };
        let jwt_keys = r
            .jwt_keys
            .iter()
            .map(|k| Ok(JwtKey { kid: k.kid.clone(), secret: key(&k.secret_sealed)?, created_at: k.created_at }))
            .collect::<Result<Vec<_>>>()?;
        let hash_secret = r.identity_hash_secret_sealed.as_deref().map(key).transpose()?;
        let hash_newest = r.identity_hash_previous_sealed.as_deref().zip(r.identity_hash_previous_expires_at);
        let hash_previous = Retired::open(hash_newest, &r.identity_hash_earlier, key)?;
        let secret = |sealed: &str| -> Result<SigningSecret> {
            SigningSecret::parse(&self.sealer.open(sealed)?).ok_or_else(|| corrupt("signing secret"))
        };
        let url = match &r.url {
            Some(u) => Some(url::Url::parse(u).map_err(|_| corrupt("url"))?),
            None => None,
        };
        let additional_fields = r
            .additional_fields
            .iter()
            .map(|f| f.parse::<AdditionalField>().map_err(|_| corrupt("additional_fields")))
            .collect::<Result<_>>()?;
        let headers = r
            .headers
            .iter()
            .map(|(name, sealed)| Ok(StaticHeader { name: name.clone(), value: self.sealer.open(sealed)? }))
            .collect::<Result<_>>()?;
        let newest = r.previous_secret_sealed.as_deref().zip(r.previous_secret_expires_at);
        let previous = Retired::open(newest, &r.earlier_secrets, secret)?;
        Ok(BotAuth {
            bot_id: r.bot_id.clone(),
            settings: CustomAuthSettings {
                enabled: r.enabled,
                url,
                additional_fields,
                identify_method: r.identify_method.parse::<IdentifyMethod>().map_err(|_| corrupt("identify_method"))?,
                timeout_ms: u32::try_from(r.timeout_ms).map_err(|_| corrupt("timeout_ms"))?,
                on_failure: r.on_failure.parse::<OnFailure>().map_err(|_| corrupt("on_failure"))?,
                headers,
                allowed_origins: r.allowed_origins,
                cache_ttl_secs: u32::try_from(r.cache_ttl_secs).map_err(|_| corrupt("cache_ttl_secs"))?,
            },
            secret: secret(&r.signing_secret_sealed)?,
            previous,
            revision: r.revision,
            identity: r.identity,
            jwt_keys,
            hash_secret,
            hash_previous,
            introspection_secret: match &r.introspection_secret_sealed {
                Some(sealed) => Some(ClientSecret::new(self.sealer.open(sealed)?)),
                None => None,
            },
        })
    }

    /// Replaces a bot's settings (PUT semantics: a missing field takes its default, but
    /// missing allowed origins and cache time keep theirs, and a header sent without a value
    /// keeps its stored value). The signing secret stays.
    pub async fn put_custom_auth(&self, bot_id: &str, mut input: CustomAuthInput) -> Result<BotAuth> {
        let mut auth = self.load_bot_auth(bot_id).await?;
        input.url_optional = auth.identity.mode != concierge_domain::IdentityKind::CustomAuth;
        auth.settings = input.validate(&auth.settings, self.upstream_policy()).map_err(Error::Validation)?;
        self.save_bot_auth(&auth).await?;
        // Open sockets checked their page's origin when they said hello; they hear the new
        // list here (on every instance) rather than re-reading these settings themselves.
        let origins = auth.settings.allowed_origins.clone();
        self.bus.publish(&Topic::Widgets(BotId::from(bot_id)), Event::AllowedOrigins { origins });
        Ok(auth)
    }

    /// The static headers with their values, for an admin who asks to see them: replaying
    /// a test call against an endpoint that checks its key needs the real key. Nothing of
    /// it is logged or recorded.
    pub async fn reveal_static_headers(&self, who: &Principal, bot_id: &str) -> Result<Vec<StaticHeader>> {
        Ok(self.bot_auth_for(who, bot_id).await?.settings.headers)
    }

    /// Forgets every cached authentication result of the bot, on every instance: the next
    /// start of each person calls the Authentication URL again.
    pub async fn clear_auth_cache(&self, who: &Principal, bot_id: &str) -> Result<()> {
        self.bot_for(who, bot_id).await?;
        let bumped = self.store.bump_custom_auth_revision(bot_id).await;
        self.forget_bot_config(bot_id);
        // A bot without stored settings has never cached anything.
        bumped?;
        Ok(())
    }

    /// When a secret retired at `now` stops working.
    pub(super) fn grace_ends(&self, now: i64) -> i64 {
        let grace = i64::try_from(self.settings.secret_rotation_grace.as_millis()).unwrap_or(i64::MAX);
        now.saturating_add(grace)
    }

    /// A new signing secret; the old one keeps signing during the grace period so the
    /// customer can deploy the new one without failed logins. Written only at the settings'
    /// revision read: of two rotations at once (two admins, a retry, two instances), the
    /// second reads again and retires the first one's secret rather than dropping it.
    pub async fn rotate_secret(&self, bot_id: &str) -> Result<BotAuth> {
        for _ in 0..ROTATION_ATTEMPTS {
            let mut auth = self.load_bot_auth(bot_id).await?;
            let old = std::mem::replace(&mut auth.secret, SigningSecret::generate());
            let now = now_ms();
            auth.previous.retire(old, self.grace_ends(now), now);
            let current_sealed = self.sealer.seal(auth.secret.expose());
            let (previous_sealed, previous_expires_at, earlier) = auth.previous.seal(|p| self.sealer.seal(p.expose()));
            let secrets = SigningSecrets {
                current_sealed: &current_sealed,
                previous_sealed: previous_sealed.as_deref(),
                previous_expires_at,
                earlier: &earlier,
                revision: auth.revision,
                now,
            };
            let rotated = self.store.set_signing_secrets(bot_id, secrets).await;
            self.forget_bot_config(bot_id);
            if rotated? {
                return self.load_bot_auth(bot_id).await;
            }
        }
        Err(Error::Conflict("signing_secret_write"))
    }
}
