//! The call itself: one shared client, and the translation of everything that can go
//! wrong into a stable error code and a sentence a developer can act on.

use std::error::Error as StdError;
use std::time::{Duration, Instant};

use concierge_domain::{
    check_upstream_scheme, parse_answer, AuthErrorCode, Identifier, IdentifyMethod, SigningSecret, StaticHeader,
    UpstreamPolicy, VerifiedProfile,
};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE, LOCATION, USER_AGENT};
use reqwest::StatusCode;
use serde_json::{Map, Value};
use url::Url;

use crate::guard::{self, LookupFailed, Refusal};
use crate::lookup::Lookup;
use crate::outbound::guarded_http_client;
use crate::response::{announced_too_large, read_capped, MAX_RESPONSE_BYTES};
use crate::signing::{self, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use crate::trace::{CallError, CallTrace, Header, ReceivedResponse, SentRequest, MASK};

type Outcome = Result<(VerifiedProfile, Identifier), CallError>;

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The operator's `--allow-private-upstreams` (loopback, private and link-local
    /// addresses; metadata and unroutable addresses stay refused) and
    /// `--allow-http-upstreams`, applied to every call whatever the URL was saved under.
    pub policy: UpstreamPolicy,
    pub user_agent: String,
    /// Where host names are looked up; the guard judges what it finds.
    pub lookup: Lookup,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("the user agent {0:?} is not a valid header value")]
    UserAgent(String),
    #[error("the HTTP client could not be built: {0}")]
    Http(#[from] reqwest::Error),
}

/// The client for every bot's Authentication URL. Cheap to clone; clones share one
/// connection pool.
#[derive(Debug, Clone)]
pub struct AuthClient {
    http: reqwest::Client,
    policy: UpstreamPolicy,
    user_agent: HeaderValue,
}

/// One call. Borrowed so the caller keeps ownership of the bot's settings. No `Debug`:
/// the body holds the access token.
#[derive(Clone, Copy)]
pub struct CallRequest<'a> {
    pub url: &'a Url,
    /// The JSON object to send (access_token + forwarded fields), already built by the caller.
    pub body: &'a Map<String, Value>,
    pub headers: &'a [StaticHeader],
    /// Current secret first; during a rotation grace period also the previous one. Each
    /// signs; `webhook-signature` carries all signatures separated by a space.
    pub secrets: &'a [SigningSecret],
    pub timeout: Duration,
    pub identify_method: IdentifyMethod,
}

/// What was learned of the answer before the call ended, kept outside the timed future so
/// a timeout still shows the status and whatever part of the body had arrived.
#[derive(Default)]
struct Progress {
    status: Option<u16>,
    headers: Vec<Header>,
    body: Vec<u8>,
    truncated: bool,
}

impl AuthClient {
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub(crate) fn policy(&self) -> UpstreamPolicy {
        self.policy
    }

    pub fn new(config: ClientConfig) -> Result<Self, BuildError> {
        let user_agent =
            HeaderValue::from_str(&config.user_agent).map_err(|_| BuildError::UserAgent(config.user_agent.clone()))?;
        let http = guarded_http_client(config.policy.allow_private, &config.user_agent, config.lookup)?;
        Ok(Self { http, policy: config.policy, user_agent })
    }

    /// Never fails as a Rust error: every failure is a [`CallTrace`] outcome.
    pub async fn call(&self, request: CallRequest<'_>) -> CallTrace {
        let started = Instant::now();
        let body = Value::Object(request.body.clone()).to_string();
        let (headers, shown, prepared) = self.headers(&request, &body);
        let sent =
            SentRequest { method: "POST".to_owned(), url: request.url.to_string(), headers: shown, body: body.clone() };

        let mut progress = Progress::default();
        let outcome = match prepared {
            Err(error) => Err(error),
            // reqwest's timeout bounds connecting, the head and the body; the outer one
            // bounds the whole exchange, our reading loop included, whatever reqwest's
            // timeout covers in a later version.
            Ok(()) => tokio::time::timeout(request.timeout, self.exchange(&request, headers, body, &mut progress))
                .await
                .unwrap_or_else(|_| Err(timed_out(request.timeout))),
        };

        let duration = started.elapsed();
        let response = progress.status.map(|status| ReceivedResponse {
            status,
            headers: progress.headers,
            body: String::from_utf8_lossy(&progress.body).into_owned(),
            truncated: progress.truncated,
        });
        tracing::debug!(
            host = request.url.host_str().unwrap_or(""),
            status = response.as_ref().map(|r| r.status),
            duration_ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
            outcome = outcome.as_ref().err().map_or("ok", |e| e.code.as_str()),
            "authentication call"
        );
        CallTrace { request: sent, response, duration, outcome }
    }

    /// The headers to send and, in the same order, as shown with static values masked.
    fn headers(&self, request: &CallRequest<'_>, body: &str) -> (HeaderMap, Vec<Header>, Result<(), CallError>) {
        let signed = signing::sign_now(request.secrets, body);
        let mut map = HeaderMap::new();
        let mut shown = Vec::new();
        let mut add = |name: HeaderName, value: HeaderValue, display: String| {
            shown.push(Header::new(name.as_str(), display));
            map.append(name, value);
        };
        let json = HeaderValue::from_static("application/json");
        add(CONTENT_TYPE, json.clone(), "application/json".into());
        add(ACCEPT, json, "application/json".into());
        let user_agent = self.user_agent.to_str().unwrap_or_default().to_owned();
        add(USER_AGENT, self.user_agent.clone(), user_agent);
        for (name, value) in [
            (HEADER_ID, signed.id),
            (HEADER_TIMESTAMP, signed.timestamp.to_string()),
            (HEADER_SIGNATURE, signed.signature),
        ] {
            if value.is_empty() {
                continue;
            }
            if let Ok(header_value) = HeaderValue::from_str(&value) {
                add(HeaderName::from_static(name), header_value, value);
            }
        }
        for header in request.headers {
            let name = HeaderName::from_bytes(header.name.as_bytes());
            let value = HeaderValue::from_str(&header.value);
            let (Ok(name), Ok(mut value)) = (name, value) else {
                let error = CallError::new(
                    AuthErrorCode::AuthUnreachable,
                    format!(
                        "The static header {:?} is not a valid HTTP header, so nothing was sent; \
                         correct it in the Custom Authentication settings.",
                        header.name
                    ),
                );
                return (map, shown, Err(error));
            };
            // Keeps the value out of any HTTP-level debug output.
            value.set_sensitive(true);
            add(name, value, MASK.to_owned());
        }
        (map, shown, Ok(()))
    }

    async fn exchange(
        &self,
        request: &CallRequest<'_>,
        headers: HeaderMap,
        body: String,
        progress: &mut Progress,
    ) -> Outcome {
        let url = request.url;
        check_upstream_scheme(url, self.policy).map_err(|reason| {
            CallError::new(
                AuthErrorCode::AuthUrlBlocked,
                format!("The server's current policy refuses this Authentication URL, so nothing was sent: {reason}"),
            )
        })?;
        guard::check_literal(url, self.policy.allow_private).map_err(|r| refused(&r))?;

        let mut response = self
            .http
            .post(url.clone())
            .headers(headers)
            .body(body)
            .timeout(request.timeout)
            .send()
            .await
            .map_err(|e| send_failed(&e, url, request.timeout))?;
        let status = response.status();
        progress.status = Some(status.as_u16());
        progress.headers = response
            .headers()
            .iter()
            .map(|(name, value)| Header::new(name.as_str(), String::from_utf8_lossy(value.as_bytes())))
            .collect();

        // Only a 2xx body is used; any other answer is read (within the cap) for display.
        if status.is_success() {
            if let Some(length) = announced_too_large(&response) {
                progress.truncated = true;
                return Err(CallError::new(
                    AuthErrorCode::AuthResponseTooLarge,
                    format!(
                        "The Authentication URL announced a {length}-byte answer (Content-Length); \
                         answers are limited to {MAX_RESPONSE_BYTES} bytes."
                    ),
                ));
            }
        }
        progress.truncated = read_capped(&mut response, &mut progress.body, MAX_RESPONSE_BYTES)
            .await
            .map_err(|e| body_failed(&e, request.timeout))?;

        if status.is_success() {
            if progress.truncated {
                return Err(CallError::new(
                    AuthErrorCode::AuthResponseTooLarge,
                    format!(
                        "The Authentication URL answered with more than {MAX_RESPONSE_BYTES} bytes; \
                         answers are limited to that size."
                    ),
                ));
            }
            return parse_answer(&progress.body, request.identify_method)
                .map_err(|e| CallError::new(e.code, e.message));
        }
        Err(status_error(status, response.headers()))
    }
}

fn status_error(status: StatusCode, headers: &HeaderMap) -> CallError {
    let code = status.as_u16();
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        return CallError::new(
            AuthErrorCode::InvalidToken,
            format!("The Authentication URL answered {code}: the access token was refused."),
        );
    }
    if status.is_redirection() {
        let target = headers
            .get(LOCATION)
            .map(|l| format!("redirecting to {}", redirect_target(&String::from_utf8_lossy(l.as_bytes()))))
            .unwrap_or_else(|| "a redirect without a Location".to_owned());
        return CallError::new(
            AuthErrorCode::AuthUpstreamError,
            format!(
                "The Authentication URL answered {code} ({target}); redirects are not followed; \
                 point the Authentication URL at the final address."
            ),
        );
    }
    let reason = status.canonical_reason().map(|r| format!(" {r}")).unwrap_or_default();
    CallError::new(
        AuthErrorCode::AuthUpstreamError,
        format!(
            "The Authentication URL answered {code}{reason}; it must answer 200 with the user, \
             or 401/403 when the token is refused."
        ),
    )
}

/// Where a redirect points, fit for the attempt log: scheme, host and path. Gateways put
/// tokens in the query (`/login?token=…`, `next=…`), the fragment or the user info, and no
/// secret may reach the log.
fn redirect_target(location: &str) -> String {
    // A scheme-relative reference (`//user:pass@host/path`) has an authority, and so may
    // carry credentials: read as a URL, its scheme then left off again.
    if let Some(authority) = location.strip_prefix("//") {
        let shown = redirect_target(&format!("https://{authority}"));
        return match shown.strip_prefix("https:") {
            Some(rest) => rest.to_owned(),
            None => shown,
        };
    }
    if let Ok(mut url) = Url::parse(location) {
        let query = url.query().is_some() || url.fragment().is_some();
        let credentials = !url.username().is_empty() || url.password().is_some();
        url.set_query(None);
        url.set_fragment(None);
        // Fails only for URLs that cannot have credentials, which then have none.
        let _ = url.set_username("");
        let _ = url.set_password(None);
        let note = match (credentials, query) {
            (false, false) => "",
            (false, true) => " (query left out)",
            (true, false) => " (credentials left out)",
            (true, true) => " (credentials and query left out)",
        };
        return format!("{url}{note}");
    }
    // A relative reference: everything from the first `?` or `#` is query or fragment.
    match location.split_once(['?', '#']) {
        Some((path, _)) => format!("{path} (query left out)"),
        None => location.to_owned(),
    }
}

fn timed_out(timeout: Duration) -> CallError {
    CallError::new(
        AuthErrorCode::AuthTimeout,
        format!("The Authentication URL did not answer within {} ms.", timeout.as_millis()),
    )
}

fn refused(refusal: &Refusal) -> CallError {
    CallError::new(AuthErrorCode::AuthUrlBlocked, refusal.to_string())
}

/// The guard's refusal reaches us wrapped by hyper and reqwest in errors whose nesting is
/// theirs to change, so it is looked for anywhere in the source chain.
pub(crate) fn find<'a, T: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// The innermost cause, which is the part that says what actually happened ("Connection
/// refused"), where the outer layers only say where ("error sending request").
pub(crate) fn root_cause(error: &(dyn StdError + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

fn send_failed(error: &reqwest::Error, url: &Url, timeout: Duration) -> CallError {
    if let Some(refusal) = find::<Refusal>(error) {
        return refused(refusal);
    }
    if error.is_timeout() {
        return timed_out(timeout);
    }
    if let Some(lookup) = find::<LookupFailed>(error) {
        return CallError::new(AuthErrorCode::AuthUnreachable, format!("The Authentication URL's host {lookup}."));
    }
    let cause = root_cause(error);
    let message = match error.is_connect() {
        true => format!(
            "Concierge could not connect to the Authentication URL at {}:{} ({cause}).",
            url.host_str().unwrap_or(""),
            url.port_or_known_default().unwrap_or(0)
        ),
        false => {
            format!("The Authentication URL closed the connection without an answer ({cause}).")
        }
    };
    CallError::new(AuthErrorCode::AuthUnreachable, message)
}

fn body_failed(error: &reqwest::Error, timeout: Duration) -> CallError {
    if error.is_timeout() {
        return timed_out(timeout);
    }
    CallError::new(
        AuthErrorCode::AuthUpstreamError,
        format!("The Authentication URL broke off its answer ({}).", root_cause(error)),
    )
}

#[cfg(test)]
mod tests {
    use super::redirect_target;

    #[test]
    fn a_redirect_target_keeps_scheme_host_and_path_only() {
        for (location, shown) in [
            ("https://sso.example/login?token=SECRET#SECRET", "https://sso.example/login (query left out)"),
            ("https://me:SECRET@sso.example/login", "https://sso.example/login (credentials left out)"),
            ("https://sso.example/login", "https://sso.example/login"),
            ("/login?next=/auth%3Ftoken%3DSECRET", "/login (query left out)"),
            ("//sso.example/login#SECRET", "//sso.example/login (query left out)"),
            ("//me:SECRET@sso.example/login?next=SECRET", "//sso.example/login (credentials and query left out)"),
            ("login", "login"),
        ] {
            assert_eq!(redirect_target(location), shown, "{location}");
        }
    }
}
