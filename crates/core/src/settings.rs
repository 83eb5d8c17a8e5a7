//! What the use cases are told by whoever runs them (the `concierge` binary reads it from
//! its configuration): plain values, no file format, no flags.

use std::time::Duration;

/// The widget protocol's promise: a socket that has not said `hello` within this is closed.
pub const HELLO_WITHIN: Duration = Duration::from_secs(10);
/// The widget protocol's promise: the interval of pings and session checks on a socket.
pub const SOCKET_CHECK_EVERY: Duration = Duration::from_secs(20);

#[derive(Clone)]
pub struct Settings {
    /// Full access to the admin API with `Authorization: Bearer` (a secret).
    pub admin_token: Option<String>,
    /// Authentication URLs and model base URLs may resolve to private addresses.
    pub allow_private_upstreams: bool,
    /// … and may use plain http.
    pub allow_http_upstreams: bool,
    pub session_ttl: Duration,
    pub attempt_retention: Duration,
    /// Session starts per client IP per minute.
    pub session_rate_per_ip: u32,
    /// Session starts per bot per minute.
    pub session_rate_per_bot: u32,
    pub max_concurrent_calls_per_bot: u32,
    /// How long the previous signing secret stays valid after a rotation.
    pub secret_rotation_grace: Duration,
    /// `X-Forwarded-For` / `X-Forwarded-Proto` come from a proxy the operator trusts.
    pub trust_proxy_headers: bool,
    /// How long a widget socket may wait for its `hello` (docs/widget-protocol.md §3).
    /// Not a setting of the binary: [`HELLO_WITHIN`]; tests shorten it.
    pub socket_hello_within: Duration,
    /// How often a widget socket is pinged and its session checked again, so a socket of an
    /// ended session closes (4401) within this. Not a setting of the binary:
    /// [`SOCKET_CHECK_EVERY`]; tests shorten it.
    pub socket_check_every: Duration,
    /// The least time between two fetches of a JWKS URL for a key id it lacked (a token
    /// with made-up key ids must not become a flood of fetches). Not a setting of the
    /// binary: [`JWKS_REFETCH_AFTER`]; tests shorten it.
    pub jwks_refetch_after: Duration,
}

/// See [`Settings::jwks_refetch_after`].
pub const JWKS_REFETCH_AFTER: Duration = Duration::from_secs(60);

impl Default for Settings {
    fn default() -> Self {
        Self {
            admin_token: None,
            allow_private_upstreams: false,
            allow_http_upstreams: false,
            session_ttl: Duration::from_secs(7 * 24 * 3600),
            attempt_retention: Duration::from_secs(30 * 24 * 3600),
            session_rate_per_ip: 60,
            session_rate_per_bot: 6000,
            max_concurrent_calls_per_bot: 64,
            secret_rotation_grace: Duration::from_secs(24 * 3600),
            trust_proxy_headers: false,
            socket_hello_within: HELLO_WITHIN,
            socket_check_every: SOCKET_CHECK_EVERY,
            jwks_refetch_after: JWKS_REFETCH_AFTER,
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("admin_token", &self.admin_token.as_ref().map(|_| "********"))
            .field("allow_private_upstreams", &self.allow_private_upstreams)
            .field("allow_http_upstreams", &self.allow_http_upstreams)
            .field("session_ttl", &self.session_ttl)
            .field("attempt_retention", &self.attempt_retention)
            .field("session_rate_per_ip", &self.session_rate_per_ip)
            .field("session_rate_per_bot", &self.session_rate_per_bot)
            .field("max_concurrent_calls_per_bot", &self.max_concurrent_calls_per_bot)
            .field("secret_rotation_grace", &self.secret_rotation_grace)
            .field("trust_proxy_headers", &self.trust_proxy_headers)
            .finish_non_exhaustive()
    }
}
