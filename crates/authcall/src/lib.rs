//! The outbound call to a customer's Authentication URL (steps 3-4 of the flow).
//!
//! One [`AuthClient`] is shared by every bot. A call signs the JSON body with the bot's
//! Standard Webhooks secret(s), adds the static headers, POSTs it through an address guard
//! that judges every address *after* DNS resolution (so a name that later re-resolves to an
//! internal address cannot slip through), and turns whatever happens into a [`CallTrace`]:
//! what was sent, what came back, how long it took, and the outcome, either the verified
//! profile or a [`CallError`] with a stable [`AuthErrorCode`](concierge_domain::AuthErrorCode).
//!
//! Module map: `guard` (which addresses may be called), `lookup` (where names are looked up:
//! the system's resolver, or a fixed table in tests), `outbound` (the guarded HTTP client,
//! shared with the bot's language model calls), `signing` (Standard Webhooks headers),
//! `client` (the call itself), `response` (reading an answer within the size cap), `trace`
//! (the record of a call), `curl` (the call as a shell command).

mod client;
mod curl;
mod guard;
mod lookup;
mod outbound;
mod provider;
mod response;
mod signing;
#[cfg(feature = "testing")]
pub mod testing;
mod trace;

pub use client::{AuthClient, BuildError, CallRequest, ClientConfig};
pub use concierge_domain::UpstreamPolicy;
pub use lookup::Lookup;
pub use outbound::{blocked_reason, check_outbound_url, guarded_http_client};
pub use provider::{Credentials, ProviderAnswer, ProviderRequest, ProviderTrace};
pub use response::{read_capped, MAX_RESPONSE_BYTES};
pub use trace::{CallError, CallTrace, Header, ReceivedResponse, SentRequest, MASK};
