//! A request to a customer's identity provider (its userinfo or introspection endpoint),
//! through the same guard, policy and size cap as the calls, recorded for the testing
//! panel with its credentials masked.

use std::time::{Duration, Instant};

use concierge_domain::{check_upstream_scheme, AuthErrorCode};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use url::Url;

use crate::client::{find, root_cause, AuthClient};
use crate::guard::{self, LookupFailed, Refusal};
use crate::response::{announced_too_large, read_capped, MAX_RESPONSE_BYTES};
use crate::trace::{CallError, Header, ReceivedResponse, SentRequest, MASK};

/// How Concierge proves itself, or the user, to the provider.
#[derive(Clone, Copy)]
pub enum Credentials<'a> {
    /// `Authorization: Bearer <access token>` (userinfo).
    Bearer(&'a str),
    /// HTTP Basic with the client id and secret, each form-encoded (RFC 6749 §2.3.1).
    Basic { client_id: &'a str, client_secret: &'a str },
    /// Nothing beyond the form (client_secret_post puts the credentials there).
    None,
}

/// One request. A form makes it a POST; the values of `secret_fields` are masked in the
/// trace.
pub struct ProviderRequest<'a> {
    pub url: &'a Url,
    /// Names the endpoint in messages, e.g. "The userinfo endpoint".
    pub what: &'a str,
    pub credentials: Credentials<'a>,
    pub form: Option<&'a [(&'a str, &'a str)]>,
    pub secret_fields: &'a [&'a str],
    pub timeout: Duration,
}

/// What came back: any status (its meaning is the caller's), the body within the cap.
pub struct ProviderAnswer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// The request as sent (credentials masked), the response as received, and how long.
pub struct ProviderTrace {
    pub request: SentRequest,
    pub response: Option<ReceivedResponse>,
    pub duration: Duration,
}

fn form_encoded(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

impl AuthClient {
    pub async fn ask_provider(
        &self,
        request: ProviderRequest<'_>,
    ) -> (Result<ProviderAnswer, CallError>, ProviderTrace) {
        let started = Instant::now();
        let what = request.what;
        let mut headers = HeaderMap::new();
        let mut shown = vec![Header::new("accept", "application/json")];
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let authorization = match request.credentials {
            Credentials::Bearer(token) => Some((format!("Bearer {token}"), format!("Bearer {MASK}"))),
            Credentials::Basic { client_id, client_secret } => {
                use base64::Engine;
                let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
                let pair = format!("{}:{}", encode(client_id), encode(client_secret));
                Some((
                    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair)),
                    format!("Basic {MASK}"),
                ))
            }
            Credentials::None => None,
        };
        if let Some((value, masked)) = authorization {
            if let Ok(mut value) = HeaderValue::from_str(&value) {
                value.set_sensitive(true);
                headers.insert(AUTHORIZATION, value);
            }
            shown.push(Header::new("authorization", masked));
        }
        let (body, shown_body) = match request.form {
            Some(pairs) => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"));
                shown.push(Header::new("content-type", "application/x-www-form-urlencoded"));
                let masked: Vec<(&str, &str)> = pairs
                    .iter()
                    .map(|(k, v)| (*k, if request.secret_fields.contains(k) { MASK } else { *v }))
                    .collect();
                (Some(form_encoded(pairs)), form_encoded(&masked))
            }
            None => (None, String::new()),
        };
        let method = if body.is_some() { "POST" } else { "GET" };
        let sent =
            SentRequest { method: method.into(), url: request.url.to_string(), headers: shown, body: shown_body };

        let mut received = None;
        let exchange = self.provider_exchange(&request, headers, body, &mut received);
        let result = tokio::time::timeout(request.timeout, exchange).await.unwrap_or_else(|_| {
            Err(CallError::new(
                AuthErrorCode::AuthTimeout,
                format!("{what} did not answer within {} ms.", request.timeout.as_millis()),
            ))
        });
        let trace = ProviderTrace { request: sent, response: received, duration: started.elapsed() };
        (result, trace)
    }

    /// The body of a public document (a JWKS, a discovery document): a GET that must
    /// answer 200.
    pub async fn get_document(&self, url: &Url, what: &str, timeout: Duration) -> Result<Vec<u8>, CallError> {
        let request =
            ProviderRequest { url, what, credentials: Credentials::None, form: None, secret_fields: &[], timeout };
        let answer = self.ask_provider(request).await.0?;
        if answer.status != 200 {
            let message = format!("{what} ({url}) answered {}; it must answer 200.", answer.status);
            return Err(CallError::new(AuthErrorCode::AuthUpstreamError, message));
        }
        Ok(answer.body)
    }

    async fn provider_exchange(
        &self,
        request: &ProviderRequest<'_>,
        headers: HeaderMap,
        body: Option<String>,
        received: &mut Option<ReceivedResponse>,
    ) -> Result<ProviderAnswer, CallError> {
        let (url, what) = (request.url, request.what);
        let blocked = |why: String| CallError::new(AuthErrorCode::AuthUrlBlocked, format!("{what} is refused: {why}"));
        check_upstream_scheme(url, self.policy()).map_err(blocked)?;
        guard::check_literal(url, self.policy().allow_private).map_err(|r| blocked(r.to_string()))?;
        let builder = match body {
            Some(body) => self.http().post(url.clone()).body(body),
            None => self.http().get(url.clone()),
        };
        let mut response = builder.headers(headers).timeout(request.timeout).send().await.map_err(|e| {
            if let Some(refusal) = find::<Refusal>(&e) {
                return blocked(refusal.to_string());
            }
            let why = match find::<LookupFailed>(&e) {
                Some(lookup) => format!("its host {lookup}"),
                None => root_cause(&e),
            };
            CallError::new(AuthErrorCode::AuthUnreachable, format!("{what} cannot be reached ({why})."))
        })?;
        let status = response.status().as_u16();
        let response_headers: Vec<Header> = response
            .headers()
            .iter()
            .map(|(name, value)| Header::new(name.as_str(), String::from_utf8_lossy(value.as_bytes())))
            .collect();
        if let Some(length) = announced_too_large(&response) {
            return Err(CallError::new(
                AuthErrorCode::AuthResponseTooLarge,
                format!("{what} answered {length} bytes; at most {MAX_RESPONSE_BYTES} are read."),
            ));
        }
        let mut bytes = Vec::new();
        let truncated = read_capped(&mut response, &mut bytes, MAX_RESPONSE_BYTES).await.map_err(|e| {
            CallError::new(
                AuthErrorCode::AuthUpstreamError,
                format!("{what} broke off its answer ({}).", root_cause(&e)),
            )
        })?;
        *received = Some(ReceivedResponse {
            status,
            headers: response_headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            truncated,
        });
        if truncated {
            return Err(CallError::new(
                AuthErrorCode::AuthResponseTooLarge,
                format!("{what} answered more than {MAX_RESPONSE_BYTES} bytes."),
            ));
        }
        Ok(ProviderAnswer { status, body: bytes })
    }
}
