//! The call-out shared by session start and the testing endpoint, so the test runs the
//! identical code path: build the body, take a call slot, call, log the attempt.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use concierge_authcall::{CallRequest, CallTrace};
use concierge_domain::{
    check_access_token, check_page_field, AdditionalField, AttemptOutcome, AuthErrorCode, FieldError, Identifier,
    IdentityKind, VerifiedProfile,
};
use futures::future::{BoxFuture, FutureExt};
use serde_json::{Map, Value};
use tracing::Instrument;

use super::attempts::AttemptNote;
use super::auth_flight::Boarding;
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

/// The result of one call-out; `trace` is that of the call that answered (shared by the
/// starts that joined it), absent when no request was sent.
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
    /// One start's (or test's) call, logged. Starts presenting the same token and fields
    /// at the same time share one call (`auth_flight`).
    ///
    /// The attempt log shows what the customer's API saw: one call is one row with
    /// `cached: false`, and every start answered without a call of its own (from the cache,
    /// or by an identical call already in flight) has its own row with `cached: true`.
    pub(super) async fn call_out(
        &self,
        auth: &BotAuth,
        access_token: &str,
        fields: &WidgetFields,
        client_ip: Option<IpAddr>,
        is_test: bool,
    ) -> CallOutcome {
        let started = Instant::now();
        // The testing panel always calls: it is there to show what the API answers now.
        if is_test {
            let outcome = self.call_out_unlogged(auth, access_token, fields).await;
            self.note_call(auth, &outcome, started, client_ip, true, false);
            return outcome;
        }
        let key = self.auth_cache.key(auth, access_token, fields);
        let cached = || (auth.settings.cache_ttl_secs > 0).then(|| self.auth_cache.get(&key)).flatten();
        let boarding = match cached() {
            Some(answer) => Boarding::Found(answer),
            None => {
                self.flights.board(key, cached, || self.take_off(key, auth, access_token, fields, client_ip, started))
            }
        };
        let (flight, led) = match boarding {
            Boarding::Found((profile, identifier)) => {
                let outcome = CallOutcome { result: Ok((profile, identifier)), trace: None };
                self.note_call(auth, &outcome, started, client_ip, false, true);
                return outcome;
            }
            Boarding::Led(flight) => (flight, true),
            Boarding::Joined(flight) => (flight, false),
        };
        let landed = flight.await;
        let outcome = CallOutcome { result: landed.result.clone(), trace: landed.trace.clone() };
        if !led {
            self.note_call(auth, &outcome, started, client_ip, false, true);
        }
        outcome
    }

    /// Begins the call under `key`, logged as the call of the start that began it.
    fn take_off(
        &self,
        key: [u8; 32],
        auth: &BotAuth,
        access_token: &str,
        fields: &WidgetFields,
        client_ip: Option<IpAddr>,
        started: Instant,
    ) -> BoxFuture<'static, Arc<CallOutcome>> {
        let (services, auth, access_token, fields) =
            (self.clone(), auth.clone(), access_token.to_owned(), fields.clone());
        // A task of its own: the starts that joined wait for the call whether or not the
        // start that began it is still there, and the call the API saw is logged either way.
        let call = tokio::spawn(
            async move {
                let landing = services.flights.landing(key);
                let outcome = services.call_out_unlogged(&auth, &access_token, &fields).await;
                if let (true, Ok((profile, identifier))) = (auth.settings.cache_ttl_secs > 0, &outcome.result) {
                    services.auth_cache.put(key, auth.settings.cache_ttl_secs, profile, identifier);
                }
                // After the answer is cached: a start that finds no flight finds the answer.
                drop(landing);
                services.note_call(&auth, &outcome, started, client_ip, false, false);
                Arc::new(outcome)
            }
            .in_current_span(),
        );
        async move { call.await.unwrap_or_else(|e| panic!("the authentication call's task failed: {e}")) }.boxed()
    }

    /// Logs one start's call, or with `shared` a start answered without a call of its own,
    /// whose upstream status belongs to the row of the call that answered it.
    fn note_call(
        &self,
        auth: &BotAuth,
        call: &CallOutcome,
        started: Instant,
        client_ip: Option<IpAddr>,
        is_test: bool,
        shared: bool,
    ) {
        let (outcome, reason, identifier) = match &call.result {
            Ok((_, id)) => (AttemptOutcome::Ok, None, Some(id.value())),
            Err(f) => (AttemptOutcome::Failed(f.code), Some(f.message.as_str()), None),
        };
        let status = call.trace.as_ref().and_then(|t| t.response.as_ref()).map(|r| i64::from(r.status));
        self.record_attempt(AttemptNote {
            bot_id: &auth.bot_id,
            mode: IdentityKind::CustomAuth,
            outcome,
            reason,
            latency: started.elapsed(),
            identifier,
            upstream_status: status.filter(|_| !shared),
            client_ip,
            is_test,
            cached: shared,
        });
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
