//! Contacts and the authentication log.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use concierge_store::{AttemptFilter, Page};
use minijinja::context;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::bots::{bot_options, pick_bot, principal};
use super::{chart, failed, render, Served, SignedIn};
use crate::http::extract::ApiPath;
use crate::http::responses::SignInRequired;
use concierge_core::{now_ms, rfc3339, Services};

pub const TEMPLATES: &[(&str, &str)] = &[
    ("contacts.html", include_str!("../../templates/contacts.html")),
    ("contact.html", include_str!("../../templates/contact.html")),
    ("auth_log.html", include_str!("../../templates/auth_log.html")),
];

pub fn routes() -> OpenApiRouter<Services> {
    OpenApiRouter::new().routes(routes!(contacts_page)).routes(routes!(contact_page)).routes(routes!(auth_log_page))
}

pub(super) fn when(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactsQuery {
    /// The bot whose contacts to list; the first bot when absent.
    bot: Option<String>,
    /// Part of a name, email, phone number or id.
    search: Option<String>,
    /// The page after the one that gave this cursor (a contact's id).
    before: Option<String>,
}

/// Rows of the contacts and the authentication log shown at once; the rest are a page away.
const PAGE_ROWS: u32 = 200;

/// Contacts of a bot, searchable.
#[utoipa::path(get, path = "/contacts", tag = "dashboard", security(("login" = [])), params(ContactsQuery),
    responses(SignInRequired, (status = 200, description = "Contacts", content_type = "text/html"),
        (status = 404, description = "`bot` names no bot in this workspace", content_type = "text/html")))]
pub async fn contacts_page(State(s): State<Services>, who: SignedIn, Query(q): Query<ContactsQuery>) -> Served {
    let (bots, bot) = pick_bot(&s, &who, q.bot.as_deref()).await.map_err(failed)?;
    let search = q.search.unwrap_or_default();
    let (contacts, next) = match &bot {
        Some(bot) => {
            let page = Page { before: q.before.as_deref(), limit: PAGE_ROWS, search: Some(search.as_str()) };
            let page = s.list_contacts(&principal(&who), &bot.id, page).await.map_err(failed)?;
            (page.items, page.next_cursor)
        }
        None => (Vec::new(), None),
    };
    let contacts: Vec<_> = contacts
        .into_iter()
        .map(|c| {
            context! {
                id => c.id, name => c.name, email => c.email, phone_number => c.phone_number,
                external_id => c.external_id, identifier => c.identifier,
                last_authenticated => when(c.last_authenticated_at),
            }
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        "contacts.html",
        context! {
            bots => bot_options(&bots), bot_id => bot.as_ref().map(|b| b.id.clone()), search, contacts,
            next, paged => q.before.is_some(), ..who.layout("contacts")
        },
    ))
}

/// One contact: verified profile, metadata and conversations.
#[utoipa::path(get, path = "/contacts/{id}", tag = "dashboard", security(("login" = [])), params(("id" = String, Path)),
    responses(SignInRequired, (status = 200, description = "Contact", content_type = "text/html"), (status = 404, description = "No such contact", content_type = "text/html")))]
pub async fn contact_page(State(s): State<Services>, who: SignedIn, ApiPath(id): ApiPath<String>) -> Served {
    let (contact, conversations) = s.contact_detail(&principal(&who), &id).await.map_err(failed)?;
    let metadata = serde_json::to_string_pretty(&contact.metadata).unwrap_or_default();
    let conversations: Vec<_> = conversations
        .into_iter()
        .map(|(conversation, messages)| {
            let messages: Vec<_> = messages
                .into_iter()
                .map(|m| context! { author => m.author, text => m.text, at => when(m.created_at) })
                .collect();
            context! { id => conversation.id, updated => when(conversation.updated_at), messages }
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        "contact.html",
        context! {
            contact => context! {
                id => contact.id, bot_id => contact.bot_id, name => contact.name, email => contact.email,
                phone_number => contact.phone_number, external_id => contact.external_id,
                identify_method => contact.identify_method, identifier => contact.identifier,
                created => when(contact.created_at), last_authenticated => when(contact.last_authenticated_at),
                last_authenticated_iso => rfc3339(contact.last_authenticated_at),
            },
            metadata, has_metadata => !contact.metadata.is_empty(), conversations, ..who.layout("contacts")
        },
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuthLogQuery {
    bot: Option<String>,
    /// `ok` or an error code.
    outcome: Option<String>,
    /// `24h` (default), `7d` or `30d`.
    period: Option<String>,
    /// The page after the one that gave this cursor (an attempt's id).
    before: Option<String>,
}

/// The authentication attempts of a bot, with a chart of outcomes over time.
#[utoipa::path(get, path = "/auth-log", tag = "dashboard", security(("login" = [])), params(AuthLogQuery),
    responses(SignInRequired, (status = 200, description = "Authentication log", content_type = "text/html"),
        (status = 404, description = "`bot` names no bot in this workspace", content_type = "text/html")))]
pub async fn auth_log_page(State(s): State<Services>, who: SignedIn, Query(q): Query<AuthLogQuery>) -> Served {
    const HOUR: i64 = 3_600_000;
    let (bots, bot) = pick_bot(&s, &who, q.bot.as_deref()).await.map_err(failed)?;
    let period = match q.period.as_deref() {
        Some("7d") => "7d",
        Some("30d") => "30d",
        _ => "24h",
    };
    let (bucket_ms, buckets) = match period {
        "7d" => (6 * HOUR, 28),
        "30d" => (24 * HOUR, 30),
        _ => (HOUR, 24),
    };
    let start = (now_ms() / bucket_ms + 1 - buckets) * bucket_ms;
    let outcome = q.outcome.and_then(|o| o.parse::<concierge_domain::AttemptOutcome>().ok());
    let (chart, attempts, next) = match &bot {
        Some(bot) => {
            let who_p = principal(&who);
            let counts = s.attempt_counts(&who_p, &bot.id, start, bucket_ms).await.map_err(failed)?;
            let label = |t: i64| {
                let format = if bucket_ms >= 24 * HOUR { "%b %d" } else { "%b %d %H:%M" };
                DateTime::<Utc>::from_timestamp_millis(t).map(|d| d.format(format).to_string()).unwrap_or_default()
            };
            let chart = chart::build(&counts, start, bucket_ms, buckets as usize, label);
            let filter = AttemptFilter { outcome, since: Some(start), before: q.before.as_deref(), limit: PAGE_ROWS };
            let page = s.list_attempts(&who_p, &bot.id, filter).await.map_err(failed)?;
            (Some(chart), page.items, page.next_cursor)
        }
        None => (None, Vec::new(), None),
    };
    let attempts: Vec<_> = attempts
        .into_iter()
        .map(|a| {
            context! {
                at => when(a.created_at), outcome => a.outcome, reason => a.reason, latency_ms => a.latency_ms,
                identifier => a.identifier, status => a.upstream_status, test => a.is_test, cached => a.cached,
                mode => a.mode.label(),
            }
        })
        .collect();
    let outcomes: Vec<&str> =
        std::iter::once("ok").chain(concierge_domain::AuthErrorCode::ALL.iter().map(|c| c.as_str())).collect();
    Ok(render(
        StatusCode::OK,
        "auth_log.html",
        context! {
            bots => bot_options(&bots), bot_id => bot.as_ref().map(|b| b.id.clone()),
            period, outcome, outcomes, chart => minijinja::Value::from_serialize(&chart), attempts,
            next, paged => q.before.is_some(), ..who.layout("auth-log")
        },
    ))
}
