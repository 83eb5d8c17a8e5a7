//! Identity modes beyond the call to the customer's API: which one a bot uses, and each
//! mode's settings, valid by construction. The secrets the modes verify with are not here:
//! they are generated, sealed and rotated by the core.

mod jwt;
mod oauth;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::method::{wire_enum, ParseEnumError};
use crate::settings::{FieldError, UpstreamPolicy};

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

pub use jwt::{
    ClaimMap, ClaimMapInput, JwtAlgorithm, JwtInput, JwtSettings, DEFAULT_LEEWAY_SECS, DEFAULT_MAX_LIFETIME_SECS,
    MAX_LEEWAY_SECS, MAX_MAX_LIFETIME_SECS,
};
pub use oauth::{ClientAuthMethod, IntrospectionInput, IntrospectionSettings, OidcInput, OidcSettings};

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
