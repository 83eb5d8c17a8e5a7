//! The modes that ask the customer's identity provider about the page's OAuth access
//! token: OpenID Connect userinfo (the token as a bearer token; the provider answers with
//! the user's claims) and OAuth 2.0 token introspection (RFC 7662: Concierge posts the
//! token with its client credentials; the provider says whether it is active and whose).
//! Endpoints are found from the issuer by discovery, held ten minutes.

use std::sync::Arc;
use std::time::Duration;

use concierge_authcall::{CallError, CallTrace, Credentials, ProviderRequest};
use concierge_domain::{profile_from_data, AuthErrorCode, ClientAuthMethod, IdentifyMethod};
use serde_json::{Map, Value};
use url::Url;

use super::Identified;
use crate::auth_flow::AuthFailure;
use crate::{now_ms, BotAuth, Services};

const DISCOVERY_FRESH_FOR: Duration = Duration::from_secs(600);

/// What a provider's discovery document says that these modes use.
pub(crate) struct Discovery {
    userinfo_endpoint: Option<Url>,
    introspection_endpoint: Option<Url>,
}

/// The discovery documents of the bots' issuers.
pub(crate) type Discoveries = moka::sync::Cache<String, Arc<Discovery>>;

pub(crate) fn discoveries() -> Discoveries {
    moka::sync::Cache::builder().max_capacity(10_000).time_to_live(DISCOVERY_FRESH_FOR).build()
}

fn failure(code: AuthErrorCode, message: impl Into<String>) -> AuthFailure {
    AuthFailure { code, message: message.into() }
}

fn from_call(e: CallError) -> AuthFailure {
    failure(e.code, e.message)
}

/// A JSON object from a 200 answer of `what`.
fn object(body: &[u8], what: &str) -> Result<Map<String, Value>, AuthFailure> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(failure(AuthErrorCode::AuthInvalidResponse, format!("{what} did not answer with a JSON object."))),
    }
}

/// The seed's fields from standard claims; `id` from `sub` (or, for introspection, from
/// `username` without one).
fn identify(data: Map<String, Value>, method: IdentifyMethod, what: &str) -> Result<Identified, AuthFailure> {
    let (profile, identifier) = profile_from_data(&data, method).map_err(|e| {
        let message = match e.code {
            AuthErrorCode::AuthMissingIdentifier => {
                format!("{what}'s answer has no {}, which identify method {} needs.", method.as_str(), method.label())
            }
            _ => format!("{what}'s answer is not usable ({}).", e.message),
        };
        failure(e.code, message)
    })?;
    Ok(Identified { profile, identifier })
}

fn standard_fields(claims: &Map<String, Value>, id: Option<&Value>, take_email: bool) -> Map<String, Value> {
    let mut data = Map::new();
    let text = |name: &str| claims.get(name).filter(|v| v.is_string()).cloned();
    if let Some(id) = id {
        data.insert("id".into(), id.clone());
    }
    if take_email {
        if let Some(email) = text("email") {
            data.insert("email".into(), email);
        }
    }
    for field in ["name", "phone_number"] {
        if let Some(value) = text(field) {
            data.insert(field.into(), value);
        }
    }
    data
}

impl Services {
    /// The provider's endpoints, from its discovery document (whose `issuer` must be the
    /// one configured, as OpenID Connect Discovery requires).
    async fn discover(&self, issuer: &Url, timeout: Duration) -> Result<Arc<Discovery>, AuthFailure> {
        if let Some(known) = self.discoveries.get(issuer.as_str()) {
            return Ok(known);
        }
        let base = issuer.as_str().trim_end_matches('/');
        let url = Url::parse(&format!("{base}/.well-known/openid-configuration"))
            .map_err(|e| failure(AuthErrorCode::AuthUrlBlocked, format!("The issuer is not a usable URL ({e}).")))?;
        let what = "The provider's discovery document";
        let body = self.auth_client.get_document(&url, what, timeout).await.map_err(from_call)?;
        let doc = object(&body, what)?;
        let named = doc.get("issuer").and_then(Value::as_str).unwrap_or_default();
        if named.trim_end_matches('/') != base {
            return Err(failure(
                AuthErrorCode::AuthInvalidResponse,
                format!("{what} names the issuer {named:?}, not {base:?}: check the issuer URL."),
            ));
        }
        let endpoint = |key: &str| doc.get(key).and_then(Value::as_str).and_then(|u| Url::parse(u).ok());
        let discovery = Arc::new(Discovery {
            userinfo_endpoint: endpoint("userinfo_endpoint"),
            introspection_endpoint: endpoint("introspection_endpoint"),
        });
        self.discoveries.insert(issuer.to_string(), discovery.clone());
        Ok(discovery)
    }

    /// The page's token shown to the provider's userinfo endpoint.
    pub(super) async fn verify_userinfo(
        &self,
        auth: &BotAuth,
        token: &str,
    ) -> (Result<Identified, AuthFailure>, Option<CallTrace>) {
        let settings = &auth.identity.oidc_userinfo;
        let timeout = Duration::from_millis(settings.timeout_ms.into());
        let Some(issuer) = &settings.issuer else {
            return (Err(failure(AuthErrorCode::AuthUrlBlocked, "No OpenID Connect issuer is configured.")), None);
        };
        let endpoint = match self.discover(issuer, timeout).await {
            Ok(d) => d.userinfo_endpoint.clone(),
            Err(f) => return (Err(f), None),
        };
        let Some(endpoint) = endpoint else {
            let f = failure(
                AuthErrorCode::AuthInvalidResponse,
                "The provider's discovery document names no userinfo_endpoint.",
            );
            return (Err(f), None);
        };
        let what = "The userinfo endpoint";
        let request = ProviderRequest {
            url: &endpoint,
            what,
            credentials: Credentials::Bearer(token),
            form: None,
            secret_fields: &[],
            timeout,
        };
        let (answer, trace) = self.auth_client.ask_provider(request).await;
        let result = answer.map_err(from_call).and_then(|answer| match answer.status {
            200 => {
                let claims = object(&answer.body, what)?;
                let verified = claims.get("email_verified").and_then(Value::as_bool) == Some(true);
                let take_email = verified || !settings.require_email_verified;
                identify(standard_fields(&claims, claims.get("sub"), take_email), auth.settings.identify_method, what)
            }
            401 | 403 => Err(failure(
                AuthErrorCode::InvalidToken,
                format!(
                    "{what} refused the access token ({}): it is expired, revoked or not the provider's.",
                    answer.status
                ),
            )),
            status => Err(failure(AuthErrorCode::AuthUpstreamError, format!("{what} answered {status}."))),
        });
        (result.clone(), Some(trace_of(trace, &result)))
    }

    /// The page's token described by the provider's introspection endpoint.
    pub(super) async fn verify_introspection(
        &self,
        auth: &BotAuth,
        token: &str,
    ) -> (Result<Identified, AuthFailure>, Option<CallTrace>) {
        let settings = &auth.identity.introspection;
        let timeout = Duration::from_millis(settings.timeout_ms.into());
        let endpoint = match (&settings.endpoint, &settings.issuer) {
            (Some(endpoint), _) => Some(endpoint.clone()),
            (None, Some(issuer)) => match self.discover(issuer, timeout).await {
                Ok(d) => d.introspection_endpoint.clone(),
                Err(f) => return (Err(f), None),
            },
            (None, None) => None,
        };
        let (Some(endpoint), Some(client_id), Some(secret)) =
            (endpoint, &settings.client_id, &auth.introspection_secret)
        else {
            let f = failure(
                AuthErrorCode::AuthUrlBlocked,
                "Introspection needs an endpoint (or an issuer whose discovery names one), a client id and a client secret.",
            );
            return (Err(f), None);
        };
        let mut form = vec![("token", token), ("token_type_hint", "access_token")];
        let credentials = match settings.auth_method {
            ClientAuthMethod::ClientSecretBasic => {
                Credentials::Basic { client_id: client_id.as_str(), client_secret: secret.expose() }
            }
            ClientAuthMethod::ClientSecretPost => {
                form.extend([("client_id", client_id.as_str()), ("client_secret", secret.expose())]);
                Credentials::None
            }
        };
        let what = "The introspection endpoint";
        let request = ProviderRequest {
            url: &endpoint,
            what,
            credentials,
            form: Some(&form),
            secret_fields: &["token", "client_secret"],
            timeout,
        };
        let (answer, trace) = self.auth_client.ask_provider(request).await;
        let result = answer.map_err(from_call).and_then(|answer| match answer.status {
            200 => self.introspected(auth, &object(&answer.body, what)?, what),
            401 | 403 => Err(failure(
                AuthErrorCode::AuthUpstreamError,
                format!(
                    "{what} refused Concierge's client credentials ({}): check the client id and secret.",
                    answer.status
                ),
            )),
            status => Err(failure(AuthErrorCode::AuthUpstreamError, format!("{what} answered {status}."))),
        });
        (result.clone(), Some(trace_of(trace, &result)))
    }

    fn introspected(&self, auth: &BotAuth, claims: &Map<String, Value>, what: &str) -> Result<Identified, AuthFailure> {
        let settings = &auth.identity.introspection;
        if claims.get("active").and_then(Value::as_bool) != Some(true) {
            return Err(failure(
                AuthErrorCode::TokenInactive,
                "The provider says the token is not active: expired, revoked, or never issued.",
            ));
        }
        if let Some(exp) = claims.get("exp").and_then(Value::as_i64).filter(|exp| *exp * 1000 < now_ms()) {
            return Err(failure(AuthErrorCode::TokenExpired, format!("The token expired at {exp} (exp).")));
        }
        if let Some(required) = &settings.required_scope {
            let scope = claims.get("scope").and_then(Value::as_str).unwrap_or_default();
            if !scope.split(' ').any(|s| s == required) {
                return Err(failure(
                    AuthErrorCode::TokenClaimsInvalid,
                    format!("The token was not granted the scope {required:?} (it has {scope:?})."),
                ));
            }
        }
        if let Some(wanted) = &settings.token_client_id {
            let client = claims.get("client_id").and_then(Value::as_str);
            let audience = match claims.get("aud") {
                Some(Value::String(one)) => vec![one.as_str()],
                Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            if client != Some(wanted.as_str()) && !audience.contains(&wanted.as_str()) {
                return Err(failure(
                    AuthErrorCode::TokenClaimsInvalid,
                    format!(
                        "The token was issued to {:?}, not to {wanted:?} (client_id, aud).",
                        client.unwrap_or("an unnamed client")
                    ),
                ));
            }
        }
        let id = claims.get("sub").or_else(|| claims.get("username"));
        identify(standard_fields(claims, id, true), auth.settings.identify_method, what)
    }
}

/// The provider's exchange as the testing panel shows a call.
fn trace_of(trace: concierge_authcall::ProviderTrace, result: &Result<Identified, AuthFailure>) -> CallTrace {
    CallTrace {
        request: trace.request,
        response: trace.response,
        duration: trace.duration,
        outcome: match result {
            Ok(found) => Ok((found.profile.clone(), found.identifier.clone())),
            Err(f) => Err(CallError { code: f.code, message: f.message.clone() }),
        },
    }
}
