//! The testing panel's dry run: the same call-out as a session start, answered with the
//! full trace, writing nothing but the attempt log.

use concierge_authcall::CallTrace;
use concierge_domain::{AuthErrorCode, BotId, FieldError, Identifier, IdentifyMethod, VerifiedProfile};

use super::auth_flow::{AuthFailure, WidgetFields};
use super::identity::{Identified, IdentityMode, Presented};
use super::{ClientInfo, Error, Principal, Result, Services};

pub struct AuthTestInput {
    pub access_token: String,
    pub fields: WidgetFields,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactMatch {
    Existing { contact_id: String },
    New,
}

pub struct AuthTestReport {
    pub identify_method: IdentifyMethod,
    pub trace: Option<CallTrace>,
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
            return Err(Error::BadRequest {
                code: "custom_auth_not_configured",
                message: "Set an Authentication URL before sending a test request.".into(),
            });
        }
        let presented = Presented {
            access_token: Some(&input.access_token),
            fields: &input.fields,
            client_ip: Some(client.ip),
            is_test: true,
        };
        // The test runs the call whether or not the bot uses it yet: that is what it is for.
        let outcome = self.verify(IdentityMode::CustomAuthCall(&auth), presented).await;
        let result = outcome.result.and_then(|found| {
            let Identified { profile, identifier } = found.ok_or_else(|| AuthFailure {
                code: AuthErrorCode::TokenRequired,
                message: "Enter a sample access token to send.".into(),
            })?;
            Ok((profile, identifier))
        });
        let contact = match &result {
            Ok((_, identifier)) => Some(
                match self.store.find_contact(&BotId::new(bot_id), identifier.method(), identifier.value()).await? {
                    Some(c) => ContactMatch::Existing { contact_id: c.id },
                    None => ContactMatch::New,
                },
            ),
            Err(_) => None,
        };
        Ok(AuthTestReport { identify_method: auth.settings.identify_method, trace: outcome.trace, result, contact })
    }
}
