//! The testing panel's dry run: the same verification as a session start (the call-out,
//! or a token or hash checked here), answered with everything it saw, writing nothing but
//! the attempt log.

use concierge_authcall::CallTrace;
use concierge_domain::{AuthErrorCode, BotId, FieldError, Identifier, IdentifyMethod, IdentityKind, VerifiedProfile};

use super::auth_flow::{AuthFailure, WidgetFields};
use super::identity::{Identified, IdentityMode, Presented, TokenReport, Verification};
use super::{BotAuth, ClientInfo, Error, Principal, Result, Services};

pub struct AuthTestInput {
    pub access_token: String,
    pub fields: WidgetFields,
}

/// What the page would present, for the bot's identity mode.
pub struct IdentityTestInput {
    pub access_token: Option<String>,
    pub user_hash: Option<String>,
    pub fields: WidgetFields,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactMatch {
    Existing { contact_id: String },
    New,
}

pub struct AuthTestReport {
    pub mode: IdentityKind,
    pub identify_method: IdentifyMethod,
    pub trace: Option<CallTrace>,
    /// A token's header and claims as decoded, and the verdict.
    pub token: Option<TokenReport>,
    pub result: Result<(VerifiedProfile, Identifier), AuthFailure>,
    /// Only when the answer was accepted.
    pub contact: Option<ContactMatch>,
}

impl Services {
    pub async fn test_custom_auth(
        &self,
        who: &Principal,
        bot_id: &str,
        input: AuthTestInput,
        client: ClientInfo,
    ) -> Result<AuthTestReport> {
        let auth = self.bot_auth_for(who, bot_id).await?;
        if input.access_token.trim().is_empty() {
            return Err(Error::Validation(vec![FieldError {
                field: "access_token".into(),
                message: "Enter a sample access token to send.".into(),
            }]));
        }
        input.fields.check(Some(&input.access_token)).map_err(Error::Validation)?;
        if auth.settings.url.is_none() {
            return Err(Error::NotNow {
                code: "custom_auth_not_configured",
                message: "Set an Authentication URL before sending a test request.".into(),
            });
        }
        let presented = Presented {
            access_token: Some(&input.access_token),
            user_hash: None,
            fields: &input.fields,
            client_ip: Some(client.ip),
            is_test: true,
        };
        // The test runs the call whether or not the bot uses it yet: that is what it is for.
        let outcome = self.verify(IdentityMode::CustomAuthCall(&auth), presented).await;
        self.report(&auth, IdentityKind::CustomAuth, outcome).await
    }

    /// The bot's identity mode tried on what a page would present, whether or not the bot
    /// identifies visitors yet.
    pub async fn test_identity(
        &self,
        who: &Principal,
        bot_id: &str,
        input: IdentityTestInput,
        client: ClientInfo,
    ) -> Result<AuthTestReport> {
        let auth = self.bot_auth_for(who, bot_id).await?;
        let mode = auth.identity.mode;
        if mode == IdentityKind::CustomAuth {
            let access_token = input.access_token.unwrap_or_default();
            return self
                .test_custom_auth(who, bot_id, AuthTestInput { access_token, fields: input.fields }, client)
                .await;
        }
        input.fields.check(input.access_token.as_deref()).map_err(Error::Validation)?;
        let presented = Presented {
            access_token: input.access_token.as_deref(),
            user_hash: input.user_hash.as_deref(),
            fields: &input.fields,
            client_ip: Some(client.ip),
            is_test: true,
        };
        let outcome = self.verify(IdentityMode::chosen(&auth), presented).await;
        self.report(&auth, mode, outcome).await
    }

    async fn report(&self, auth: &BotAuth, mode: IdentityKind, outcome: Verification) -> Result<AuthTestReport> {
        let result = outcome.result.and_then(|found| {
            let Identified { profile, identifier } = found.ok_or_else(|| AuthFailure {
                code: AuthErrorCode::TokenRequired,
                message: match mode {
                    IdentityKind::IdentityHash => "Enter a sample identifier and its user_hash.".into(),
                    _ => "Enter a sample access token to send.".into(),
                },
            })?;
            Ok((profile, identifier))
        });
        let contact = match &result {
            Ok((_, identifier)) => Some(
                match self
                    .store
                    .find_contact(&BotId::new(&auth.bot_id), identifier.method(), identifier.value())
                    .await?
                {
                    Some(c) => ContactMatch::Existing { contact_id: c.id },
                    None => ContactMatch::New,
                },
            ),
            Err(_) => None,
        };
        Ok(AuthTestReport {
            mode,
            identify_method: auth.settings.identify_method,
            trace: outcome.trace,
            token: outcome.token,
            result,
            contact,
        })
    }
}
