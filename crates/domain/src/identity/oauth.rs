//! The modes that ask the customer's identity provider about an OAuth access token:
//! OpenID Connect userinfo and OAuth 2.0 token introspection (RFC 7662).

use serde::{Deserialize, Serialize};
use url::Url;

use crate::method::wire_enum;
use crate::settings::{
    check_timeout_ms, parse_upstream_url as parse_url, FieldError, UpstreamPolicy, DEFAULT_TIMEOUT_MS,
};

use std::fmt;
use std::str::FromStr;

use crate::method::ParseEnumError;

wire_enum!(
    /// How Concierge authenticates itself to an introspection endpoint (RFC 6749 §2.3.1).
    ClientAuthMethod { #[default] ClientSecretBasic => "client_secret_basic", ClientSecretPost => "client_secret_post" }
);

const MAX_TEXT: usize = 512;

/// Asking the provider's userinfo endpoint, found from its issuer by discovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OidcSettings {
    /// The provider's issuer; its `/.well-known/openid-configuration` names the userinfo
    /// endpoint.
    pub issuer: Option<Url>,
    /// Take `email` only when `email_verified` is true.
    pub require_email_verified: bool,
    pub timeout_ms: u32,
}

impl Default for OidcSettings {
    fn default() -> Self {
        Self { issuer: None, require_email_verified: true, timeout_ms: DEFAULT_TIMEOUT_MS }
    }
}

/// Asking the provider's introspection endpoint, with the bot's client credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IntrospectionSettings {
    /// The introspection endpoint; without it, the one the issuer's discovery document
    /// names.
    pub endpoint: Option<Url>,
    pub issuer: Option<Url>,
    pub client_id: Option<String>,
    pub auth_method: ClientAuthMethod,
    /// A scope the token must have been granted, when set.
    pub required_scope: Option<String>,
    /// The application the token must have been issued to (the answer's `client_id`, or
    /// one of its `aud`), when set. A provider answers for the tokens of all its
    /// applications: without it, a token another of them obtained for the user, which that
    /// application could replay here, signs the user in.
    pub token_client_id: Option<String>,
    pub timeout_ms: u32,
}

impl Default for IntrospectionSettings {
    fn default() -> Self {
        Self {
            endpoint: None,
            issuer: None,
            client_id: None,
            auth_method: ClientAuthMethod::default(),
            required_scope: None,
            token_client_id: None,
            timeout_ms: DEFAULT_TIMEOUT_MS,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct OidcInput {
    pub issuer: Option<String>,
    pub require_email_verified: Option<bool>,
    pub timeout_ms: Option<i64>,
}

/// The client secret is not here: it is a secret, sealed by the core.
#[derive(Debug, Clone, Default)]
pub struct IntrospectionInput {
    pub endpoint: Option<String>,
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub auth_method: Option<String>,
    pub required_scope: Option<String>,
    pub token_client_id: Option<String>,
    pub timeout_ms: Option<i64>,
}

/// Shared by the two modes' validations: the errors, named under the mode's key.
pub(super) struct Errors<'a> {
    pub prefix: &'static str,
    pub list: &'a mut Vec<FieldError>,
}

impl Errors<'_> {
    fn push(&mut self, field: &str, message: String) {
        self.list.push(FieldError::new(format!("{}.{field}", self.prefix), message));
    }

    fn url(&mut self, field: &str, raw: Option<String>, policy: UpstreamPolicy) -> Option<Url> {
        let raw = raw.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty())?;
        parse_url(&raw, policy).map_err(|message| self.push(field, message)).ok()
    }

    fn text(&mut self, field: &str, raw: Option<String>) -> Option<String> {
        let value = raw.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty())?;
        if value.chars().count() > MAX_TEXT {
            self.push(field, format!("At most {MAX_TEXT} characters."));
        }
        Some(value)
    }

    fn timeout(&mut self, raw: Option<i64>) -> u32 {
        check_timeout_ms(raw).unwrap_or_else(|message| {
            self.push("timeout_ms", message);
            DEFAULT_TIMEOUT_MS
        })
    }
}

impl OidcInput {
    pub(super) fn validate(self, policy: UpstreamPolicy, list: &mut Vec<FieldError>) -> OidcSettings {
        let mut errors = Errors { prefix: "oidc_userinfo", list };
        OidcSettings {
            issuer: errors.url("issuer", self.issuer, policy),
            require_email_verified: self.require_email_verified.unwrap_or(true),
            timeout_ms: errors.timeout(self.timeout_ms),
        }
    }
}

impl IntrospectionInput {
    pub(super) fn validate(self, policy: UpstreamPolicy, list: &mut Vec<FieldError>) -> IntrospectionSettings {
        let mut errors = Errors { prefix: "introspection", list };
        let auth_method = match self.auth_method.as_deref() {
            None => ClientAuthMethod::default(),
            Some(s) => s.parse().unwrap_or_else(|e| {
                errors.push("auth_method", format!("{e}."));
                ClientAuthMethod::default()
            }),
        };
        IntrospectionSettings {
            endpoint: errors.url("endpoint", self.endpoint, policy),
            issuer: errors.url("issuer", self.issuer, policy),
            client_id: errors.text("client_id", self.client_id),
            auth_method,
            required_scope: errors.text("required_scope", self.required_scope),
            token_client_id: errors.text("token_client_id", self.token_client_id),
            timeout_ms: errors.timeout(self.timeout_ms),
        }
    }
}
