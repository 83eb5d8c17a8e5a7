//! Where the guard looks names up before it judges the addresses found: the system's
//! resolver in production; in tests a fixed table (feature `testing`), so that no DNS query
//! leaves the machine and a name means what the test says.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// A name resolver for [`guarded_http_client`](crate::guarded_http_client) and
/// [`AuthClient`](crate::AuthClient). Cheap to clone.
#[derive(Clone)]
pub struct Lookup(Arc<dyn Resolve>);

impl Lookup {
    /// The operating system's resolver (`getaddrinfo`, through tokio).
    pub fn system() -> Self {
        Self(Arc::new(System))
    }

    pub(crate) fn resolve(&self, name: Name) -> Resolving {
        self.0.resolve(name)
    }
}

impl Default for Lookup {
    fn default() -> Self {
        Self::system()
    }
}

impl fmt::Debug for Lookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Lookup")
    }
}

struct System;

impl Resolve for System {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let addrs: Addrs = Box::new(found.collect::<Vec<SocketAddr>>().into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(any(test, feature = "testing"))]
mod fixed {
    use std::collections::HashMap;
    use std::io;
    use std::net::{IpAddr, SocketAddr};
    use std::sync::Arc;

    use reqwest::dns::{Addrs, Name, Resolve, Resolving};

    use super::Lookup;

    struct Fixed(HashMap<String, Vec<IpAddr>>);

    impl Resolve for Fixed {
        fn resolve(&self, name: Name) -> Resolving {
            let found = self.0.get(&name.as_str().to_ascii_lowercase()).cloned();
            Box::pin(async move {
                let ips = found.ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "not in the test's table"))?;
                let addrs: Addrs = Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
                Ok(addrs)
            })
        }
    }

    impl Lookup {
        /// Answers from `table` alone, in process; any other name does not resolve.
        pub fn fixed<'a>(table: impl IntoIterator<Item = (&'a str, &'a [IpAddr])>) -> Self {
            let table = table.into_iter().map(|(name, ips)| (name.to_ascii_lowercase(), ips.to_vec())).collect();
            Self(Arc::new(Fixed(table)))
        }

        /// `localhost` as 127.0.0.1 and ::1, nothing else: what most tests need.
        pub fn localhost_only() -> Self {
            let loopback = [IpAddr::from([127, 0, 0, 1]), IpAddr::from(std::net::Ipv6Addr::LOCALHOST)];
            Self::fixed([("localhost", &loopback[..])])
        }
    }
}
