//! A GET of a public document a customer's identity setup names (a JWKS, an OpenID
//! configuration), through the same guard, size cap and policy as the calls.

use std::time::Duration;

use concierge_domain::check_upstream_scheme;
use reqwest::header::{HeaderValue, ACCEPT};
use url::Url;

use crate::client::{find, root_cause, AuthClient};
use crate::guard::{self, LookupFailed, Refusal};
use crate::response::{announced_too_large, read_capped, MAX_RESPONSE_BYTES};

/// Why a document could not be fetched, as a sentence naming `what` (e.g. "The JWKS URL").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FetchError(pub String);

impl AuthClient {
    /// The body of a 2xx answer to a GET of `url`; `what` names the URL in errors.
    pub async fn fetch(&self, url: &Url, what: &str, timeout: Duration) -> Result<Vec<u8>, FetchError> {
        let fail = |why: String| FetchError(format!("{what} {why}"));
        check_upstream_scheme(url, self.policy())
            .map_err(|reason| fail(format!("is refused by the server's policy: {reason}")))?;
        guard::check_literal(url, self.policy().allow_private)
            .map_err(|refusal| fail(format!("is refused: {refusal}")))?;
        let exchange = async {
            let request = self.http().get(url.clone()).header(ACCEPT, HeaderValue::from_static("application/json"));
            let mut response = request.timeout(timeout).send().await.map_err(|e| {
                if let Some(refusal) = find::<Refusal>(&e) {
                    return fail(format!("is refused: {refusal}"));
                }
                if let Some(lookup) = find::<LookupFailed>(&e) {
                    return fail(format!("cannot be reached: its host {lookup}"));
                }
                fail(format!("cannot be reached ({}).", root_cause(&e)))
            })?;
            let status = response.status();
            if !status.is_success() {
                return Err(fail(format!("answered {}; it must answer 200.", status.as_u16())));
            }
            if let Some(length) = announced_too_large(&response) {
                return Err(fail(format!("answered {length} bytes; at most {MAX_RESPONSE_BYTES} are read.")));
            }
            let mut body = Vec::new();
            let too_large = read_capped(&mut response, &mut body)
                .await
                .map_err(|e| fail(format!("broke off ({}).", root_cause(&e))))?;
            if too_large {
                return Err(fail(format!("answered more than {MAX_RESPONSE_BYTES} bytes.")));
            }
            Ok(body)
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .unwrap_or_else(|_| Err(fail(format!("did not answer within {} ms.", timeout.as_millis()))))
    }
}
