//! Wiring: open the store, build the services, serve until told to stop.

pub mod serve_lock;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use concierge_authcall::{guarded_http_client, AuthClient, ClientConfig, Lookup, UpstreamPolicy};
use concierge_bot::semantic::{LocalModel, RemoteConfig, RemoteEmbeddings};
use concierge_bot::{Embedder, LlmClient};
use concierge_store::postgres::PostgresStore;
use concierge_store::sqlite::SqliteStore;
use concierge_store::Store;
use tokio::net::TcpListener;

use crate::config::{Config, Database, EmbeddingsConfig, EmbeddingsSource, StorageConfig};
use concierge_core::bus::{Bus, RedisBus};
use concierge_core::seal::Sealer;
use concierge_core::Services;
use concierge_domain::hash_token;

const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(600);
/// How often histogram samples are folded into their buckets (see `serve`).
const METRICS_UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// How long a stopping process lets the bot finish its turns: an answer from the words
/// takes under a second, a language model's at most its timeout (60 s); within the 30 s
/// most supervisors wait after SIGTERM, with time to spare.
const BOT_TURNS_GRACE: Duration = Duration::from_secs(20);

pub async fn open_store(storage: &StorageConfig) -> anyhow::Result<Arc<dyn Store>> {
    Ok(match &storage.database {
        Database::Sqlite(path) => Arc::new(
            SqliteStore::open(path)
                .await
                .with_context(|| format!("cannot open the SQLite database {}", path.display()))?,
        ),
        Database::Postgres { url, max_connections } => Arc::new(
            PostgresStore::connect(url, *max_connections)
                .await
                .with_context(|| format!("cannot open the PostgreSQL database {}", crate::config::redact_url(url)))?,
        ),
    })
}

/// Bots' sealed secrets an instance's key is tried on at start.
const KEY_SAMPLES: u32 = 20;

/// Says loudly, at start, when this instance's secret key opens none or only some of the
/// bots' sealed secrets: instances given different keys fail a share of those bots'
/// sessions behind the balancer, not at start. Not refused: a key lost and replaced (the
/// secrets then entered again) must be able to start.
async fn check_the_secret_key(sealer: &Sealer, store: &dyn Store) -> anyhow::Result<()> {
    let (opened, tried) = secrets_the_key_opens(sealer, store).await?;
    if opened < tried {
        tracing::error!(
            opened,
            tried,
            "this instance's secret key cannot open some bots' sealed secrets: their Custom Authentication \
             fails on this instance. Give every instance the same CONCIERGE_SECRET_KEY (or the same secret.key \
             file); if the key was lost, enter those bots' secrets again (docs/deploy.md, \"One secret key\")"
        );
    }
    Ok(())
}

/// Of some of the bots' sealed secrets, how many `sealer` opens, and how many it tried.
pub async fn secrets_the_key_opens(sealer: &Sealer, store: &dyn Store) -> anyhow::Result<(usize, usize)> {
    let samples = store.sealed_samples(KEY_SAMPLES).await.context("cannot read the sealed secrets")?;
    Ok((samples.iter().filter(|sealed| sealer.open(sealed).is_ok()).count(), samples.len()))
}

pub async fn services(config: Config) -> anyhow::Result<Services> {
    services_with(config, Lookup::system()).await
}

/// [`services`], with host names of outbound calls looked up by `lookup` (tests give a
/// fixed table, so that no DNS query leaves the machine).
pub async fn services_with(config: Config, lookup: Lookup) -> anyhow::Result<Services> {
    let store = open_store(&config.storage).await?;
    store.default_workspace().await.context("cannot create the default workspace")?;
    let sealer = Sealer::load(config.secret_key.as_deref(), &config.storage.data_dir)?;
    check_the_secret_key(&sealer, store.as_ref()).await?;
    let policy = UpstreamPolicy {
        allow_private: config.settings.allow_private_upstreams,
        allow_http: config.settings.allow_http_upstreams,
    };
    let client = AuthClient::new(ClientConfig {
        policy,
        user_agent: format!("Concierge/{} (+custom-authentication)", env!("CARGO_PKG_VERSION")),
        lookup: lookup.clone(),
    })
    .context("cannot build the HTTP client")?;
    // The bot's language model and embeddings API are called through the same address
    // guard as customer APIs.
    let user_agent = format!("Concierge/{}", env!("CARGO_PKG_VERSION"));
    let llm_http = guarded_http_client(config.settings.allow_private_upstreams, &user_agent, lookup)
        .context("cannot build the HTTP client")?;
    let embedder = match config.embeddings {
        None => None,
        Some(embeddings) => Some(embedder(embeddings, llm_http.clone(), policy).await?),
    };
    let llm = LlmClient::new(llm_http, policy);
    crate::http::metrics_handle();
    let services = Services::new(store, Arc::new(config.settings), sealer, client, llm);
    let services = match embedder {
        Some(embedder) => services.with_embedder(embedder),
        None => services,
    };
    // One serving process holds an SQLite file (app::serve_lock).
    let services = match &config.storage.database {
        Database::Sqlite(_) => services.with_exclusive_store(),
        Database::Postgres { .. } => services,
    };
    let services = match &config.redis_url {
        None => services,
        Some(url) => {
            // The deployment is its database: the instances of one share events and limits,
            // and another deployment on the same Redis is kept apart.
            let database = match &config.storage.database {
                Database::Postgres { url, .. } => crate::config::redact_url(url),
                Database::Sqlite(path) => path.display().to_string(),
            };
            let bus = RedisBus::connect(url, &hash_token(&database)[..16])
                .await
                .with_context(|| format!("cannot connect to Redis at {}", crate::config::redact_url(url)))?;
            services.with_bus(Bus::Redis(bus))
        }
    };
    // Once the services are whole: the task keeps a handle on them.
    services.measure_meaning();
    Ok(services)
}

/// The local model is read whole before the first request, so that a wrong directory stops
/// the start instead of the first question.
/// `http` is the language model's client: the same guard, the same pool.
async fn embedder(config: EmbeddingsConfig, http: reqwest::Client, policy: UpstreamPolicy) -> anyhow::Result<Embedder> {
    let EmbeddingsConfig { source, prefixes } = config;
    let embedder = match source {
        EmbeddingsSource::Local(dir) => {
            Embedder::local(tokio::task::spawn_blocking(move || LocalModel::load(&dir)).await??)
        }
        EmbeddingsSource::Remote { base_url, model, api_key, timeout } => {
            // An address the guard refuses would refuse every call; better said now.
            concierge_authcall::check_outbound_url(&base_url, policy)
                .map_err(|why| anyhow::anyhow!("embeddings_url cannot be called: {why}"))?;
            Embedder::remote(RemoteEmbeddings::new(http, policy, RemoteConfig { base_url, model, api_key, timeout }))
        }
    };
    let (query_prefix, document_prefix) = (prefixes.query.clone(), prefixes.document.clone());
    let embedder = embedder.with_prefixes(prefixes);
    tracing::info!(model = embedder.model_key(), query_prefix, document_prefix, "sentence embeddings are on");
    Ok(embedder)
}

/// Serves on `listener` until `shutdown` completes, then lets requests in flight finish.
pub async fn serve(
    services: Services,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let housekeeping = {
        let services = services.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(HOUSEKEEPING_EVERY);
            loop {
                tick.tick().await;
                if let Err(e) = services.housekeeping().await {
                    tracing::warn!(error = %e, "housekeeping failed");
                }
            }
        })
    };
    // Histogram samples pile up until folded into their buckets, which a scrape of /metrics
    // does; a deployment that never scrapes would keep every one.
    let metrics_upkeep = tokio::spawn(async {
        let mut tick = tokio::time::interval(METRICS_UPKEEP_EVERY);
        loop {
            tick.tick().await;
            crate::http::metrics_handle().run_upkeep();
        }
    });
    let app = crate::http::router(services.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let stop = services.clone();
    let shutdown = async move {
        shutdown.await;
        stop.begin_stopping();
    };
    let result = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    housekeeping.abort();
    metrics_upkeep.abort();
    // A visitor whose message was stored is answered before the process goes.
    services.finish_bot_turns(BOT_TURNS_GRACE).await;
    // The requests have answered; what they logged is written before the process ends.
    services.flush_attempts().await;
    result.context("server error")
}

/// Completes on SIGINT or SIGTERM.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    // Registered now, not when first polled: a SIGTERM that comes right after the address
    // is printed (a supervisor or a test stopping at once) is a graceful stop, not a kill.
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
    async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let term = async {
            match term {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! { _ = ctrl_c => {}, _ = term => {} }
        tracing::info!("shutting down");
    }
}
