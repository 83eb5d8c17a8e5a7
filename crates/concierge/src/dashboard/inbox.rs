//! The inbox page: conversations updating live (those waiting for a person first), the
//! open conversation with its contact, agent replies, take over and resolve (the page's
//! script drives the JSON API).

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use concierge_domain::{AdditionalField, Author};
use minijinja::context;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::bots::{bot_options, pick_bot, principal};
use super::records::when;
use super::{failed, render, SignedIn};
use crate::http::responses::SignInRequired;
use concierge_core::{rfc3339, Error, Services};

pub const TEMPLATES: &[(&str, &str)] = &[("inbox.html", include_str!("../../templates/inbox.html"))];

const SCRIPT: &str = include_str!("../../assets/inbox.js");

pub fn routes() -> OpenApiRouter<Services> {
    OpenApiRouter::new().routes(routes!(inbox_page)).routes(routes!(script))
}

/// The inbox page's script.
#[utoipa::path(get, path = "/assets/inbox.js", tag = "dashboard",
    responses((status = 200, description = "Script", content_type = "text/javascript")))]
pub async fn script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")], SCRIPT)
        .into_response()
}

/// Who wrote a message, as the thread shows it: the person's name on agent answers.
fn author_label(author: Author, name: Option<&str>) -> String {
    match (author, name) {
        (Author::Agent, Some(name)) => name.to_owned(),
        (Author::Agent, None) => "Agent".to_owned(),
        (Author::Bot, _) => "Bot".to_owned(),
        (Author::Visitor, _) => "Visitor".to_owned(),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// The bot; the first bot when absent.
    bot: Option<String>,
    /// The open conversation.
    c: Option<String>,
}

/// Conversations of a bot, live, with the open one and its contact.
#[utoipa::path(get, path = "/inbox", tag = "dashboard", security(("login" = [])), params(InboxQuery),
    responses(SignInRequired, (status = 200, description = "Inbox", content_type = "text/html"),
        (status = 404, description = "`bot` names no bot in this workspace", content_type = "text/html")))]
pub async fn inbox_page(State(s): State<Services>, who: SignedIn, Query(q): Query<InboxQuery>) -> Response {
    match inbox(&s, &who, q).await {
        Ok(page) => page,
        Err(e) => failed(e),
    }
}

async fn inbox(s: &Services, who: &SignedIn, q: InboxQuery) -> Result<Response, Error> {
    let me = principal(who);
    let (bots, bot) = pick_bot(s, who, q.bot.as_deref()).await?;
    let (items, next) = match &bot {
        Some(bot) => {
            let page = s.inbox(&me, &bot.id, None).await?;
            (page.items, page.next_cursor)
        }
        None => (Vec::new(), None),
    };
    let open = match q.c.as_deref() {
        Some(id) => Some(s.conversation_for(&me, id).await?),
        None => None,
    };
    let (contact, metadata) = match open.as_ref().and_then(|c| c.contact_id.clone()) {
        Some(id) => {
            let c = s.contact_for(&me, &id).await?;
            let metadata =
                (!c.metadata.is_empty()).then(|| serde_json::to_string_pretty(&c.metadata).unwrap_or_default());
            (Some(c), metadata)
        }
        None => (None, None),
    };
    let messages = match &open {
        Some(c) => s.conversation_messages(&me, &c.id, 0, None).await?,
        None => Vec::new(),
    };
    let page_fields: Vec<_> = match &open {
        Some(c) => s.page_fields(&me, &c.id).await?,
        None => Vec::new(),
    }
    .into_iter()
    .map(|(field, value)| {
        let label = field.parse::<AdditionalField>().map_or("Other", field_label);
        context! { label, attribute => format!("data-{}", field.replace('_', "-")), value }
    })
    .collect();
    let who_label = |name: Option<&str>, email: Option<&str>| name.or(email).unwrap_or("Visitor").to_owned();
    let items: Vec<_> = items
        .into_iter()
        .map(|i| {
            // The order and version the page's script keeps the list in (see inbox.js).
            let rank = i.rank();
            context! {
                id => i.id, handled_by => i.handled_by, priority => i.priority, agent_name => i.agent_name,
                last_text => i.last_text, who => who_label(i.contact_name.as_deref(), i.contact_email.as_deref().or(i.contact_identifier.as_deref())),
                rank, updated => rfc3339(i.updated_at), last => i.last_seq,
            }
        })
        .collect();
    let conversation = open.map(|c| {
        // A contact known by its identifier alone (an identity hash, a token without a
        // name) is named by it, not taken for an anonymous visitor.
        let label = who_label(
            contact.as_ref().and_then(|x| x.name.as_deref()),
            contact.as_ref().and_then(|x| x.email.as_deref().or(Some(x.identifier.as_str()))),
        );
        context! { id => c.id, handled_by => c.handled_by, priority => c.priority, agent_name => c.agent_name, who => label }
    });
    // A full page: there may be earlier messages, a button away.
    let earlier = messages.len() == concierge_core::THREAD_PAGE as usize;
    let messages: Vec<_> = messages
        .into_iter()
        .map(|m| {
            let label = author_label(m.author, m.author_name.as_deref());
            // In UTC until the page's script writes it in the agent's own time zone.
            let (written, written_utc) = (rfc3339(m.created_at), when(m.created_at));
            context! { id => m.seq, author => m.author, label, text => m.text, written, written_utc }
        })
        .collect();
    // Answering takes a conversation over under this name; the script shows it at once.
    let me_name = s.agent_name(&me).await?;
    let contact = contact.map(|c| {
        context! {
            id => c.id, name => c.name, email => c.email, phone_number => c.phone_number,
            external_id => c.external_id, identifier => c.identifier,
        }
    });
    Ok(render(
        StatusCode::OK,
        "inbox.html",
        context! {
            bots => bot_options(&bots), bot_id => bot.map(|b| b.id), items, conversation, messages, contact, metadata,
            page_fields, next, earlier,
            me_name, ..who.layout("inbox")
        },
    ))
}

fn field_label(field: AdditionalField) -> &'static str {
    match field {
        AdditionalField::UserId => "User ID",
        AdditionalField::Email => "Email",
        AdditionalField::Name => "Name",
        AdditionalField::PhoneNumber => "Phone",
    }
}
