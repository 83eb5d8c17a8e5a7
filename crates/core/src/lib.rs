//! Concierge's use cases: configure bots, start widget sessions, run the authentication
//! test, read the attempt log, answer as the bot, hand over to the inbox. Knows the store,
//! the bus and the outbound calls through their ports, and nothing of HTTP: this crate
//! depends on no web framework, so the compiler keeps it that way.

pub mod bus;
pub mod seal;
mod settings;

mod accounts;
mod answer;
mod attempts;
mod auth_cache;
mod auth_flight;
mod auth_flow;
mod auth_settings;
mod auth_test;
mod bot_config;
mod bots;
mod cluster_limit;
mod contacts;
mod dashboard_auth;
mod decide;
mod embeddings;
mod error;
mod group_commit;
mod identity;
mod identity_settings;
mod inbox;
mod knowledge;
mod limits;
mod llm_settings;
mod meaning;
mod messages;
mod paging;
mod password;
mod preview;
mod principal;
mod retired;
mod session;
mod session_writer;
mod time;
mod unanswered;
mod unfinished;

use std::sync::Arc;

use concierge_authcall::AuthClient;
use concierge_bot::LlmClient;
use concierge_store::Store;

use crate::bus::Bus;
use crate::seal::Sealer;

pub use accounts::{create_api_token, create_user, create_workspace};
pub use attempts::AttemptPage;
pub use auth_flow::{AuthFailure, WidgetFields};
pub use auth_settings::BotAuth;
pub use auth_settings::JwtKey;
pub use auth_test::{AuthTestInput, AuthTestReport, ContactMatch, IdentityTestInput};
pub use bots::{bot_template, BotPatch, PublicBot, MAX_BOT_NAME};
pub use contacts::ContactPage;
pub use dashboard_auth::{csrf_matches, csrf_token, SetupLink};
pub use decide::{Decision, HandoffReason, Reply};
pub use error::{Error, Result, INTERNAL_MESSAGE};
pub use identity::{Identified, IdentityMode, Presented, TokenReport, Verification};
pub use identity_settings::{IdentityRequest, MAX_JWT_KEYS};
pub use inbox::{InboxPage, INBOX_PAGE, THREAD_PAGE};
pub use knowledge::{
    one_line, ArticleInput, MAX_ARTICLES, MAX_ARTICLE_BODY, MAX_ARTICLE_TITLE, MAX_ASKED_AS, MAX_ASKED_AS_CHARS,
};
pub use limits::Limits;
pub use llm_settings::{LlmInput, LlmView};
pub use meaning::Meaning;
pub use preview::{ArticleWords, Preview};
pub use principal::Principal;
pub use retired::Retired;
pub use session::{ClientInfo, SessionStarted, StartSession, WidgetState};
pub use settings::{Settings, HELLO_WITHIN, JWKS_REFETCH_AFTER, SOCKET_CHECK_EVERY};
pub use time::{now_ms, rfc3339};
pub use unanswered::{ArticleMatch, Today, UnansweredPage, UnansweredQuestion, MAX_UNANSWERED_PAGE, UNANSWERED_PAGE};

/// Everything a use case needs, shared by all requests. One pointer: the HTTP layer
/// clones it for every request, and cloning each of its parts took 2.5 % of a session
/// start's profile.
#[derive(Clone)]
pub struct Services(Arc<Parts>);

impl std::ops::Deref for Services {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

/// What [`Services`] points to.
#[derive(Clone)]
pub struct Parts {
    pub store: Arc<dyn Store>,
    pub bus: Arc<Bus>,
    pub settings: Arc<Settings>,
    sealer: Sealer,
    auth_client: Arc<AuthClient>,
    llm_client: LlmClient,
    limits: Arc<Limits>,
    /// Each bot's search index, checked against the bot's knowledge revision on use.
    knowledge_cache: moka::sync::Cache<String, Arc<knowledge::Knowledge>>,
    /// See [`Services::bot_turns`].
    bot_turns: Arc<tokio::sync::watch::Sender<u64>>,
    /// The bot's turns under way, which a stopping process finishes first.
    bot_tasks: tokio_util::task::TaskTracker,
    /// Cancelled when the process begins to stop: see [`Services::stopping`].
    stopping: tokio_util::sync::CancellationToken,
    attempt_log: attempts::AttemptLog,
    auth_cache: Arc<auth_cache::AuthCache>,
    /// The calls to customers' APIs in flight, which identical starts share.
    flights: Arc<auth_flight::Flights>,
    /// The public keys at the bots' JWKS URLs.
    jwks: Arc<identity::jwks::Jwks>,
    /// The discovery documents of the bots' OpenID Connect issuers.
    discoveries: identity::oauth::Discoveries,
    bot_configs: Arc<bot_config::BotConfigs>,
    /// Session starts without a visitor session, written in batches.
    starts: session_writer::StartWriter,
    /// Where sentence embeddings come from, if the deployment has a model.
    embedder: Option<concierge_bot::Embedder>,
    /// The articles' embeddings being made in the background, and when they were.
    backfills: Arc<std::sync::Mutex<embeddings::Backfills>>,
    /// Whether a task measures the embedding model's scale until it can (`meaning`).
    measuring_meaning: Arc<std::sync::atomic::AtomicBool>,
}

impl Services {
    pub fn new(
        store: Arc<dyn Store>,
        settings: Arc<Settings>,
        sealer: Sealer,
        auth_client: AuthClient,
        llm_client: LlmClient,
    ) -> Self {
        let limits = Limits::new(&settings);
        let attempt_log = attempts::attempt_log(store.clone());
        Self(Arc::new(Parts {
            attempt_log,
            auth_cache: Arc::default(),
            flights: Arc::default(),
            jwks: Arc::new(identity::jwks::Jwks::new(settings.jwks_refetch_after)),
            discoveries: identity::oauth::discoveries(),
            bot_configs: Arc::new(bot_config::BotConfigs::shared()),
            starts: session_writer::start_writer(store.clone(), session_writer::SHARED_IN_FLIGHT),
            store,
            bus: Arc::new(Bus::default()),
            settings,
            sealer,
            auth_client: Arc::new(auth_client),
            llm_client,
            limits: Arc::new(limits),
            // A bot's index is small (its articles, in memory); bots that stop answering
            // drop out after an hour without use.
            knowledge_cache: moka::sync::Cache::builder()
                .max_capacity(1_000)
                .time_to_idle(std::time::Duration::from_secs(3600))
                .build(),
            bot_turns: Arc::new(tokio::sync::watch::Sender::new(0)),
            bot_tasks: tokio_util::task::TaskTracker::new(),
            stopping: tokio_util::sync::CancellationToken::new(),
            embedder: None,
            backfills: Arc::default(),
            measuring_meaning: Arc::default(),
        }))
    }

    /// Completes once the process begins to stop. Answers that never end by themselves (the
    /// inbox's event streams) end then: a graceful stop waits for every answer, and would
    /// otherwise wait for them until the supervisor kills the process.
    pub fn stopping(&self) -> tokio_util::sync::WaitForCancellationFutureOwned {
        self.0.stopping.clone().cancelled_owned()
    }

    pub fn begin_stopping(&self) {
        self.0.stopping.cancel();
    }

    /// These services with `change` made to their parts: while they are being set up,
    /// before they are shared.
    fn with(self, change: impl FnOnce(&mut Parts)) -> Self {
        let mut parts = Arc::unwrap_or_clone(self.0);
        change(&mut parts);
        Self(Arc::new(parts))
    }

    /// The same services on a store that this process alone uses (SQLite, whose file one
    /// serving process holds): bots and their settings are kept in memory, and session
    /// starts are written by one writer at a time.
    pub fn with_exclusive_store(self) -> Self {
        self.with(|parts| {
            parts.bot_configs = Arc::new(bot_config::BotConfigs::exclusive());
            parts.starts = session_writer::start_writer(parts.store.clone(), 1);
        })
    }

    /// The same services with the bot's articles and questions also compared by meaning.
    pub fn with_embedder(self, embedder: concierge_bot::Embedder) -> Self {
        self.with(|parts| parts.embedder = Some(embedder))
    }

    /// The same services on `bus` instead of this process's own (several instances).
    pub fn with_bus(self, bus: Bus) -> Self {
        if let Bus::Redis(redis) = &bus {
            self.limits.share(cluster_limit::ClusterLimiter::new(redis.connection(), redis.namespace()));
        }
        self.with(|parts| parts.bus = Arc::new(bus))
    }

    /// Periodic housekeeping: enforce the attempt retention, drop expired sessions and the
    /// empty conversations they leave, and forget idle rate-limit keys.
    pub async fn housekeeping(&self) -> Result<()> {
        self.flush_attempts().await;
        let now = now_ms();
        let retention = i64::try_from(self.settings.attempt_retention.as_millis()).unwrap_or(i64::MAX);
        let attempts = self.store.purge_attempts(now.saturating_sub(retention)).await?;
        let sessions = self.store.purge_sessions(now).await?;
        let conversations = self.store.purge_abandoned_conversations().await?;
        self.limits.forget_idle();
        tracing::debug!(attempts, sessions, conversations, "housekeeping purged old rows");
        self.hand_over_unfinished_turns().await?;
        Ok(())
    }
}
