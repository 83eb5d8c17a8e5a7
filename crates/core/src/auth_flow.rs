//! The call-out shared by session start and the testing endpoint, so the test runs the
//! identical code path: build the body, take a call slot, call, log the attempt.

use std::net::IpAddr;
use std::time::Duration;

use concierge_authcall::{CallRequest, CallTrace};
use concierge_domain::{
    check_access_token, check_page_field, AdditionalField, AttemptOutcome, AuthErrorCode, FieldError, Identifier,
    IdentityKind, VerifiedProfile,
};
use serde_json::{Map, Value};

use super::attempts::AttemptNote;
use super::{now_ms, BotAuth, Services};

/// The optional `data-*` values the widget sent. Unverified: only ever forwarded.
#[derive(Debug, Clone, Default)]
pub struct WidgetFields {
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone_number: Option<String>,
}

impl WidgetFields {
    /// Refuses an oversized access token or field (`validation_failed`, each named), before
    /// anything is forwarded.
    pub fn check(&self, access_token: Option<&str>) -> Result<(), Vec<FieldError>> {
        let mut errors: Vec<FieldError> = access_token.and_then(|t| check_access_token(t).err()).into_iter().collect();
        for &field in AdditionalField::ALL {
            let value = self.value(field).unwrap_or_default();
            errors.extend(check_page_field(field.as_str(), value).err());
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn value(&self, field: AdditionalField) -> Option<&str> {
        match field {
            AdditionalField::UserId => self.user_id.as_deref(),
            AdditionalField::Email => self.email.as_deref(),
            AdditionalField::Name => self.name.as_deref(),
            AdditionalField::PhoneNumber => self.phone_number.as_deref(),
        }
    }

    fn get(&self, field: AdditionalField) -> Option<&str> {
        self.value(field).filter(|v| !v.trim().is_empty())
    }

    /// What the page said about the visitor, as a JSON object of the fields it gave
    /// (trimmed); `None` when it gave none. Kept with the session, for agents, as unverified.
    pub(crate) fn said(&self) -> Option<Value> {
        let said: Map<String, Value> = AdditionalField::ALL
            .iter()
            .filter_map(|f| Some((f.as_str().to_owned(), Value::String(self.get(*f)?.trim().to_owned()))))
            .collect();
        (!said.is_empty()).then_some(Value::Object(said))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthFailure {
    pub code: AuthErrorCode,
    pub message: String,
}

/// The result of one call-out; `trace` is absent when no request was sent.
pub struct CallOutcome {
    pub result: Result<(VerifiedProfile, Identifier), AuthFailure>,
    pub trace: Option<CallTrace>,
}

/// `access_token` plus each ticked field that the widget provided, nothing else.
pub fn request_body(auth: &BotAuth, access_token: &str, fields: &WidgetFields) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("access_token".into(), Value::String(access_token.to_owned()));
    for field in &auth.settings.additional_fields {
        if let Some(value) = fields.get(*field) {
            body.insert(field.as_str().into(), Value::String(value.to_owned()));
        }
    }
    body
}

impl Services {
    pub(super) async fn call_out(
        &self,
        auth: &BotAuth,
        access_token: &str,
        fields: &WidgetFields,
        client_ip: Option<IpAddr>,
        is_test: bool,
    ) -> CallOutcome {
        let started = std::time::Instant::now();
        // The testing panel always calls: it is there to show what the API answers now.
        let cache_key = if is_test { None } else { self.auth_cache.key(auth, access_token, fields) };
        if let Some((profile, identifier)) = cache_key.as_ref().and_then(|key| self.auth_cache.get(key)) {
            self.record_attempt(AttemptNote {
                bot_id: &auth.bot_id,
                mode: IdentityKind::CustomAuth,
                outcome: AttemptOutcome::Ok,
                reason: None,
                latency: started.elapsed(),
                identifier: Some(identifier.value()),
                upstream_status: None,
                client_ip,
                is_test: false,
                cached: true,
            });
            return CallOutcome { result: Ok((profile, identifier)), trace: None };
        }
        let outcome = self.call_out_unlogged(auth, access_token, fields).await;
        if let (Some(key), Ok((profile, identifier))) = (cache_key, &outcome.result) {
            self.auth_cache.put(key, auth.settings.cache_ttl_secs, profile, identifier);
        }
        let latency = started.elapsed();
        let (outcome_code, reason, identifier) = match &outcome.result {
            Ok((_, id)) => (AttemptOutcome::Ok, None, Some(id.value())),
            Err(f) => (AttemptOutcome::Failed(f.code), Some(f.message.as_str()), None),
        };
        let upstream_status = outcome.trace.as_ref().and_then(|t| t.response.as_ref()).map(|r| i64::from(r.status));
        self.record_attempt(AttemptNote {
            bot_id: &auth.bot_id,
            mode: IdentityKind::CustomAuth,
            outcome: outcome_code,
            reason,
            latency,
            identifier,
            upstream_status,
            client_ip,
            is_test,
            cached: false,
        });
        outcome
    }

    async fn call_out_unlogged(&self, auth: &BotAuth, access_token: &str, fields: &WidgetFields) -> CallOutcome {
        let Some(url) = &auth.settings.url else {
            return CallOutcome {
                result: Err(AuthFailure {
                    code: AuthErrorCode::AuthUrlBlocked,
                    message: "No Authentication URL is configured for this bot.".into(),
                }),
                trace: None,
            };
        };
        let Some(_slot) = self.limits.call_slot(&auth.bot_id).await else {
            return CallOutcome {
                result: Err(AuthFailure {
                    code: AuthErrorCode::AuthUpstreamError,
                    message: format!(
                        "More than {} calls to the Authentication URL are in flight; this one was not sent.",
                        self.settings.max_concurrent_calls_per_bot
                    ),
                }),
                trace: None,
            };
        };
        let body = request_body(auth, access_token, fields);
        let secrets = auth.signing_secrets(now_ms());
        let trace = self
            .auth_client
            .call(CallRequest {
                url,
                body: &body,
                headers: &auth.settings.headers,
                secrets: &secrets,
                timeout: Duration::from_millis(auth.settings.timeout_ms.into()),
                identify_method: auth.settings.identify_method,
            })
            .await;
        let result = trace.outcome.clone().map_err(|e| AuthFailure { code: e.code, message: e.message });
        CallOutcome { result, trace: Some(trace) }
    }
}
