//! The outbound address guard. Addresses are judged *after* DNS resolution, and the
//! resolver hands reqwest only the addresses it judged, so a name that resolves to a public
//! address when checked and to an internal one when connecting (DNS rebinding) cannot
//! reach the internal one: there is no second lookup.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};

use concierge_domain::{classify, AddressClass};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use crate::lookup::Lookup;

/// Why the guard refused to call a host: every address it stands for is one the operator
/// does not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    host: String,
    /// Whether `host` was an IP literal rather than a name that resolved.
    literal: bool,
    refused: Vec<(IpAddr, AddressClass)>,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first_class = self.refused.first().map(|(_, c)| *c);
        let one_class = self.refused.iter().all(|(_, c)| Some(*c) == first_class);
        let list = |with_class: bool| {
            self.refused
                .iter()
                .map(|(ip, class)| match with_class {
                    true => format!("{ip} is {}", class.describe()),
                    false => ip.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        match (self.literal, first_class) {
            (true, Some(class)) => write!(f, "{} is {}", self.host, class.describe())?,
            (false, Some(class)) if one_class => {
                write!(f, "{} resolves only to {} ({})", self.host, class.describe(), list(false))?
            }
            _ => write!(f, "{} resolves only to addresses that may not be called ({})", self.host, list(true))?,
        }
        // Loopback, private and link-local addresses are the operator's choice; metadata
        // and unroutable addresses are never called, so the switch would not help.
        if self.refused.iter().all(|(_, c)| c.is_allowed(true)) {
            f.write_str("; the operator has not allowed private upstreams (--allow-private-upstreams).")
        } else {
            f.write_str("; Concierge never calls such addresses.")
        }
    }
}

impl std::error::Error for Refusal {}

/// The Authentication URL's host name did not resolve.
#[derive(Debug, thiserror::Error)]
#[error("{host} could not be resolved ({source})")]
pub(crate) struct LookupFailed {
    pub host: String,
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

/// Keeps the addresses that may be called, or says why none may.
fn judge(host: &str, literal: bool, addrs: &[IpAddr], allow_private: bool) -> Result<Vec<IpAddr>, Refusal> {
    let (allowed, refused): (Vec<_>, Vec<_>) =
        addrs.iter().map(|ip| (*ip, classify(*ip))).partition(|(_, class)| class.is_allowed(allow_private));
    if allowed.is_empty() {
        return Err(Refusal { host: host.to_owned(), literal, refused });
    }
    Ok(allowed.into_iter().map(|(ip, _)| ip).collect())
}

/// reqwest never asks the resolver about an IP-literal host, so such hosts are judged
/// here, before anything is sent. The url crate has already normalised the spellings
/// (`127.1` is 127.0.0.1; `[::ffff:127.0.0.1]` is an IPv6 literal that `classify` judges as
/// the IPv4 address it carries).
pub(crate) fn check_literal(url: &Url, allow_private: bool) -> Result<(), Refusal> {
    let ip = match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(Host::Domain(_)) | None => return Ok(()),
    };
    judge(&ip.to_string(), true, &[ip], allow_private).map(drop)
}

/// The DNS resolver of the shared client: looks the name up with `lookup` and returns only
/// the addresses the guard allows.
#[derive(Debug, Clone)]
pub(crate) struct GuardedResolver {
    pub allow_private: bool,
    pub lookup: Lookup,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        let looking_up = self.lookup.resolve(name);
        Box::pin(async move {
            let addrs: Vec<IpAddr> = match looking_up.await {
                Ok(found) => found.map(|a| a.ip()).collect(),
                Err(source) => return Err(Box::new(LookupFailed { host, source }) as _),
            };
            if addrs.is_empty() {
                let source = io::Error::new(io::ErrorKind::NotFound, "no address found").into();
                return Err(Box::new(LookupFailed { host, source }) as _);
            }
            // `?` boxes the Refusal itself; boxing it first would hide it from a downcast.
            let allowed = judge(&host, false, &addrs, allow_private)?;
            let addrs: Addrs = Box::new(allowed.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an IP address")
    }

    /// The guard over a fixed, in-process table: no query leaves the machine, and no
    /// address found is connected to.
    async fn guarded(host: &str, allow_private: bool) -> Result<Vec<IpAddr>, String> {
        let name: Name = host.parse().map_err(|_| "invalid name".to_owned())?;
        let loopback = [ip("127.0.0.1"), ip("::1")];
        let mixed = [ip("10.0.0.1"), ip("93.184.215.14")];
        let metadata = [ip("169.254.169.254")];
        let lookup = Lookup::fixed([
            ("localhost", &loopback[..]),
            ("mixed.test", &mixed[..]),
            ("metadata.test", &metadata[..]),
            ("nothing.test", &[][..]),
        ]);
        let resolver = GuardedResolver { allow_private, lookup };
        match resolver.resolve(name).await {
            Ok(addrs) => Ok(addrs.map(|a| a.ip()).collect()),
            Err(e) => Err(e.to_string()),
        }
    }

    #[tokio::test]
    async fn a_name_is_refused_by_what_it_resolves_to_unless_the_operator_allows_it() {
        let err = guarded("localhost", false).await.expect_err("localhost is loopback");
        assert_eq!(
            err,
            "localhost resolves only to a loopback address (127.0.0.1, ::1); \
             the operator has not allowed private upstreams (--allow-private-upstreams)."
        );
        assert_eq!(guarded("localhost", true).await, Ok(vec![ip("127.0.0.1"), ip("::1")]));
        assert_eq!(guarded("mixed.test", false).await, Ok(vec![ip("93.184.215.14")]));
        let err = guarded("metadata.test", true).await.expect_err("metadata is never called");
        assert!(err.ends_with("Concierge never calls such addresses."), "{err}");
    }

    #[tokio::test]
    async fn an_unknown_name_is_a_lookup_failure_not_a_refusal() {
        let err = guarded("no-such-host.invalid", true).await.expect_err("does not resolve");
        assert_eq!(err, "no-such-host.invalid could not be resolved (not in the test's table)");
        let err = guarded("nothing.test", true).await.expect_err("no address");
        assert_eq!(err, "nothing.test could not be resolved (no address found)");
    }

    #[test]
    fn only_allowed_addresses_are_kept() {
        let mixed = [ip("10.0.0.1"), ip("93.184.215.14"), ip("169.254.169.254")];
        assert_eq!(judge("h", false, &mixed, false), Ok(vec![ip("93.184.215.14")]));
        assert_eq!(judge("h", false, &mixed, true), Ok(vec![ip("10.0.0.1"), ip("93.184.215.14")]));
    }

    #[test]
    fn refusals_explain_themselves() {
        let refusal = |host: &str, literal: bool, addrs: &[&str], allow_private: bool| {
            let addrs: Vec<IpAddr> = addrs.iter().map(|a| ip(a)).collect();
            judge(host, literal, &addrs, allow_private).expect_err("refused").to_string()
        };
        assert_eq!(
            refusal("api.example", false, &["127.0.0.1"], false),
            "api.example resolves only to a loopback address (127.0.0.1); \
             the operator has not allowed private upstreams (--allow-private-upstreams)."
        );
        assert_eq!(
            refusal("169.254.169.254", true, &["169.254.169.254"], true),
            "169.254.169.254 is a cloud metadata address; Concierge never calls such addresses."
        );
        assert_eq!(
            refusal("api.example", false, &["10.0.0.1", "0.0.0.0"], false),
            "api.example resolves only to addresses that may not be called \
             (10.0.0.1 is a private-network address, 0.0.0.0 is an unroutable or reserved address); \
             Concierge never calls such addresses."
        );
    }

    #[test]
    fn ip_literals_are_judged_before_sending() {
        for (url, allowed) in [
            ("http://127.0.0.1:1/", false),
            ("http://127.1:1/", false),
            ("http://[::1]:1/", false),
            ("http://[::ffff:127.0.0.1]:1/", false),
            ("http://[::ffff:7f00:1]:1/", false),
            ("http://0x7f000001/", false),
            ("https://93.184.215.14/", true),
            ("https://api.example/", true),
        ] {
            let url = Url::parse(url).expect("a URL");
            assert_eq!(check_literal(&url, false).is_ok(), allowed, "{url}");
        }
        let metadata = Url::parse("http://169.254.169.254/").expect("a URL");
        assert!(check_literal(&metadata, true).is_err());
        let loopback = Url::parse("http://127.1:1/").expect("a URL");
        assert!(check_literal(&loopback, true).is_ok());
    }
}
