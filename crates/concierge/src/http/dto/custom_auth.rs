//! The admin API's Custom Authentication: settings, static headers and the test request.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::schema::{additional_fields, identify_method, non_blank_text, on_failure};
use concierge_core::{rfc3339, AuthFailure, AuthTestInput, AuthTestReport, BotAuth, ContactMatch};
use concierge_domain::{AttemptOutcome, StaticHeader};

/// What a masked header value looks like; sending it back keeps the stored value.
pub const MASK: &str = "********";

/// A bot's Custom Authentication settings as read. Header values are write-only.
#[derive(Serialize, ToSchema)]
pub struct CustomAuthDto {
    pub enabled: bool,
    pub url: Option<String>,
    /// Which widget fields are forwarded: `user_id`, `email`, `name`, `phone_number`.
    pub additional_fields: Vec<String>,
    /// `id` (default), `email` or `phone_number`.
    pub identify_method: String,
    pub timeout_ms: u32,
    /// `anonymous` (default) or `block`.
    pub on_failure: String,
    /// Static headers; every value reads as `********`.
    pub headers: BTreeMap<String, String>,
    /// Page origins allowed to use the widget; empty = any.
    pub allowed_origins: Vec<String>,
    /// Seconds a verified answer is reused for the same access token and fields, without
    /// calling the Authentication URL; 0 = call every time.
    pub cache_ttl_secs: u32,
    /// The Standard Webhooks secret that signs every call (`whsec_…`).
    pub signing_secret: String,
    /// While set, secrets retired by rotations also sign, the last of them until this time
    /// (each retired secret signs for the grace period after its rotation; up to four do).
    pub previous_secret_expires_at: Option<String>,
}

impl From<&BotAuth> for CustomAuthDto {
    fn from(a: &BotAuth) -> Self {
        let s = &a.settings;
        Self {
            enabled: s.enabled,
            url: s.url.as_ref().map(|u| u.to_string()),
            additional_fields: s.additional_fields.iter().map(|f| f.as_str().to_owned()).collect(),
            identify_method: s.identify_method.as_str().to_owned(),
            timeout_ms: s.timeout_ms,
            on_failure: s.on_failure.as_str().to_owned(),
            headers: s.headers.iter().map(|h| (h.name.clone(), MASK.to_owned())).collect(),
            allowed_origins: s.allowed_origins.clone(),
            cache_ttl_secs: s.cache_ttl_secs,
            signing_secret: a.secret.expose().to_owned(),
            previous_secret_expires_at: a.previous.until(concierge_core::now_ms()).map(rfc3339),
        }
    }
}

/// New settings (PUT: a missing field takes its default). A header whose value is null or
/// `********` keeps its stored value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomAuthBody {
    pub enabled: Option<bool>,
    pub url: Option<String>,
    #[schema(schema_with = additional_fields)]
    pub additional_fields: Option<Vec<String>>,
    #[schema(schema_with = identify_method)]
    pub identify_method: Option<String>,
    #[schema(minimum = 100, maximum = 30_000)]
    pub timeout_ms: Option<i64>,
    #[schema(schema_with = on_failure)]
    pub on_failure: Option<String>,
    pub headers: Option<BTreeMap<String, Option<String>>>,
    /// Page origins allowed to use the widget; empty: any. Left out: the stored list stays.
    pub allowed_origins: Option<Vec<String>>,
    /// 0 (no cache, the first default) to 3600. Left out: the stored time stays.
    #[schema(minimum = 0, maximum = 3600)]
    pub cache_ttl_secs: Option<i64>,
    /// Read-only; accepted so that a GET answer can be sent back as it is.
    #[serde(default)]
    #[schema(read_only)]
    pub signing_secret: Option<String>,
    /// Read-only; accepted so that a GET answer can be sent back as it is.
    #[serde(default)]
    #[schema(read_only)]
    pub previous_secret_expires_at: Option<String>,
}

impl From<CustomAuthBody> for concierge_domain::CustomAuthInput {
    fn from(b: CustomAuthBody) -> Self {
        Self {
            enabled: b.enabled,
            url: b.url,
            additional_fields: b.additional_fields,
            identify_method: b.identify_method,
            timeout_ms: b.timeout_ms,
            on_failure: b.on_failure,
            headers: b.headers.map(|h| h.into_iter().map(|(k, v)| (k, v.filter(|v| v != MASK))).collect()),
            allowed_origins: b.allowed_origins,
            cache_ttl_secs: b.cache_ttl_secs,
            url_optional: false,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthTestBody {
    #[schema(schema_with = non_blank_text)]
    pub access_token: String,
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    #[serde(alias = "phone")]
    pub phone_number: Option<String>,
}

/// What a page would present to the bot's identity mode: an access token (a Custom
/// Authentication call, a signed user token) or an identifier and its `user_hash`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityTestBody {
    pub access_token: Option<String>,
    pub user_hash: Option<String>,
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    #[serde(alias = "phone")]
    pub phone_number: Option<String>,
}

impl From<IdentityTestBody> for concierge_core::IdentityTestInput {
    fn from(b: IdentityTestBody) -> Self {
        Self { access_token: b.access_token, user_hash: b.user_hash, fields: widget_fields!(b) }
    }
}

impl From<AuthTestBody> for AuthTestInput {
    fn from(b: AuthTestBody) -> Self {
        Self { access_token: b.access_token, fields: widget_fields!(b) }
    }
}

#[derive(Serialize, ToSchema)]
pub struct OutcomeDto {
    /// `ok` or an error code.
    pub code: String,
    pub message: String,
}

impl From<AuthFailure> for OutcomeDto {
    fn from(f: AuthFailure) -> Self {
        Self { code: f.code.as_str().into(), message: f.message }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ContactMatchDto {
    /// `existing` or `new`.
    pub status: String,
    pub contact_id: Option<String>,
}

impl From<ContactMatch> for ContactMatchDto {
    fn from(m: ContactMatch) -> Self {
        match m {
            ContactMatch::Existing { contact_id } => Self { status: "existing".into(), contact_id: Some(contact_id) },
            ContactMatch::New => Self { status: "new".into(), contact_id: None },
        }
    }
}

/// The static headers with their real values. Not `Debug`, so it cannot end up in a log.
#[derive(Serialize, ToSchema)]
pub struct StaticHeadersDto {
    pub headers: Vec<StaticHeaderDto>,
}

#[derive(Serialize, ToSchema)]
pub struct StaticHeaderDto {
    pub name: String,
    pub value: String,
}

impl From<Vec<StaticHeader>> for StaticHeadersDto {
    fn from(headers: Vec<StaticHeader>) -> Self {
        Self { headers: headers.into_iter().map(|h| StaticHeaderDto { name: h.name, value: h.value }).collect() }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuthTestDto {
    pub ok: bool,
    /// The identity mode that was tried: `custom_auth`, `jwt` or `identity_hash`.
    pub mode: String,
    pub outcome: OutcomeDto,
    pub identify_method: String,
    /// The normalised identifier the contact is found by.
    pub identifier: Option<String>,
    /// The profile the answer would write.
    #[schema(value_type = Option<Object>)]
    pub profile: Option<concierge_domain::VerifiedProfile>,
    pub contact: Option<ContactMatchDto>,
    pub duration_ms: u64,
    /// The request as sent (static header values masked); absent when none was sent.
    #[schema(value_type = Option<Object>)]
    pub request: Option<concierge_authcall::SentRequest>,
    /// The response as received (body up to 64 KiB); absent when none arrived.
    #[schema(value_type = Option<Object>)]
    pub response: Option<concierge_authcall::ReceivedResponse>,
    /// Reproduces the signed request (valid for five minutes).
    pub curl: Option<String>,
    /// A signed user token as decoded, before any check, with the verdict; absent in the
    /// other modes.
    pub token: Option<TokenDto>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenDto {
    /// The JOSE header (`alg`, `kid`, …), or null when it does not decode.
    #[schema(value_type = Option<Object>)]
    pub header: Option<serde_json::Value>,
    /// The claims, or null when they do not decode. Shown whether or not the signature
    /// verifies: read `verdict`.
    #[schema(value_type = Option<Object>)]
    pub claims: Option<serde_json::Value>,
    /// The signature's and the claims' verdict, in words.
    pub verdict: String,
}

impl From<AuthTestReport> for AuthTestDto {
    fn from(report: AuthTestReport) -> Self {
        let ok = report.result.is_ok();
        let (outcome, identifier, profile) = match report.result {
            Ok((profile, identifier)) => (
                OutcomeDto {
                    code: AttemptOutcome::Ok.as_str().into(),
                    message: format!(
                        "Authenticated: the contact is identified by {} {:?}.",
                        identifier.method().label(),
                        identifier.value()
                    ),
                },
                Some(identifier.value().to_owned()),
                Some(profile),
            ),
            Err(f) => (f.into(), None, None),
        };
        let trace = report.trace;
        Self {
            ok,
            mode: report.mode.as_str().into(),
            outcome,
            identify_method: report.identify_method.as_str().into(),
            identifier,
            profile,
            contact: report.contact.map(Into::into),
            duration_ms: trace.as_ref().map(|t| t.duration.as_millis() as u64).unwrap_or(0),
            curl: trace.as_ref().map(|t| t.curl_command()),
            request: trace.as_ref().map(|t| t.request.clone()),
            response: trace.and_then(|t| t.response),
            token: report.token.map(|t| TokenDto { header: t.header, claims: t.claims, verdict: t.verdict }),
        }
    }
}
