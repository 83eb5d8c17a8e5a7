//! Signed user tokens: the customer's server signs the user's claims, the page passes the
//! token as its access token, and Concierge verifies it here with no call (the way
//! Intercom's and Zendesk's messengers secure identity). `jsonwebtoken` checks the
//! signature and the registered claims; the algorithm is the bot's choice, never the
//! token's: a token's `alg` outside the bot's list (`none` is never on it) is refused
//! before any key is looked at, and HMAC keys are only ever the bot's own secrets, so a
//! public key from the JWKS cannot be used as an HMAC secret.

use base64::Engine;
use concierge_domain::{profile_from_data, AuthErrorCode, JwtAlgorithm, JwtSettings};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::Identified;
use crate::auth_flow::AuthFailure;
use crate::{now_ms, BotAuth, Services};

/// What the testing panel shows of a token: its header and claims as decoded (before any
/// check), and the verdict in words.
#[derive(Debug, Clone, Default)]
pub struct TokenReport {
    pub header: Option<Value>,
    pub claims: Option<Value>,
    pub verdict: String,
}

fn failure(code: AuthErrorCode, message: impl Into<String>) -> AuthFailure {
    AuthFailure { code, message: message.into() }
}

/// A part of a compact JWS, decoded as JSON without any check.
fn part(token: &str, index: usize) -> Option<Value> {
    let segment = token.split('.').nth(index)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(segment.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn algorithm(alg: JwtAlgorithm) -> Algorithm {
    match alg {
        JwtAlgorithm::Hs256 => Algorithm::HS256,
        JwtAlgorithm::Hs384 => Algorithm::HS384,
        JwtAlgorithm::Hs512 => Algorithm::HS512,
        JwtAlgorithm::Rs256 => Algorithm::RS256,
        JwtAlgorithm::Es256 => Algorithm::ES256,
        JwtAlgorithm::EdDsa => Algorithm::EdDSA,
    }
}

fn validation(settings: &JwtSettings, alg: JwtAlgorithm) -> Validation {
    let mut v = Validation::new(algorithm(alg));
    v.leeway = settings.leeway_secs.into();
    v.validate_nbf = true;
    v.set_required_spec_claims(&["exp"]);
    match &settings.audience {
        Some(audience) => v.set_audience(&[audience]),
        // A token for some audience is fine when the bot names none.
        None => v.validate_aud = false,
    }
    if let Some(issuer) = &settings.issuer {
        v.set_issuer(&[issuer]);
    }
    v
}

/// The failure a `jsonwebtoken` error stands for.
fn refused(error: &jsonwebtoken::errors::Error, settings: &JwtSettings) -> AuthFailure {
    use AuthErrorCode::{InvalidToken, TokenClaimsInvalid, TokenExpired, TokenSignatureInvalid};
    match error.kind() {
        ErrorKind::ExpiredSignature => failure(TokenExpired, "The token has expired (exp is in the past)."),
        ErrorKind::ImmatureSignature => {
            failure(TokenClaimsInvalid, "The token is not valid yet (nbf is in the future).")
        }
        ErrorKind::InvalidIssuer => failure(
            TokenClaimsInvalid,
            format!("The token's iss is not {:?}.", settings.issuer.as_deref().unwrap_or_default()),
        ),
        ErrorKind::InvalidAudience => failure(
            TokenClaimsInvalid,
            format!("The token's aud does not include {:?}.", settings.audience.as_deref().unwrap_or_default()),
        ),
        ErrorKind::MissingRequiredClaim(claim) => {
            failure(TokenClaimsInvalid, format!("The token has no {claim} claim; it must say when it expires."))
        }
        ErrorKind::InvalidSignature | ErrorKind::InvalidAlgorithm | ErrorKind::InvalidKeyFormat => {
            failure(TokenSignatureInvalid, "The token's signature does not verify with the bot's keys.")
        }
        ErrorKind::Json(_) => failure(TokenClaimsInvalid, format!("The token's claims are malformed ({error}).")),
        _ => failure(InvalidToken, format!("The access token is not a valid signed token ({error}).")),
    }
}

/// The seed's fields from the claims, by the bot's claim map; `sub` falls back to
/// `user_id`.
fn data(claims: &Map<String, Value>, settings: &JwtSettings) -> Map<String, Value> {
    let map = &settings.claims;
    let mut data = Map::new();
    let id = claims.get(&map.id).or_else(|| (map.id == "sub").then(|| claims.get("user_id")).flatten());
    for (field, value) in [
        ("id", id),
        ("email", claims.get(&map.email)),
        ("name", claims.get(&map.name)),
        ("phone_number", claims.get(&map.phone_number)),
        ("metadata", claims.get(&map.metadata)),
    ] {
        if let Some(value) = value {
            data.insert(field.into(), value.clone());
        }
    }
    data
}

/// `exp`, `nbf`, `iss` and `aud` are `jsonwebtoken`'s; these are the bot's own bounds.
fn check_times(claims: &Map<String, Value>, settings: &JwtSettings) -> Result<(), AuthFailure> {
    let now = now_ms() / 1000;
    let leeway = i64::from(settings.leeway_secs);
    let number = |name: &str| claims.get(name).and_then(Value::as_f64).map(|n| n as i64);
    let exp = number("exp").unwrap_or(now);
    let iat = number("iat");
    if let Some(iat) = iat.filter(|iat| *iat > now + leeway) {
        return Err(failure(
            AuthErrorCode::TokenClaimsInvalid,
            format!("The token says it was issued {} s in the future (iat); check the server's clock.", iat - now),
        ));
    }
    let lifetime = exp - iat.unwrap_or(now);
    if lifetime > i64::from(settings.max_lifetime_secs) + leeway {
        return Err(failure(
            AuthErrorCode::TokenClaimsInvalid,
            format!(
                "The token lives {lifetime} s{}; this bot accepts at most {} s.",
                if iat.is_some() { " (exp − iat)" } else { " from now" },
                settings.max_lifetime_secs
            ),
        ));
    }
    Ok(())
}

impl Services {
    /// Verifies a signed user token; with `report` (the testing panel), also says what was
    /// decoded and why it was accepted or refused. A session start asks for no report: its
    /// claims are not decoded twice.
    pub(super) async fn verify_jwt(
        &self,
        auth: &BotAuth,
        token: &str,
        report: bool,
    ) -> (Result<Identified, AuthFailure>, Option<TokenReport>) {
        let header = part(token, 0);
        let result = self.check_jwt(auth, token, header.as_ref()).await;
        let report = report.then(|| TokenReport {
            header,
            claims: part(token, 1),
            verdict: match &result {
                Ok(found) => {
                    format!("Valid: signature verified, claims accepted; identifier {}.", found.identifier.value())
                }
                Err(f) => format!("Refused ({}): {}", f.code, f.message),
            },
        });
        (result, report)
    }

    async fn check_jwt(&self, auth: &BotAuth, token: &str, header: Option<&Value>) -> Result<Identified, AuthFailure> {
        let settings = &auth.identity.jwt;
        if token.split('.').count() != 3 {
            return Err(failure(
                AuthErrorCode::InvalidToken,
                "The access token is not a signed JWT (three dot-separated parts).",
            ));
        }
        let Some(header) = header.and_then(Value::as_object) else {
            return Err(failure(AuthErrorCode::InvalidToken, "The token's header is not base64url-encoded JSON."));
        };
        let named = header.get("alg").and_then(Value::as_str).unwrap_or_default();
        let accepted = settings.algorithms.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ");
        let Some(alg) = settings.algorithms.iter().copied().find(|a| a.as_str() == named) else {
            return Err(failure(
                AuthErrorCode::TokenSignatureInvalid,
                format!("The token is signed with {named:?}; this bot accepts {accepted}."),
            ));
        };
        let kid = header.get("kid").and_then(Value::as_str);
        let keys: Vec<DecodingKey> = if alg.is_hmac() {
            auth.jwt_keys
                .iter()
                .filter(|k| kid.is_none_or(|kid| k.kid == kid))
                .map(|k| DecodingKey::from_secret(k.secret.expose().as_bytes()))
                .collect()
        } else {
            let Some(url) = &settings.jwks_url else {
                return Err(failure(
                    AuthErrorCode::TokenSignatureInvalid,
                    "This bot has no JWKS URL to verify the token with.",
                ));
            };
            // Settings saved before an audience was required: a token the provider issued
            // to any of its applications would verify, so none is taken until one is set.
            if settings.audience.is_none() {
                return Err(failure(
                    AuthErrorCode::TokenClaimsInvalid,
                    "This bot names no audience (aud) for tokens verified with its JWKS URL; set it on the \
                     Identity page.",
                ));
            }
            let set = self.jwks.keys(&self.auth_client, url, kid).await;
            let keys: Vec<DecodingKey> = set.candidates(alg, kid).into_iter().map(|k| k.key.clone()).collect();
            if let (true, Some(why)) = (keys.is_empty(), &set.failure) {
                return Err(failure(AuthErrorCode::AuthUnreachable, why.clone()));
            }
            keys
        };
        if keys.is_empty() {
            let which =
                kid.map_or_else(|| format!("for {named}"), |kid| format!("with the id {kid:?} (kid) for {named}"));
            return Err(failure(AuthErrorCode::TokenSignatureInvalid, format!("The bot has no key {which}.")));
        }
        let validation = validation(settings, alg);
        let mut last = None;
        for key in &keys {
            match jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation) {
                Ok(data) => return self.identify(settings, auth, &data.claims),
                // Without a kid, every key of the algorithm is tried.
                Err(e) if matches!(e.kind(), ErrorKind::InvalidSignature) => last = Some(e),
                Err(e) => return Err(refused(&e, settings)),
            }
        }
        Err(refused(&last.expect("at least one key was tried"), settings))
    }

    fn identify(
        &self,
        settings: &JwtSettings,
        auth: &BotAuth,
        claims: &Map<String, Value>,
    ) -> Result<Identified, AuthFailure> {
        check_times(claims, settings)?;
        let method = auth.settings.identify_method;
        let (profile, identifier) = profile_from_data(&data(claims, settings), method).map_err(|e| {
            let message = match e.code {
                AuthErrorCode::AuthMissingIdentifier => {
                    let claim = match method {
                        concierge_domain::IdentifyMethod::Id => &settings.claims.id,
                        concierge_domain::IdentifyMethod::Email => &settings.claims.email,
                        concierge_domain::IdentifyMethod::PhoneNumber => &settings.claims.phone_number,
                    };
                    format!("The token has no {claim:?} claim, which identify method {} needs.", method.label())
                }
                _ => format!("The token's claims are not usable ({}).", e.message),
            };
            failure(AuthErrorCode::TokenClaimsInvalid, message)
        })?;
        Ok(Identified { profile, identifier })
    }
}
