//! The admin API's contacts and authentication attempts.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::schema::{attempt_outcome, outcome};
use concierge_core::{rfc3339, AttemptPage, Error};
use concierge_domain::{AttemptOutcome, IdentityKind};
use concierge_store::AttemptFilter;

#[derive(Serialize, ToSchema)]
pub struct ContactDto {
    pub id: String,
    pub bot_id: String,
    pub identify_method: String,
    /// The normalised value the contact is found by.
    pub identifier: String,
    /// `data.id` of the customer's answer.
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone_number: Option<String>,
    #[schema(value_type = Object)]
    pub metadata: Map<String, Value>,
    /// Always true: a contact's profile comes only from the customer's API.
    pub verified: bool,
    pub created_at: String,
    pub updated_at: String,
    pub last_authenticated_at: String,
}

impl From<concierge_store::Contact> for ContactDto {
    fn from(c: concierge_store::Contact) -> Self {
        Self {
            id: c.id,
            bot_id: c.bot_id,
            identify_method: c.identify_method,
            identifier: c.identifier,
            external_id: c.external_id,
            email: c.email,
            name: c.name,
            phone_number: c.phone_number,
            metadata: c.metadata,
            verified: true,
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
            last_authenticated_at: rfc3339(c.last_authenticated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ContactPageDto {
    pub items: Vec<ContactDto>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// The `next_cursor` of the previous page.
    pub before: Option<String>,
    /// 1..=200 (others are clamped), default 50.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 4294967295.0)]
    pub limit: Option<u32>,
    /// Case-insensitive part of a name, email, phone number or id.
    pub search: Option<String>,
}

#[derive(Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AttemptQuery {
    /// `ok` or an error code.
    #[param(schema_with = attempt_outcome)]
    pub outcome: Option<String>,
    /// RFC 3339 time; only attempts at or after it.
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<String>,
    pub before: Option<String>,
    /// 1..=200 (others are clamped), default 50.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 4294967295.0)]
    pub limit: Option<u32>,
}

impl AttemptQuery {
    /// The filter the query asks for; `invalid_query` for an outcome or time it cannot.
    pub fn filter(&self) -> Result<AttemptFilter<'_>, Error> {
        let outcome = match self.outcome.as_deref() {
            None => None,
            Some(outcome) => Some(outcome.parse::<AttemptOutcome>().map_err(|_| Error::BadRequest {
                code: "invalid_query",
                message: format!("outcome must be ok or an error code such as invalid_token, not {outcome:?}."),
            })?),
        };
        let since = match self.since.as_deref() {
            None => None,
            Some(t) => Some(
                chrono::DateTime::parse_from_rfc3339(t)
                    .map_err(|_| Error::BadRequest {
                        code: "invalid_query",
                        message: format!("since must be an RFC 3339 time such as 2026-01-31T12:00:00Z, not {t:?}."),
                    })?
                    .timestamp_millis(),
            ),
        };
        Ok(AttemptFilter { outcome, since, before: self.before.as_deref(), limit: self.limit.unwrap_or(50) })
    }
}

#[derive(Serialize, ToSchema)]
pub struct AttemptDto {
    pub id: String,
    pub bot_id: String,
    /// `ok` or an error code.
    #[schema(schema_with = outcome)]
    pub outcome: AttemptOutcome,
    pub reason: Option<String>,
    pub latency_ms: i64,
    pub identifier: Option<String>,
    pub upstream_status: Option<i64>,
    pub client_ip: Option<String>,
    /// Made by the testing endpoint.
    pub test: bool,
    /// Answered from the auth result cache (`cache_ttl_secs`), without a call.
    pub cached: bool,
    /// The identity mode that made the attempt: `custom_auth`, `jwt` or `identity_hash`.
    pub mode: IdentityKind,
    pub created_at: String,
}

impl From<concierge_store::Attempt> for AttemptDto {
    fn from(a: concierge_store::Attempt) -> Self {
        Self {
            id: a.id,
            bot_id: a.bot_id,
            outcome: a.outcome,
            reason: a.reason,
            latency_ms: a.latency_ms,
            identifier: a.identifier,
            upstream_status: a.upstream_status,
            client_ip: a.client_ip,
            test: a.is_test,
            cached: a.cached,
            mode: a.mode,
            created_at: rfc3339(a.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AttemptPageDto {
    pub items: Vec<AttemptDto>,
    pub next_cursor: Option<String>,
}

impl From<AttemptPage> for AttemptPageDto {
    fn from(page: AttemptPage) -> Self {
        Self { items: page.items.into_iter().map(Into::into).collect(), next_cursor: page.next_cursor }
    }
}
