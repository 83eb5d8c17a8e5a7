//! The HTTP client for calls to servers that someone other than the operator's code names:
//! a customer's Authentication URL, an operator's language model API. Every such call goes
//! through the address guard, so one place decides how they are made safe.

use std::error::Error as StdError;
use std::sync::Arc;

use reqwest::header::HeaderValue;
use reqwest::redirect;
use url::Url;

use crate::client::{find, BuildError};
use crate::guard::{self, GuardedResolver, Refusal};
use crate::lookup::Lookup;

/// A client that resolves names with `lookup` through the guard, follows no redirect and
/// ignores proxies. Cheap to clone; clones share one connection pool. `allow_private` is
/// the operator's `--allow-private-upstreams`.
pub fn guarded_http_client(
    allow_private: bool,
    user_agent: &str,
    lookup: Lookup,
) -> Result<reqwest::Client, BuildError> {
    let user_agent = HeaderValue::from_str(user_agent).map_err(|_| BuildError::UserAgent(user_agent.to_owned()))?;
    let client = reqwest::Client::builder()
        // A redirect would lead the call to an address the guard never judged, and the
        // owner of the URL should fix it anyway.
        .redirect(redirect::Policy::none())
        // An HTTP_PROXY from the environment would connect on our behalf, past the guard.
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver { allow_private, lookup }))
        .user_agent(user_agent)
        .build()?;
    Ok(client)
}

/// The resolver never sees a host that is an IP literal, so a caller checks such a URL with
/// this before sending. The error is the reason, as a sentence.
pub fn check_literal_address(url: &Url, allow_private: bool) -> Result<(), String> {
    guard::check_literal(url, allow_private).map_err(|refusal| refusal.to_string())
}

/// The guard's reason when a request through [`guarded_http_client`] failed because the
/// host resolved only to addresses that may not be called; None for any other failure.
pub fn blocked_reason(error: &(dyn StdError + 'static)) -> Option<String> {
    find::<Refusal>(error).map(ToString::to_string)
}
