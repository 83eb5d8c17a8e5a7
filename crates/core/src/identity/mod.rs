//! How a bot learns who a visitor is: one seam, [`IdentityMode`], that session starts and
//! the testing panel go through, so every mode gets the same guarantees (identify method,
//! normalisation, one contact, verified vs unverified data, the failure policy, the
//! attempt log). A bot asks the customer's API (the seed's Custom Authentication),
//! verifies a token the customer's server signed (`jwt`), or an identifier's HMAC
//! (`hash`), or identifies nobody.

mod hash;
pub(crate) mod jwks;
mod jwt;
pub(crate) mod oauth;

use std::net::IpAddr;
use std::time::Instant;

use concierge_authcall::CallTrace;
use concierge_domain::{AttemptOutcome, AuthErrorCode, Identifier, IdentityKind, VerifiedProfile};

use super::attempts::AttemptNote;
use super::auth_flow::{AuthFailure, WidgetFields};
use super::{BotAuth, Services};

/// A bot's way of identifying visitors.
#[derive(Clone, Copy)]
pub enum IdentityMode<'a> {
    /// Nobody is identified: every visitor chats anonymously.
    Off,
    /// The page's access token goes to the customer's Authentication URL, which answers
    /// with the user (docs/custom-authentication.md).
    CustomAuthCall(&'a BotAuth),
    /// The page's access token is a JWT the customer's server signed (docs/identity.md).
    Jwt(&'a BotAuth),
    /// The page sends an identifier and its HMAC under the bot's key (docs/identity.md).
    IdentityHash(&'a BotAuth),
    /// The page's access token is an OAuth token; the provider's userinfo endpoint says
    /// whose (docs/identity.md).
    OidcUserinfo(&'a BotAuth),
    /// The page's access token is an OAuth token; the provider's introspection endpoint
    /// says whether it is active and whose (docs/identity.md).
    Introspection(&'a BotAuth),
}

impl<'a> IdentityMode<'a> {
    /// The mode a bot's settings choose.
    pub fn of(auth: &'a BotAuth) -> Self {
        if !auth.settings.enabled {
            return IdentityMode::Off;
        }
        Self::chosen(auth)
    }

    /// The mode a bot's settings name, whether or not identification is on (the testing
    /// panel tries it before it is switched on).
    pub fn chosen(auth: &'a BotAuth) -> Self {
        match auth.identity.mode {
            IdentityKind::CustomAuth => IdentityMode::CustomAuthCall(auth),
            IdentityKind::Jwt => IdentityMode::Jwt(auth),
            IdentityKind::IdentityHash => IdentityMode::IdentityHash(auth),
            IdentityKind::OidcUserinfo => IdentityMode::OidcUserinfo(auth),
            IdentityKind::Introspection => IdentityMode::Introspection(auth),
        }
    }
}

/// What the page presented: the access token, the identity hash and the unverified
/// `data-*` fields.
pub struct Presented<'a> {
    pub access_token: Option<&'a str>,
    pub user_hash: Option<&'a str>,
    pub fields: &'a WidgetFields,
    pub client_ip: Option<IpAddr>,
    /// A request from the testing panel (marked so in the attempt log).
    pub is_test: bool,
}

/// Who the visitor is, as the mode verified it.
#[derive(Debug, Clone)]
pub struct Identified {
    pub profile: VerifiedProfile,
    pub identifier: Identifier,
}

/// A verification: `Ok(None)` when the mode identifies nobody; `trace` when a request was
/// sent, `token` when a token was decoded (for the testing panel).
pub struct Verification {
    pub result: Result<Option<Identified>, AuthFailure>,
    pub trace: Option<CallTrace>,
    pub token: Option<jwt::TokenReport>,
}

pub use jwt::TokenReport;

fn no_token(message: &str) -> Verification {
    let failure = AuthFailure { code: AuthErrorCode::TokenRequired, message: message.into() };
    Verification { result: Err(failure), trace: None, token: None }
}

impl Services {
    /// Verifies what the page presented by the bot's mode; every attempt (a call-out, a
    /// token or a hash checked) is recorded in the attempt log. Nothing presented is no
    /// attempt: the visitor is simply not signed in.
    pub(super) async fn verify(&self, mode: IdentityMode<'_>, presented: Presented<'_>) -> Verification {
        let token = presented.access_token.map(str::trim).filter(|t| !t.is_empty());
        match mode {
            IdentityMode::Off => Verification { result: Ok(None), trace: None, token: None },
            IdentityMode::CustomAuthCall(auth) => {
                let Some(token) = token else { return no_token("No access token was sent.") };
                let outcome =
                    self.call_out(auth, token, presented.fields, presented.client_ip, presented.is_test).await;
                Verification {
                    result: outcome.result.map(|(profile, identifier)| Some(Identified { profile, identifier })),
                    trace: outcome.trace,
                    token: None,
                }
            }
            IdentityMode::Jwt(auth) => {
                let Some(token) = token else { return no_token("No signed user token was sent.") };
                let started = Instant::now();
                let (result, report) = self.verify_jwt(auth, token, presented.is_test).await;
                self.note(auth, IdentityKind::Jwt, &result, started, &presented, None);
                Verification { result: result.map(Some), trace: None, token: report }
            }
            IdentityMode::IdentityHash(auth) => {
                let started = Instant::now();
                let Some(result) = hash::verify(auth, &presented) else {
                    return no_token("No identifier and identity hash were sent.");
                };
                self.note(auth, IdentityKind::IdentityHash, &result, started, &presented, None);
                Verification { result: result.map(Some), trace: None, token: None }
            }
            IdentityMode::OidcUserinfo(auth) | IdentityMode::Introspection(auth) => {
                let Some(token) = token else { return no_token("No access token was sent.") };
                let started = Instant::now();
                let (result, trace) = match mode {
                    IdentityMode::OidcUserinfo(_) => self.verify_userinfo(auth, token).await,
                    _ => self.verify_introspection(auth, token).await,
                };
                let status = trace.as_ref().and_then(|t| t.response.as_ref()).map(|r| i64::from(r.status));
                self.note(auth, auth.identity.mode, &result, started, &presented, status);
                Verification { result: result.map(Some), trace, token: None }
            }
        }
    }

    /// Logs a verification of a mode other than the seed's call.
    fn note(
        &self,
        auth: &BotAuth,
        mode: IdentityKind,
        result: &Result<Identified, AuthFailure>,
        started: Instant,
        presented: &Presented<'_>,
        upstream_status: Option<i64>,
    ) {
        let (outcome, reason, identifier) = match result {
            Ok(found) => (AttemptOutcome::Ok, None, Some(found.identifier.value())),
            Err(f) => (AttemptOutcome::Failed(f.code), Some(f.message.as_str()), None),
        };
        self.record_attempt(AttemptNote {
            bot_id: &auth.bot_id,
            mode,
            outcome,
            reason,
            latency: started.elapsed(),
            identifier,
            upstream_status,
            client_ip: presented.client_ip,
            is_test: presented.is_test,
            cached: false,
        });
    }
}
