//! Identity modes beyond the call to the customer's API: which one a bot uses, and each
//! mode's settings, valid by construction. The secrets the modes verify with are not here:
//! they are generated, sealed and rotated by the core.

mod oauth;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::appearance::grouped;
use crate::method::{wire_enum, ParseEnumError};
use crate::settings::{parse_upstream_url as parse_url, FieldError, UpstreamPolicy};

wire_enum!(
    /// How a bot learns who a visitor is.
    IdentityKind {
        /// The seed's flow: the page's access token goes to the customer's API.
        #[default] CustomAuth => "custom_auth",
        /// A token the customer's server signed, verified here with no call.
        Jwt => "jwt",
        /// An identifier and its HMAC, computed by the customer's server.
        IdentityHash => "identity_hash",
        /// An OAuth access token, shown to the provider's OpenID Connect userinfo endpoint.
        OidcUserinfo => "oidc_userinfo",
        /// An OAuth access token, described by the provider's introspection endpoint.
        Introspection => "introspection",
    }
);

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

impl IdentityKind {
    /// How a person names the mode in the dashboard.
    pub fn label(self) -> &'static str {
        match self {
            Self::CustomAuth => "Custom Authentication call",
            Self::Jwt => "Signed user token (JWT)",
            Self::IdentityHash => "Identity hash (HMAC)",
            Self::OidcUserinfo => "OpenID Connect userinfo",
            Self::Introspection => "OAuth 2.0 token introspection",
        }
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

/// A bot's identity mode and every mode's settings (kept when another mode is chosen, so
/// switching back loses nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IdentitySettings {
    pub mode: IdentityKind,
    pub jwt: JwtSettings,
    pub oidc_userinfo: OidcSettings,
    pub introspection: IntrospectionSettings,
}

pub use oauth::{ClientAuthMethod, IntrospectionInput, IntrospectionSettings, OidcInput, OidcSettings};

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

/// The mode-specific part of an identity request: the mode, and the settings of each mode
/// that is sent. A mode left out keeps its stored settings. (An identity hash has no
/// settings of its own: it is computed over the field the identify method names.)
#[derive(Debug, Clone, Default)]
pub struct IdentityInput {
    pub mode: Option<String>,
    pub jwt: Option<JwtInput>,
    pub oidc_userinfo: Option<OidcInput>,
    pub introspection: Option<IntrospectionInput>,
}

impl IdentityInput {
    pub fn validate(
        self,
        current: &IdentitySettings,
        policy: UpstreamPolicy,
    ) -> Result<IdentitySettings, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mode = match self.mode.as_deref() {
            None => current.mode,
            Some(s) => s.parse().unwrap_or_else(|e| {
                errors.push(FieldError::new("mode", format!("{e}.")));
                current.mode
            }),
        };
        let jwt = match self.jwt {
            None => current.jwt.clone(),
            Some(input) => input.validate(policy, &mut errors),
        };
        let oidc_userinfo = match self.oidc_userinfo {
            None => current.oidc_userinfo.clone(),
            Some(input) => input.validate(policy, &mut errors),
        };
        let introspection = match self.introspection {
            None => current.introspection.clone(),
            Some(input) => input.validate(policy, &mut errors),
        };
        if errors.is_empty() {
            Ok(IdentitySettings { mode, jwt, oidc_userinfo, introspection })
        } else {
            Err(errors)
        }
    }
}

impl JwtInput {
    fn validate(self, policy: UpstreamPolicy, errors: &mut Vec<FieldError>) -> JwtSettings {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn validate(input: IdentityInput) -> Result<IdentitySettings, Vec<FieldError>> {
        input.validate(&IdentitySettings::default(), UpstreamPolicy::default())
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn an_empty_request_keeps_everything() {
        let current = IdentitySettings { mode: IdentityKind::Jwt, ..Default::default() };
        let kept = IdentityInput::default().validate(&current, UpstreamPolicy::default()).unwrap();
        assert_eq!(kept, current);
    }

    #[test]
    fn a_sent_mode_object_is_taken_whole_with_defaults() {
        let jwt = JwtInput { issuer: Some(" https://id.example ".into()), ..Default::default() };
        let settings =
            validate(IdentityInput { mode: Some("jwt".into()), jwt: Some(jwt), ..Default::default() }).unwrap();
        assert_eq!(settings.mode, IdentityKind::Jwt);
        assert_eq!(settings.jwt.algorithms, vec![JwtAlgorithm::Hs256]);
        assert_eq!(settings.jwt.issuer.as_deref(), Some("https://id.example"));
        assert_eq!(settings.jwt.max_lifetime_secs, DEFAULT_MAX_LIFETIME_SECS);
        assert_eq!(settings.jwt.claims.id, "sub");
    }

    #[test]
    fn none_is_never_an_algorithm() {
        for none in ["none", "None", "NONE"] {
            let jwt = JwtInput { algorithms: Some(vec![none.into()]), ..Default::default() };
            let errors = validate(IdentityInput { jwt: Some(jwt), ..Default::default() }).unwrap_err();
            assert!(errors[0].message.contains("never accepted"), "{errors:?}");
            assert_eq!(fields(&errors), ["jwt.algorithms", "jwt.algorithms"]);
        }
    }

    #[test]
    fn asymmetric_algorithms_need_a_jwks_url_the_policy_allows() {
        let jwt = JwtInput { algorithms: Some(vec!["RS256".into()]), ..Default::default() };
        let errors = validate(IdentityInput { jwt: Some(jwt), ..Default::default() }).unwrap_err();
        assert_eq!(fields(&errors), ["jwt.jwks_url"]);

        let jwt = JwtInput {
            algorithms: Some(vec!["ES256".into()]),
            jwks_url: Some("http://127.0.0.1:9/jwks.json".into()),
            ..Default::default()
        };
        let errors = validate(IdentityInput { jwt: Some(jwt.clone()), ..Default::default() }).unwrap_err();
        assert_eq!(fields(&errors), ["jwt.jwks_url"], "{errors:?}");
        assert!(errors[0].message.contains("--allow-private-upstreams"), "{errors:?}");
        let allowed = UpstreamPolicy { allow_private: true, allow_http: false };
        let errors = IdentityInput { jwt: Some(jwt.clone()), ..Default::default() }
            .validate(&IdentitySettings::default(), allowed)
            .unwrap_err();
        assert_eq!(fields(&errors), ["jwt.audience"], "a provider's keys sign for its other applications too");
        let jwt = JwtInput { audience: Some("my-client-id".into()), ..jwt };
        let ok = IdentityInput { jwt: Some(jwt), ..Default::default() }
            .validate(&IdentitySettings::default(), allowed)
            .unwrap();
        assert_eq!(ok.jwt.jwks_url.unwrap().as_str(), "http://127.0.0.1:9/jwks.json");
    }

    #[test]
    fn out_of_range_and_unknown_values_name_their_field() {
        let jwt = JwtInput {
            algorithms: Some(vec!["HS256".into(), "PS256".into()]),
            max_lifetime_secs: Some(10),
            leeway_secs: Some(301),
            claims: Some(ClaimMapInput { email: Some("e".repeat(300)), ..Default::default() }),
            ..Default::default()
        };
        let introspection = IntrospectionInput {
            endpoint: Some("ftp://idp.example/introspect".into()),
            auth_method: Some("private_key_jwt".into()),
            timeout_ms: Some(5),
            ..Default::default()
        };
        let input = IdentityInput {
            mode: Some("oauth".into()),
            jwt: Some(jwt),
            oidc_userinfo: Some(OidcInput { issuer: Some("not a url".into()), ..Default::default() }),
            introspection: Some(introspection),
        };
        let errors = validate(input).unwrap_err();
        assert_eq!(
            fields(&errors),
            [
                "mode",
                "jwt.algorithms",
                "jwt.max_lifetime_secs",
                "jwt.leeway_secs",
                "jwt.claims.email",
                "oidc_userinfo.issuer",
                "introspection.auth_method",
                "introspection.endpoint",
                "introspection.timeout_ms",
            ]
        );
        assert!(errors[2].message.contains("between 60 and 2,592,000"), "{}", errors[2].message);
    }

    #[test]
    fn stored_settings_round_trip_and_fill_in_missing_fields() {
        let settings = IdentitySettings {
            mode: IdentityKind::IdentityHash,
            jwt: JwtSettings { algorithms: vec![JwtAlgorithm::Hs512], ..Default::default() },
            introspection: IntrospectionSettings {
                auth_method: ClientAuthMethod::ClientSecretPost,
                required_scope: Some("chat".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let json = serde_json::to_string(&settings).unwrap();
        assert_eq!(serde_json::from_str::<IdentitySettings>(&json).unwrap(), settings);
        let old: IdentitySettings = serde_json::from_str("{}").unwrap();
        assert_eq!(old, IdentitySettings::default());
    }
}
