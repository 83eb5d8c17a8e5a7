//! The HTTP client for calls to servers that someone other than the operator's code names:
//! a customer's Authentication URL, an operator's language model API. Every such call goes
//! through the address guard, so one place decides how they are made safe.

use std::error::Error as StdError;
use std::sync::Arc;

use concierge_domain::{check_upstream_scheme, UpstreamPolicy};
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

/// A caller checks a URL with this before every request: the operator's current policy
/// (scheme and literal addresses; the URL may have been saved under a looser one), and,
/// since the resolver never sees a host that is an IP literal, the guard's verdict on it.
/// The error is the reason, as a sentence.
pub fn check_outbound_url(url: &Url, policy: UpstreamPolicy) -> Result<(), String> {
    check_upstream_scheme(url, policy)?;
    guard::check_literal(url, policy.allow_private).map_err(|refusal| refusal.to_string())
}

/// The guard's reason when a request through [`guarded_http_client`] failed because the
/// host resolved only to addresses that may not be called; None for any other failure.
pub fn blocked_reason(error: &(dyn StdError + 'static)) -> Option<String> {
    find::<Refusal>(error).map(ToString::to_string)
}
