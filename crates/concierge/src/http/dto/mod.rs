//! The JSON shapes of the API, documented for OpenAPI, with their conversions from and to
//! the use cases' types: one module for each part of the admin API, and the widget's.

/// The widget's page fields (`data-user-id`, `data-email`, …) of a body that carries them,
/// as the call-out forwards them. A macro because the bodies cannot share a struct for
/// them: serde's `flatten` does not work with `deny_unknown_fields`, and it would change
/// the documented schemas.
macro_rules! widget_fields {
    ($body:ident) => {
        concierge_core::WidgetFields {
            user_id: $body.user_id,
            email: $body.email,
            name: $body.name,
            phone_number: $body.phone_number,
        }
    };
}

/// A body that is one message's text. The visitor's message and the agent's reply are
/// that one shape under the names the document has for them.
macro_rules! message_body {
    ($name:ident) => {
        #[derive(serde::Deserialize, utoipa::ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            #[schema(schema_with = super::schema::message_text)]
            pub text: String,
        }
    };
}

mod bots;
mod custom_auth;
mod identity;
mod inbox;
mod knowledge;
mod llm;
mod records;
mod schema;
mod unanswered;
mod widget;

pub use bots::*;
pub use custom_auth::*;
pub use identity::*;
pub use inbox::*;
pub use knowledge::*;
pub use llm::*;
pub use records::*;
pub use unanswered::*;
pub use widget::*;
