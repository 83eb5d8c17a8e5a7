//! Settings, layered by figment: defaults → TOML file (`--config`) → `CONCIERGE_*`
//! environment → flags, validated once at start.

mod layers;
mod redact;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use figment::providers::{Format, Serialized, Toml};
use figment::value::Dict;
use figment::Figment;
use serde::{Deserialize, Serialize};

use concierge_bot::Prefixes;
use concierge_core::{Settings, HELLO_WITHIN, JWKS_REFETCH_AFTER, SOCKET_CHECK_EVERY};

use crate::cli::{ServeArgs, StorageArgs};
use layers::Layer;
pub use redact::redact_url;

/// Every setting by key, with its default below. The key is the TOML key; the flag
/// (cli.rs) and the environment variable are spelt from it. A new setting is a field here
/// and a flag there. No `Debug`: the secrets are in clear.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Keys {
    data_dir: PathBuf,
    database_url: Option<String>,
    database_max_connections: u32,
    listen: SocketAddr,
    redis_url: Option<String>,
    allow_private_upstreams: bool,
    allow_http_upstreams: bool,
    admin_token: Option<String>,
    secret_key: Option<String>,
    log_format: String,
    log_level: String,
    session_ttl_secs: u64,
    attempt_retention_days: u32,
    session_rate_per_ip: u32,
    session_rate_per_bot: u32,
    max_concurrent_calls_per_bot: u32,
    secret_rotation_grace_secs: u64,
    trust_proxy_headers: bool,
    embedding_model: Option<PathBuf>,
    embeddings_url: Option<String>,
    embeddings_model: Option<String>,
    embeddings_api_key: Option<String>,
    embeddings_timeout_ms: u64,
    embeddings_query_prefix: Option<String>,
    embeddings_document_prefix: Option<String>,
}

impl Default for Keys {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            database_url: None,
            // A 2-core instance runs few queries at once, and PostgreSQL's stock limit of
            // 100 connections is shared by every instance: 10 (sqlx's own default) leaves
            // room for several instances and an operator's psql.
            database_max_connections: 10,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            redis_url: None,
            allow_private_upstreams: false,
            allow_http_upstreams: false,
            admin_token: None,
            secret_key: None,
            log_format: "pretty".into(),
            log_level: "info".into(),
            session_ttl_secs: 7 * 24 * 3600,
            attempt_retention_days: 30,
            session_rate_per_ip: 60,
            session_rate_per_bot: 6000,
            max_concurrent_calls_per_bot: 64,
            secret_rotation_grace_secs: 24 * 3600,
            trust_proxy_headers: false,
            embedding_model: None,
            embeddings_url: None,
            embeddings_model: None,
            embeddings_api_key: None,
            // A question waits for its embedding before the bot answers.
            embeddings_timeout_ms: 5_000,
            embeddings_query_prefix: None,
            embeddings_document_prefix: None,
        }
    }
}

/// The longest prefix a model is given: bge's instruction, the longest in use, is 58.
const MAX_PREFIX_CHARS: usize = 500;

/// Every setting's key, as the TOML file spells it (docs/deploy.md lists them all, and a
/// test holds it to that).
pub fn keys() -> Vec<String> {
    match serde_json::to_value(Keys::default()) {
        Ok(serde_json::Value::Object(map)) => map.into_iter().map(|(key, _)| key).collect(),
        _ => Vec::new(),
    }
}

#[derive(Clone)]
pub enum Database {
    Sqlite(PathBuf),
    Postgres { url: String, max_connections: u32 },
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(p) => write!(f, "Sqlite({})", p.display()),
            Self::Postgres { url, max_connections } => {
                write!(f, "Postgres({}, max_connections: {max_connections})", redact_url(url))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// The bot's sentence-embedding model, when the operator gives it one.
#[derive(Debug, Clone)]
pub struct EmbeddingsConfig {
    pub source: EmbeddingsSource,
    /// What the model reads before a question and before an article's passage.
    pub prefixes: Prefixes,
}

/// Where the bot's sentence embeddings come from.
#[derive(Clone)]
pub enum EmbeddingsSource {
    /// A model directory, run in this process.
    Local(PathBuf),
    /// An OpenAI-compatible embeddings API.
    Remote { base_url: url::Url, model: String, api_key: Option<String>, timeout: Duration },
}

impl std::fmt::Debug for EmbeddingsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Local(dir) => write!(f, "Local({})", dir.display()),
            Self::Remote { base_url, model, api_key, timeout } => f
                .debug_struct("Remote")
                .field("base_url", &redact_url(base_url.as_str()))
                .field("model", model)
                .field("api_key", &api_key.as_ref().map(|_| "********"))
                .field("timeout", timeout)
                .finish(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct StorageConfig {
    pub data_dir: PathBuf,
    pub database: Database,
}

#[derive(Clone)]
pub struct Config {
    pub storage: StorageConfig,
    pub listen: SocketAddr,
    /// Several instances share their events through this Redis (a secret: it may hold a
    /// password).
    pub redis_url: Option<String>,
    pub secret_key: Option<String>,
    pub log_format: LogFormat,
    pub log_level: String,
    pub embeddings: Option<EmbeddingsConfig>,
    /// What the use cases are told.
    pub settings: Settings,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("storage", &self.storage)
            .field("listen", &self.listen)
            .field("redis_url", &self.redis_url.as_deref().map(redact_url))
            .field("secret_key", &self.secret_key.as_ref().map(|_| "********"))
            .field("log_format", &self.log_format)
            .field("log_level", &self.log_level)
            .field("embeddings", &self.embeddings)
            .field("settings", &self.settings)
            .finish()
    }
}

pub const MIN_ADMIN_TOKEN_LEN: usize = 16;

/// Storage settings alone, for the subcommands that only touch the database: the
/// environment and flags of `serve` are not looked at.
pub fn load_storage(config_file: Option<&Path>, args: &StorageArgs) -> anyhow::Result<StorageConfig> {
    load_storage_with_env(config_file, &pairs(&layers::process_env()), args)
}

/// [`load_storage`] with `env` in place of the process's environment.
pub fn load_storage_with_env(
    config_file: Option<&Path>,
    env: &[(&str, &str)],
    args: &StorageArgs,
) -> anyhow::Result<StorageConfig> {
    storage(&merge(config_file, env, layers::by_key(args)?)?)
}

pub fn load(config_file: Option<&Path>, storage_args: &StorageArgs, args: &ServeArgs) -> anyhow::Result<Config> {
    load_with_env(config_file, &pairs(&layers::process_env()), storage_args, args)
}

/// [`load`] with `env` in place of the process's environment.
pub fn load_with_env(
    config_file: Option<&Path>,
    env: &[(&str, &str)],
    storage_args: &StorageArgs,
    args: &ServeArgs,
) -> anyhow::Result<Config> {
    let mut flags = layers::by_key(storage_args)?;
    flags.extend(layers::by_key(args)?);
    validate(merge(config_file, env, flags)?)
}

fn pairs(vars: &[(String, String)]) -> Vec<(&str, &str)> {
    vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// The file is read whole whichever command runs, so a mistyped key stops every one.
fn merge(config_file: Option<&Path>, env: &[(&str, &str)], flags: Dict) -> anyhow::Result<Keys> {
    let mut figment = Figment::from(Serialized::defaults(Keys::default()));
    if let Some(path) = config_file {
        // Figment would take a missing file for an empty one; a file named must be there.
        std::fs::File::open(path).with_context(|| format!("cannot read the config file {}", path.display()))?;
        figment = figment.merge(Toml::file_exact(path));
    }
    let figment = figment.merge(Layer::env(env.iter().copied(), &flags)).merge(Layer::flags(&flags));
    // Lossy: a variable's value is text, and "60" or "true" stand for a number or a switch.
    figment.extract_lossy().map_err(|e| layers::describe(&figment, e))
}

fn positive<T: Copy + Into<u64>>(key: &str, value: T) -> anyhow::Result<T> {
    if value.into() == 0 {
        bail!("{key} must be greater than 0");
    }
    Ok(value)
}

fn storage(keys: &Keys) -> anyhow::Result<StorageConfig> {
    let max_connections = positive("database_max_connections", keys.database_max_connections)?;
    let database = match keys.database_url.clone() {
        None => Database::Sqlite(keys.data_dir.join("concierge.db")),
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Database::Postgres { url, max_connections }
        }
        Some(url) if url.starts_with("sqlite:") => {
            Database::Sqlite(PathBuf::from(url.trim_start_matches("sqlite://").trim_start_matches("sqlite:")))
        }
        Some(url) => bail!("database_url must start with postgres:// (or sqlite:), got {}", redact_url(&url)),
    };
    Ok(StorageConfig { data_dir: keys.data_dir.clone(), database })
}

fn validate(keys: Keys) -> anyhow::Result<Config> {
    let log_format = match keys.log_format.as_str() {
        "pretty" => LogFormat::Pretty,
        "json" => LogFormat::Json,
        other => bail!("log_format must be pretty or json, got {other:?}"),
    };
    crate::telemetry::check_level(&keys.log_level).context("log_level")?;
    let admin_token = keys.admin_token.clone().filter(|t| !t.is_empty());
    if admin_token.as_ref().is_some_and(|t| t.len() < MIN_ADMIN_TOKEN_LEN) {
        bail!("admin_token must be at least {MIN_ADMIN_TOKEN_LEN} characters long");
    }
    let settings = Settings {
        allow_private_upstreams: keys.allow_private_upstreams,
        allow_http_upstreams: keys.allow_http_upstreams,
        admin_token,
        session_ttl: Duration::from_secs(positive("session_ttl_secs", keys.session_ttl_secs)?),
        attempt_retention: Duration::from_secs(
            24 * 3600 * u64::from(positive("attempt_retention_days", keys.attempt_retention_days)?),
        ),
        session_rate_per_ip: positive("session_rate_per_ip", keys.session_rate_per_ip)?,
        session_rate_per_bot: positive("session_rate_per_bot", keys.session_rate_per_bot)?,
        max_concurrent_calls_per_bot: positive("max_concurrent_calls_per_bot", keys.max_concurrent_calls_per_bot)?,
        secret_rotation_grace: Duration::from_secs(keys.secret_rotation_grace_secs),
        trust_proxy_headers: keys.trust_proxy_headers,
        socket_hello_within: HELLO_WITHIN,
        socket_check_every: SOCKET_CHECK_EVERY,
        jwks_refetch_after: JWKS_REFETCH_AFTER,
    };
    let storage = storage(&keys)?;
    let embeddings = embeddings(&keys)?;
    let redis_url = keys.redis_url.filter(|u| !u.is_empty());
    if let Some(url) = &redis_url {
        if !matches!(storage.database, Database::Postgres { .. }) {
            bail!(
                "redis_url is for several instances, and they must share a PostgreSQL database: \
                 set database_url to a postgres:// URL too (one instance on SQLite needs no Redis)"
            );
        }
        if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
            bail!("redis_url must start with redis:// or rediss://, got {}", redact_url(url));
        }
    }
    Ok(Config {
        storage,
        listen: keys.listen,
        redis_url,
        secret_key: keys.secret_key.filter(|k| !k.is_empty()),
        log_format,
        log_level: keys.log_level,
        embeddings,
        settings,
    })
}

fn embeddings(keys: &Keys) -> anyhow::Result<Option<EmbeddingsConfig>> {
    let prefixes = Prefixes {
        query: prefix(&keys.embeddings_query_prefix, "embeddings_query_prefix")?,
        document: prefix(&keys.embeddings_document_prefix, "embeddings_document_prefix")?,
    };
    let Some(source) = embeddings_source(keys)? else {
        if prefixes != Prefixes::default() {
            bail!(
                "embeddings_query_prefix and embeddings_document_prefix are for a model: give embedding_model or \
                 embeddings_url too"
            );
        }
        return Ok(None);
    };
    Ok(Some(EmbeddingsConfig { source, prefixes }))
}

/// A prefix as given, spaces included (`query: ` ends in one the model expects).
fn prefix(value: &Option<String>, key: &str) -> anyhow::Result<String> {
    let value = value.clone().unwrap_or_default();
    if value.chars().count() > MAX_PREFIX_CHARS {
        bail!("{key} must be at most {MAX_PREFIX_CHARS} characters, got {}", value.chars().count());
    }
    if value.chars().any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')) {
        bail!("{key} must not hold control characters such as a line break");
    }
    Ok(value)
}

fn embeddings_source(keys: &Keys) -> anyhow::Result<Option<EmbeddingsSource>> {
    let non_empty = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let dir = keys.embedding_model.clone().filter(|d| !d.as_os_str().is_empty());
    match (dir, non_empty(&keys.embeddings_url)) {
        (None, None) => Ok(None),
        (Some(_), Some(_)) => {
            bail!("embedding_model and embeddings_url both name a model: the bot's embeddings come from one of them")
        }
        (Some(dir), None) => Ok(Some(EmbeddingsSource::Local(dir))),
        (None, Some(raw)) => {
            let base_url = url::Url::parse(&raw)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
                .with_context(|| format!("embeddings_url must be an http(s) URL, got {}", redact_url(&raw)))?;
            let Some(model) = non_empty(&keys.embeddings_model) else {
                bail!("embeddings_url needs embeddings_model: the name of the model the API is asked for")
            };
            // A visitor's question waits for it.
            if !(1..=60_000).contains(&keys.embeddings_timeout_ms) {
                bail!("embeddings_timeout_ms must be 1 to 60000, got {}", keys.embeddings_timeout_ms);
            }
            let timeout = Duration::from_millis(keys.embeddings_timeout_ms);
            Ok(Some(EmbeddingsSource::Remote {
                base_url,
                model,
                api_key: non_empty(&keys.embeddings_api_key),
                timeout,
            }))
        }
    }
}
