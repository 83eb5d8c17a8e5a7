use std::fmt;

/// Why a Custom Authentication attempt failed. The snake_case names are a public contract:
/// they appear in API error bodies, in the attempt log and in customers' dashboards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthErrorCode {
    TokenRequired,
    InvalidToken,
    AuthUpstreamError,
    AuthTimeout,
    AuthUnreachable,
    AuthInvalidResponse,
    AuthMissingIdentifier,
    AuthResponseTooLarge,
    AuthUrlBlocked,
    /// A signed user token whose `exp` has passed.
    TokenExpired,
    /// A signed user token whose signature no key of the bot verifies, or whose `alg` the
    /// bot does not accept.
    TokenSignatureInvalid,
    /// A signed user token whose claims are not acceptable: not yet valid, too long-lived,
    /// another issuer or audience, no identifier.
    TokenClaimsInvalid,
    /// An identity hash that is not the HMAC of the identifier it came with.
    HashMismatch,
    /// An OAuth access token its provider says is not active.
    TokenInactive,
}

impl AuthErrorCode {
    pub const ALL: [AuthErrorCode; 14] = [
        Self::TokenRequired,
        Self::InvalidToken,
        Self::AuthUpstreamError,
        Self::AuthTimeout,
        Self::AuthUnreachable,
        Self::AuthInvalidResponse,
        Self::AuthMissingIdentifier,
        Self::AuthResponseTooLarge,
        Self::AuthUrlBlocked,
        Self::TokenExpired,
        Self::TokenSignatureInvalid,
        Self::TokenClaimsInvalid,
        Self::HashMismatch,
        Self::TokenInactive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TokenRequired => "token_required",
            Self::InvalidToken => "invalid_token",
            Self::AuthUpstreamError => "auth_upstream_error",
            Self::AuthTimeout => "auth_timeout",
            Self::AuthUnreachable => "auth_unreachable",
            Self::AuthInvalidResponse => "auth_invalid_response",
            Self::AuthMissingIdentifier => "auth_missing_identifier",
            Self::AuthResponseTooLarge => "auth_response_too_large",
            Self::AuthUrlBlocked => "auth_url_blocked",
            Self::TokenExpired => "token_expired",
            Self::TokenSignatureInvalid => "token_signature_invalid",
            Self::TokenClaimsInvalid => "token_claims_invalid",
            Self::HashMismatch => "hash_mismatch",
            Self::TokenInactive => "token_inactive",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for AuthErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_name() {
        for code in AuthErrorCode::ALL {
            assert_eq!(AuthErrorCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(AuthErrorCode::parse("ok"), None);
    }
}
