//! The admin API's identity settings: the mode, the fields every mode shares, each mode's
//! settings, and the keys Concierge generates for the modes.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::schema::{client_auth_method, identify_method, identity_mode, on_failure};
use concierge_core::{rfc3339, BotAuth, IdentityRequest};
use concierge_domain::{
    ClaimMap, ClaimMapInput, IdentifyMethod, IdentityInput, IntrospectionInput, JwtInput, JwtSettings, OidcInput,
};

/// A bot's identity settings as read, with the keys its admins give the customer's server.
/// `mode` is `custom_auth` (the seed's call, default), `jwt`, `identity_hash`,
/// `oidc_userinfo` or `introspection`.
#[derive(Serialize, ToSchema)]
pub struct IdentityDto {
    pub mode: String,
    /// Whether visitors are identified at all; off, every visitor chats anonymously.
    pub enabled: bool,
    /// `id` (default), `email` or `phone_number`: which verified field identifies the contact.
    pub identify_method: String,
    /// `anonymous` (default) or `block`.
    pub on_failure: String,
    pub custom_auth: CustomAuthSummaryDto,
    pub jwt: JwtDto,
    pub identity_hash: IdentityHashDto,
    pub oidc_userinfo: OidcDto,
    pub introspection: IntrospectionDto,
}

/// The page's access token shown to the provider's userinfo endpoint.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OidcDto {
    /// The provider's issuer URL; `/.well-known/openid-configuration` under it names the
    /// userinfo endpoint.
    pub issuer: Option<String>,
    /// Take `email` only when `email_verified` is true (default).
    pub require_email_verified: Option<bool>,
    #[schema(minimum = 100, maximum = 30_000)]
    pub timeout_ms: Option<i64>,
}

/// The page's access token described by the provider's introspection endpoint (RFC 7662).
#[derive(Serialize, ToSchema)]
pub struct IntrospectionDto {
    /// The endpoint; when null, the one the issuer's discovery document names.
    pub endpoint: Option<String>,
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    /// `client_secret_basic` (default) or `client_secret_post`.
    pub auth_method: String,
    /// A scope the token must have been granted, when set.
    pub required_scope: Option<String>,
    /// The application the token must have been issued to (the answer's `client_id`, or
    /// one of its `aud`), when set; null accepts tokens of any of the provider's
    /// applications.
    pub token_client_id: Option<String>,
    pub timeout_ms: u32,
    /// Whether a client secret is stored; the secret itself is write-only.
    pub client_secret_set: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntrospectionBody {
    pub endpoint: Option<String>,
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    #[schema(schema_with = client_auth_method)]
    pub auth_method: Option<String>,
    pub required_scope: Option<String>,
    pub token_client_id: Option<String>,
    #[schema(minimum = 100, maximum = 30_000)]
    pub timeout_ms: Option<i64>,
    /// Write-only: a new client secret; null or absent keeps the stored one.
    #[schema(write_only)]
    pub client_secret: Option<String>,
    /// Read-only; accepted so that a GET answer can be sent back as it is.
    #[serde(default)]
    #[schema(read_only)]
    pub client_secret_set: Option<bool>,
}

/// The Custom Authentication call's own settings are read and written at
/// `/bots/{id}/custom-auth`.
#[derive(Serialize, ToSchema)]
pub struct CustomAuthSummaryDto {
    pub url: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct ClaimMapDto {
    /// The claim of the user's id; `sub` (default) falls back to `user_id`.
    pub id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone_number: Option<String>,
    pub metadata: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct JwtDto {
    /// Accepted algorithms: `HS256`, `HS384`, `HS512` (the bot's keys), `RS256`, `ES256`,
    /// `EdDSA` (the keys at `jwks_url`). `none` never.
    pub algorithms: Vec<String>,
    pub jwks_url: Option<String>,
    /// Required `iss`, when set.
    pub issuer: Option<String>,
    /// Required in `aud`, when set.
    pub audience: Option<String>,
    /// The longest lifetime a token may have (`exp` − `iat`).
    pub max_lifetime_secs: u32,
    /// Clock difference tolerated on `exp`, `nbf` and `iat`.
    pub leeway_secs: u32,
    pub claims: ClaimMapDto,
    /// The keys of HS256/384/512 tokens, oldest first; a token names its key with `kid`.
    pub keys: Vec<JwtKeyDto>,
}

#[derive(Serialize, ToSchema)]
pub struct JwtKeyDto {
    pub kid: String,
    /// The HMAC key: its text, as given to `jwt.sign` (64 hex digits).
    pub secret: String,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct IdentityHashDto {
    /// The page field whose exact text is hashed, after the identify method: `user_id`,
    /// `email` or `phone_number`.
    pub field: String,
    /// The HMAC-SHA256 key of `user_hash` (64 hex digits).
    pub secret: String,
    /// While set, hashes made with keys retired by rotations are accepted too, the last of
    /// them until this time (each for the grace period after its rotation; up to four).
    pub previous_secret_expires_at: Option<String>,
}

fn claims_dto(c: &ClaimMap) -> ClaimMapDto {
    ClaimMapDto {
        id: Some(c.id.clone()),
        email: Some(c.email.clone()),
        name: Some(c.name.clone()),
        phone_number: Some(c.phone_number.clone()),
        metadata: Some(c.metadata.clone()),
    }
}

fn jwt_dto(j: &JwtSettings, auth: &BotAuth) -> JwtDto {
    JwtDto {
        algorithms: j.algorithms.iter().map(|a| a.as_str().to_owned()).collect(),
        jwks_url: j.jwks_url.as_ref().map(|u| u.to_string()),
        issuer: j.issuer.clone(),
        audience: j.audience.clone(),
        max_lifetime_secs: j.max_lifetime_secs,
        leeway_secs: j.leeway_secs,
        claims: claims_dto(&j.claims),
        keys: auth
            .jwt_keys
            .iter()
            .map(|k| JwtKeyDto {
                kid: k.kid.clone(),
                secret: k.secret.expose().to_owned(),
                created_at: rfc3339(k.created_at),
            })
            .collect(),
    }
}

impl From<&BotAuth> for IdentityDto {
    fn from(a: &BotAuth) -> Self {
        let s = &a.settings;
        let field = match s.identify_method {
            IdentifyMethod::Id => "user_id",
            IdentifyMethod::Email => "email",
            IdentifyMethod::PhoneNumber => "phone_number",
        };
        Self {
            mode: a.identity.mode.as_str().to_owned(),
            enabled: s.enabled,
            identify_method: s.identify_method.as_str().to_owned(),
            on_failure: s.on_failure.as_str().to_owned(),
            custom_auth: CustomAuthSummaryDto { url: s.url.as_ref().map(|u| u.to_string()) },
            jwt: jwt_dto(&a.identity.jwt, a),
            identity_hash: IdentityHashDto {
                field: field.to_owned(),
                secret: a.hash_secret.as_ref().map(|k| k.expose().to_owned()).unwrap_or_default(),
                previous_secret_expires_at: a.hash_previous.until(concierge_core::now_ms()).map(rfc3339),
            },
            oidc_userinfo: OidcDto {
                issuer: a.identity.oidc_userinfo.issuer.as_ref().map(|u| u.to_string()),
                require_email_verified: Some(a.identity.oidc_userinfo.require_email_verified),
                timeout_ms: Some(a.identity.oidc_userinfo.timeout_ms.into()),
            },
            introspection: {
                let i = &a.identity.introspection;
                IntrospectionDto {
                    endpoint: i.endpoint.as_ref().map(|u| u.to_string()),
                    issuer: i.issuer.as_ref().map(|u| u.to_string()),
                    client_id: i.client_id.clone(),
                    auth_method: i.auth_method.as_str().to_owned(),
                    required_scope: i.required_scope.clone(),
                    token_client_id: i.token_client_id.clone(),
                    timeout_ms: i.timeout_ms,
                    client_secret_set: a.introspection_secret.is_some(),
                }
            },
        }
    }
}

/// New identity settings. A field left out keeps its current value; a mode's object, when
/// sent, is taken whole (its missing fields take their defaults). Keys are generated, not
/// sent: see the key actions; a GET answer sent back as it is changes nothing.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityBody {
    #[schema(schema_with = identity_mode)]
    pub mode: Option<String>,
    pub enabled: Option<bool>,
    #[schema(schema_with = identify_method)]
    pub identify_method: Option<String>,
    #[schema(schema_with = on_failure)]
    pub on_failure: Option<String>,
    pub jwt: Option<JwtBody>,
    pub oidc_userinfo: Option<OidcDto>,
    pub introspection: Option<IntrospectionBody>,
    /// Read-only; accepted so that a GET answer can be sent back as it is.
    #[serde(default)]
    #[schema(read_only, value_type = Option<Object>)]
    pub custom_auth: Option<serde_json::Map<String, serde_json::Value>>,
    /// Read-only; accepted so that a GET answer can be sent back as it is.
    #[serde(default)]
    #[schema(read_only, value_type = Option<Object>)]
    pub identity_hash: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JwtBody {
    pub algorithms: Option<Vec<String>>,
    pub jwks_url: Option<String>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    /// 60 to 2,592,000 (30 days); default 86,400.
    #[schema(minimum = 60, maximum = 2_592_000)]
    pub max_lifetime_secs: Option<i64>,
    /// 0 to 300; default 60.
    #[schema(minimum = 0, maximum = 300)]
    pub leeway_secs: Option<i64>,
    pub claims: Option<ClaimMapDto>,
    /// Read-only (keys are generated: see the key actions); accepted so that a GET answer
    /// can be sent back as it is.
    #[serde(default)]
    #[schema(read_only, value_type = Option<Vec<Object>>)]
    pub keys: Option<Vec<serde_json::Map<String, serde_json::Value>>>,
}

impl From<IdentityBody> for IdentityRequest {
    fn from(b: IdentityBody) -> Self {
        let jwt = b.jwt.map(|j| JwtInput {
            algorithms: j.algorithms,
            jwks_url: j.jwks_url,
            issuer: j.issuer,
            audience: j.audience,
            max_lifetime_secs: j.max_lifetime_secs,
            leeway_secs: j.leeway_secs,
            claims: j.claims.map(|c| ClaimMapInput {
                id: c.id,
                email: c.email,
                name: c.name,
                phone_number: c.phone_number,
                metadata: c.metadata,
            }),
        });
        let oidc_userinfo = b.oidc_userinfo.map(|o| OidcInput {
            issuer: o.issuer,
            require_email_verified: o.require_email_verified,
            timeout_ms: o.timeout_ms,
        });
        let (introspection, introspection_client_secret) = match b.introspection {
            Some(i) => (
                Some(IntrospectionInput {
                    endpoint: i.endpoint,
                    issuer: i.issuer,
                    client_id: i.client_id,
                    auth_method: i.auth_method,
                    required_scope: i.required_scope,
                    token_client_id: i.token_client_id,
                    timeout_ms: i.timeout_ms,
                }),
                i.client_secret,
            ),
            None => (None, None),
        };
        IdentityRequest {
            enabled: b.enabled,
            identify_method: b.identify_method,
            on_failure: b.on_failure,
            modes: IdentityInput { mode: b.mode, jwt, oidc_userinfo, introspection },
            introspection_client_secret,
        }
    }
}
