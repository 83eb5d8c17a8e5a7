//! The rules of single settings fields: the Authentication URL, static headers, origins.

use std::net::IpAddr;

use url::{Host, Url};

use super::UpstreamPolicy;
use crate::address::{classify, AddressClass};

const MAX_HEADER_VALUE_LEN: usize = 4096;
const MAX_URL_LEN: usize = 2048;

/// Headers Concierge sets itself, or that would change how the request is framed: a
/// static header may not replace them.
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "content-type",
    "content-length",
    "content-encoding",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
    "trailer",
    "keep-alive",
    "proxy-authorization",
    "user-agent",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
];

/// An upstream URL the operator's policy allows: see [`check_url`].
pub fn parse_url(raw: &str, policy: UpstreamPolicy) -> Result<Url, String> {
    if raw.len() > MAX_URL_LEN {
        return Err(format!("The URL is longer than {MAX_URL_LEN} characters."));
    }
    let url = Url::parse(raw).map_err(|e| format!("This is not a valid URL ({e})."))?;
    check_url(&url, policy)?;
    Ok(url)
}

/// Whether the operator's policy allows `url`: [`check_scheme`], and no literal address
/// (or `localhost`) that the policy refuses. Checked when settings are saved; host names
/// are judged after resolution, by the outbound guard.
pub fn check_url(url: &Url, policy: UpstreamPolicy) -> Result<(), String> {
    if let Some(ip) = literal_address(url) {
        let class = classify(ip);
        if !class.is_allowed(policy.allow_private) {
            return Err(format!(
                "The URL points at {}; the server's operator does not allow that{}.",
                class.describe(),
                if class.is_allowed(true) { " (--allow-private-upstreams)" } else { "" }
            ));
        }
    }
    check_scheme(url, policy)
}

/// The part of the policy that needs no address: http or https, a host, no credentials or
/// fragment, and plain http only where the policy allows it (any host with
/// `allow_http`; a loopback or private literal address, or `localhost`, with
/// `allow_private`). Checked again before every call, since the operator may have
/// tightened the policy after the URL was saved.
pub fn check_scheme(url: &Url, policy: UpstreamPolicy) -> Result<(), String> {
    let http = match url.scheme() {
        "https" => false,
        "http" => true,
        other => return Err(format!("The URL must use https, not {other}.")),
    };
    if url.host().is_none() {
        return Err("The URL has no host.".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Put credentials in a static header, not in the URL.".into());
    }
    if url.fragment().is_some() {
        return Err("The URL must not have a #fragment.".into());
    }
    let private = || literal_address(url).is_some_and(|ip| classify(ip) != AddressClass::Public);
    if http && !policy.allow_http && !(policy.allow_private && private()) {
        return Err("The URL must use https (plain http is allowed only for private addresses with --allow-private-upstreams, or with --allow-http-upstreams).".into());
    }
    Ok(())
}

/// The address a URL names without a lookup: an IP literal, or loopback for `localhost`.
fn literal_address(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        Host::Domain(d) if is_localhost(d) => Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)),
        Host::Domain(_) => None,
    }
}

fn is_localhost(domain: &str) -> bool {
    let d = domain.trim_end_matches('.');
    d == "localhost" || d.ends_with(".localhost")
}

pub(super) fn check_header_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= 128
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !valid {
        return Err(format!("{name:?} is not a valid header name."));
    }
    if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(format!("{name} is set by Concierge and cannot be replaced."));
    }
    Ok(())
}

pub(super) fn check_header_value(value: &str) -> Result<(), String> {
    if value.len() > MAX_HEADER_VALUE_LEN {
        return Err(format!("The value is longer than {MAX_HEADER_VALUE_LEN} bytes."));
    }
    if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0 || (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err("The value contains control characters.".into());
    }
    Ok(())
}

/// `https://Shop.Example:443/` → `https://shop.example`: what a browser sends in `Origin`.
pub fn normalise_origin(raw: &str) -> Result<String, String> {
    let url = Url::parse(raw.trim()).map_err(|_| format!("{raw:?} is not an origin like https://shop.example."))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!("{raw:?} is not an http(s) origin."));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(format!("{raw:?} has a path; an origin is only scheme://host[:port]."));
    }
    Ok(url.origin().ascii_serialization())
}
