//! How a bot learns who a visitor is: one seam, [`IdentityMode`], that session starts and
//! the testing panel go through, so every mode gets the same guarantees (identify method,
//! normalisation, one contact, verified vs unverified data, the failure policy, the
//! attempt log). Today a bot either asks the customer's API (the seed's Custom
//! Authentication) or identifies nobody; signed tokens, identity hashes and OpenID Connect
//! join here as variants.

use std::net::IpAddr;

use concierge_authcall::CallTrace;
use concierge_domain::{AuthErrorCode, Identifier, VerifiedProfile};

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
}

impl<'a> IdentityMode<'a> {
    /// The mode a bot's settings choose.
    pub fn of(auth: &'a BotAuth) -> Self {
        if auth.settings.enabled {
            IdentityMode::CustomAuthCall(auth)
        } else {
            IdentityMode::Off
        }
    }
}

/// What the page presented: the access token and the unverified `data-*` fields.
pub struct Presented<'a> {
    pub access_token: Option<&'a str>,
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
/// sent (for the testing panel).
pub struct Verification {
    pub result: Result<Option<Identified>, AuthFailure>,
    pub trace: Option<CallTrace>,
}

impl Services {
    /// Verifies what the page presented by the bot's mode; a call-out is recorded in the
    /// attempt log.
    pub(super) async fn verify(&self, mode: IdentityMode<'_>, presented: Presented<'_>) -> Verification {
        let auth = match mode {
            IdentityMode::Off => return Verification { result: Ok(None), trace: None },
            IdentityMode::CustomAuthCall(auth) => auth,
        };
        let Some(token) = presented.access_token.map(str::trim).filter(|t| !t.is_empty()) else {
            let failure =
                AuthFailure { code: AuthErrorCode::TokenRequired, message: "No access token was sent.".into() };
            return Verification { result: Err(failure), trace: None };
        };
        let outcome = self.call_out(auth, token, presented.fields, presented.client_ip, presented.is_test).await;
        Verification {
            result: outcome.result.map(|(profile, identifier)| Some(Identified { profile, identifier })),
            trace: outcome.trace,
        }
    }
}
