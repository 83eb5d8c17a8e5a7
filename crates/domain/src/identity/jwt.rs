//! Signed user tokens: the algorithms a bot accepts, where their keys are, the claims
//! checked and mapped, and their validation.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::appearance::grouped;
use crate::method::{wire_enum, ParseEnumError};
use crate::settings::{parse_upstream_url as parse_url, FieldError, UpstreamPolicy};

wire_enum!(
    /// A signature algorithm a bot accepts for its user tokens. `none` is not one.
    JwtAlgorithm {
        #[default] Hs256 => "HS256", Hs384 => "HS384", Hs512 => "HS512",
        Rs256 => "RS256", Es256 => "ES256", EdDsa => "EdDSA",
    }
);

impl JwtAlgorithm {
    /// Verified with the bot's own secrets; the others with the keys at the JWKS URL.
    pub fn is_hmac(self) -> bool {
        matches!(self, Self::Hs256 | Self::Hs384 | Self::Hs512)
    }
}

pub const DEFAULT_MAX_LIFETIME_SECS: u32 = 86_400;
pub const MAX_MAX_LIFETIME_SECS: u32 = 30 * 86_400;
const MIN_MAX_LIFETIME_SECS: u32 = 60;
pub const DEFAULT_LEEWAY_SECS: u32 = 60;
pub const MAX_LEEWAY_SECS: u32 = 300;
const MAX_CLAIM_NAME: usize = 256;
const MAX_ISSUER: usize = 512;

/// Which claim of a token holds each of the seed's fields. `id` falls back to `user_id`
/// when it names `sub` and the token has none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClaimMap {
    pub id: String,
    pub email: String,
    pub name: String,
    pub phone_number: String,
    pub metadata: String,
}

impl Default for ClaimMap {
    fn default() -> Self {
        Self {
            id: "sub".into(),
            email: "email".into(),
            name: "name".into(),
            phone_number: "phone_number".into(),
            metadata: "metadata".into(),
        }
    }
}

/// How a bot verifies signed user tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct JwtSettings {
    /// The algorithms accepted; a token's `alg` outside them is refused before any key is
    /// looked at.
    pub algorithms: Vec<JwtAlgorithm>,
    /// Where the public keys of the asymmetric algorithms are published.
    pub jwks_url: Option<Url>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    /// The longest a token may live (`exp` − `iat`, or `exp` − now without `iat`).
    pub max_lifetime_secs: u32,
    /// Clock difference tolerated on `exp`, `nbf` and `iat`.
    pub leeway_secs: u32,
    pub claims: ClaimMap,
}

impl Default for JwtSettings {
    fn default() -> Self {
        Self {
            algorithms: vec![JwtAlgorithm::Hs256],
            jwks_url: None,
            issuer: None,
            audience: None,
            max_lifetime_secs: DEFAULT_MAX_LIFETIME_SECS,
            leeway_secs: DEFAULT_LEEWAY_SECS,
            claims: ClaimMap::default(),
        }
    }
}

/// A claim map as submitted: a missing claim takes its default name.
#[derive(Debug, Clone, Default)]
pub struct ClaimMapInput {
    pub id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone_number: Option<String>,
    pub metadata: Option<String>,
}

/// JWT settings as submitted: a missing field takes its default.
#[derive(Debug, Clone, Default)]
pub struct JwtInput {
    pub algorithms: Option<Vec<String>>,
    pub jwks_url: Option<String>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub max_lifetime_secs: Option<i64>,
    pub leeway_secs: Option<i64>,
    pub claims: Option<ClaimMapInput>,
}

impl JwtInput {
    pub(super) fn validate(self, policy: UpstreamPolicy, errors: &mut Vec<FieldError>) -> JwtSettings {
        let defaults = JwtSettings::default();
        let mut err = |field: &str, message: String| errors.push(FieldError::new(format!("jwt.{field}"), message));

        let mut algorithms = Vec::new();
        for name in self.algorithms.unwrap_or_else(|| vec!["HS256".into()]) {
            if name.eq_ignore_ascii_case("none") {
                err("algorithms", "Unsigned tokens (\"none\") are never accepted.".into());
                continue;
            }
            match name.parse::<JwtAlgorithm>() {
                Ok(a) if !algorithms.contains(&a) => algorithms.push(a),
                Ok(_) => {}
                Err(e) => err("algorithms", format!("{e}.")),
            }
        }
        if algorithms.is_empty() {
            err("algorithms", "Choose at least one algorithm.".into());
        }

        let raw_url = self.jwks_url.as_deref().map(str::trim).filter(|u| !u.is_empty());
        let jwks_url = raw_url.and_then(|raw| parse_url(raw, policy).map_err(|message| err("jwks_url", message)).ok());
        if raw_url.is_none() && algorithms.iter().any(|a| !a.is_hmac()) {
            err("jwks_url", "RS256, ES256 and EdDSA tokens are verified with the keys at a JWKS URL: enter it.".into());
        }

        let mut text = |field: &str, value: Option<String>| -> Option<String> {
            let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())?;
            if value.chars().count() > MAX_ISSUER {
                err(field, format!("At most {MAX_ISSUER} characters."));
            }
            Some(value)
        };
        let issuer = text("issuer", self.issuer);
        let audience = text("audience", self.audience);
        // A provider's keys sign the tokens of every application it serves: without an
        // audience, a token another application obtained for the user would sign them in
        // here. HMAC secrets are this bot's own; tokens they verify were made for it.
        if jwks_url.is_some() && algorithms.iter().any(|a| !a.is_hmac()) && audience.is_none() {
            err(
                "audience",
                "Tokens verified with a JWKS URL need the audience they were issued for (aud), such as your \
                 client id: the provider's keys also sign tokens for its other applications."
                    .into(),
            );
        }

        let mut seconds = |field: &str, value: Option<i64>, default: u32, range: (u32, u32)| -> u32 {
            match value {
                None => default,
                Some(v) if (i64::from(range.0)..=i64::from(range.1)).contains(&v) => v as u32,
                Some(v) => {
                    let (low, high) = (grouped(range.0.into()), grouped(range.1.into()));
                    err(field, format!("Enter a number of seconds between {low} and {high} ({} is not).", grouped(v)));
                    default
                }
            }
        };
        let max_lifetime_secs = seconds(
            "max_lifetime_secs",
            self.max_lifetime_secs,
            defaults.max_lifetime_secs,
            (MIN_MAX_LIFETIME_SECS, MAX_MAX_LIFETIME_SECS),
        );
        let leeway_secs = seconds("leeway_secs", self.leeway_secs, defaults.leeway_secs, (0, MAX_LEEWAY_SECS));

        let input = self.claims.unwrap_or_default();
        let mut claim = |field: &str, value: Option<String>, default: String| -> String {
            let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else { return default };
            if value.len() > MAX_CLAIM_NAME {
                err(&format!("claims.{field}"), format!("A claim name has at most {MAX_CLAIM_NAME} bytes."));
            }
            value
        };
        let d = defaults.claims;
        let claims = ClaimMap {
            id: claim("id", input.id, d.id),
            email: claim("email", input.email, d.email),
            name: claim("name", input.name, d.name),
            phone_number: claim("phone_number", input.phone_number, d.phone_number),
            metadata: claim("metadata", input.metadata, d.metadata),
        };

        JwtSettings { algorithms, jwks_url, issuer, audience, max_lifetime_secs, leeway_secs, claims }
    }
}
