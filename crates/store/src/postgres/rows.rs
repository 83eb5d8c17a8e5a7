//! PostgreSQL rows to models. JSONB columns arrive parsed and are checked for their shape.

use sqlx::postgres::PgRow;
use sqlx::Row;

use crate::{
    decode_json_value, ApiTokenOwner, Attempt, Bot, Contact, Conversation, CustomAuthRecord, Message, Result, Session,
    User, Workspace,
};

pub(super) fn workspace(row: &PgRow) -> Result<Workspace> {
    Ok(Workspace {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        is_default: row.try_get("is_default")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(super) fn user(row: &PgRow) -> Result<User> {
    Ok(User {
        id: row.try_get("id")?,
        workspace_id: row.try_get("workspace_id")?,
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(super) fn api_token_owner(row: &PgRow) -> Result<ApiTokenOwner> {
    Ok(ApiTokenOwner {
        token_id: row.try_get("token_id")?,
        user_id: row.try_get("user_id")?,
        workspace_id: row.try_get("workspace_id")?,
    })
}

pub(super) fn bot(row: &PgRow) -> Result<Bot> {
    Ok(Bot {
        id: row.try_get("id")?,
        workspace_id: row.try_get("workspace_id")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub(super) fn custom_auth(row: &PgRow) -> Result<CustomAuthRecord> {
    Ok(CustomAuthRecord {
        bot_id: row.try_get("bot_id")?,
        enabled: row.try_get("enabled")?,
        url: row.try_get("url")?,
        additional_fields: decode_json_value("additional_fields", row.try_get("additional_fields")?)?,
        identify_method: row.try_get("identify_method")?,
        timeout_ms: row.try_get("timeout_ms")?,
        on_failure: row.try_get("on_failure")?,
        headers: decode_json_value("headers", row.try_get("headers")?)?,
        allowed_origins: decode_json_value("allowed_origins", row.try_get("allowed_origins")?)?,
        signing_secret_sealed: row.try_get("signing_secret_sealed")?,
        previous_secret_sealed: row.try_get("previous_secret_sealed")?,
        previous_secret_expires_at: row.try_get("previous_secret_expires_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub(super) fn contact(row: &PgRow) -> Result<Contact> {
    Ok(Contact {
        id: row.try_get("id")?,
        bot_id: row.try_get("bot_id")?,
        identify_method: row.try_get("identify_method")?,
        identifier: row.try_get("identifier")?,
        external_id: row.try_get("external_id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        phone_number: row.try_get("phone_number")?,
        metadata: decode_json_value("metadata", row.try_get("metadata")?)?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        last_authenticated_at: row.try_get("last_authenticated_at")?,
    })
}

pub(super) fn conversation(row: &PgRow) -> Result<Conversation> {
    Ok(Conversation {
        id: row.try_get("id")?,
        bot_id: row.try_get("bot_id")?,
        contact_id: row.try_get("contact_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub(super) fn session(row: &PgRow) -> Result<Session> {
    Ok(Session {
        id: row.try_get("id")?,
        bot_id: row.try_get("bot_id")?,
        contact_id: row.try_get("contact_id")?,
        conversation_id: row.try_get("conversation_id")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}

pub(super) fn message(row: &PgRow) -> Result<Message> {
    Ok(Message {
        seq: row.try_get("seq")?,
        conversation_id: row.try_get("conversation_id")?,
        author: row.try_get("author")?,
        text: row.try_get("text")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(super) fn attempt(row: &PgRow) -> Result<Attempt> {
    Ok(Attempt {
        id: row.try_get("id")?,
        bot_id: row.try_get("bot_id")?,
        outcome: row.try_get("outcome")?,
        reason: row.try_get("reason")?,
        latency_ms: row.try_get("latency_ms")?,
        identifier: row.try_get("identifier")?,
        upstream_status: row.try_get("upstream_status")?,
        client_ip: row.try_get("client_ip")?,
        is_test: row.try_get("is_test")?,
        created_at: row.try_get("created_at")?,
    })
}
