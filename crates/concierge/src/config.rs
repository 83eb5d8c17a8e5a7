//! Settings, layered: defaults → TOML file (`--config`) → `CONCIERGE_*` environment →
//! flags (clap merges the last two), validated once at start.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use serde::Deserialize;

use concierge_core::{Settings, HELLO_WITHIN, SOCKET_CHECK_EVERY};

use crate::cli::{ServeArgs, StorageArgs};

/// Keys of the TOML file: the flags' names with underscores.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    listen: Option<SocketAddr>,
    allow_private_upstreams: Option<bool>,
    allow_http_upstreams: Option<bool>,
    admin_token: Option<String>,
    secret_key: Option<String>,
    log_format: Option<String>,
    log_level: Option<String>,
    session_ttl_secs: Option<u64>,
    attempt_retention_days: Option<u32>,
    session_rate_per_ip: Option<u32>,
    session_rate_per_bot: Option<u32>,
    max_concurrent_calls_per_bot: Option<u32>,
    secret_rotation_grace_secs: Option<u64>,
    trust_proxy_headers: Option<bool>,
}

#[derive(Clone)]
pub enum Database {
    Sqlite(PathBuf),
    Postgres(String),
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(p) => write!(f, "Sqlite({})", p.display()),
            Self::Postgres(url) => write!(f, "Postgres({})", redact_url(url)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
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
    pub secret_key: Option<String>,
    pub log_format: LogFormat,
    pub log_level: String,
    /// What the use cases are told.
    pub settings: Settings,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("storage", &self.storage)
            .field("listen", &self.listen)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "********"))
            .field("log_format", &self.log_format)
            .field("log_level", &self.log_level)
            .field("settings", &self.settings)
            .finish()
    }
}

pub const MIN_ADMIN_TOKEN_LEN: usize = 16;

fn read_file(path: Option<&Path>) -> anyhow::Result<FileConfig> {
    let Some(path) = path else { return Ok(FileConfig::default()) };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read the config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
}

fn storage(args: &StorageArgs, file: &FileConfig) -> anyhow::Result<StorageConfig> {
    let data_dir = args.data_dir.clone().or_else(|| file.data_dir.clone()).unwrap_or_else(|| PathBuf::from("data"));
    let database = match args.database_url.clone().or_else(|| file.database_url.clone()) {
        None => Database::Sqlite(data_dir.join("concierge.db")),
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => Database::Postgres(url),
        Some(url) if url.starts_with("sqlite:") => {
            Database::Sqlite(PathBuf::from(url.trim_start_matches("sqlite://").trim_start_matches("sqlite:")))
        }
        Some(url) => bail!("database_url must start with postgres:// (or sqlite:), got {}", redact_url(&url)),
    };
    Ok(StorageConfig { data_dir, database })
}

/// Storage settings alone, for the subcommands that only touch the database.
pub fn load_storage(config_file: Option<&Path>, args: &StorageArgs) -> anyhow::Result<StorageConfig> {
    storage(args, &read_file(config_file)?)
}

pub fn load(config_file: Option<&Path>, storage_args: &StorageArgs, args: &ServeArgs) -> anyhow::Result<Config> {
    let file = read_file(config_file)?;
    let log_format = match args.log_format.clone().or(file.log_format.clone()).as_deref() {
        None | Some("pretty") => LogFormat::Pretty,
        Some("json") => LogFormat::Json,
        Some(other) => bail!("log_format must be pretty or json, got {other:?}"),
    };
    let admin_token = args.admin_token.clone().or(file.admin_token.clone()).filter(|t| !t.is_empty());
    if let Some(token) = &admin_token {
        if token.len() < MIN_ADMIN_TOKEN_LEN {
            bail!("CONCIERGE_ADMIN_TOKEN must be at least {MIN_ADMIN_TOKEN_LEN} characters long");
        }
    }
    let positive = |name: &str, v: u64| -> anyhow::Result<u64> {
        if v == 0 {
            bail!("{name} must be greater than 0");
        }
        Ok(v)
    };
    let settings = Settings {
        allow_private_upstreams: args.allow_private_upstreams.or(file.allow_private_upstreams).unwrap_or(false),
        allow_http_upstreams: args.allow_http_upstreams.or(file.allow_http_upstreams).unwrap_or(false),
        admin_token,
        session_ttl: Duration::from_secs(positive(
            "session_ttl_secs",
            args.session_ttl_secs.or(file.session_ttl_secs).unwrap_or(7 * 24 * 3600),
        )?),
        attempt_retention: Duration::from_secs(
            24 * 3600
                * positive(
                    "attempt_retention_days",
                    args.attempt_retention_days.or(file.attempt_retention_days).unwrap_or(30).into(),
                )?,
        ),
        session_rate_per_ip: positive(
            "session_rate_per_ip",
            args.session_rate_per_ip.or(file.session_rate_per_ip).unwrap_or(60).into(),
        )? as u32,
        session_rate_per_bot: positive(
            "session_rate_per_bot",
            args.session_rate_per_bot.or(file.session_rate_per_bot).unwrap_or(6000).into(),
        )? as u32,
        max_concurrent_calls_per_bot: positive(
            "max_concurrent_calls_per_bot",
            args.max_concurrent_calls_per_bot.or(file.max_concurrent_calls_per_bot).unwrap_or(64).into(),
        )? as u32,
        secret_rotation_grace: Duration::from_secs(
            args.secret_rotation_grace_secs.or(file.secret_rotation_grace_secs).unwrap_or(24 * 3600),
        ),
        trust_proxy_headers: args.trust_proxy_headers.or(file.trust_proxy_headers).unwrap_or(false),
        socket_hello_within: HELLO_WITHIN,
        socket_check_every: SOCKET_CHECK_EVERY,
    };
    Ok(Config {
        storage: storage(storage_args, &file)?,
        listen: args.listen.or(file.listen).unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
        secret_key: args.secret_key.clone().or(file.secret_key.clone()).filter(|k| !k.is_empty()),
        log_format,
        log_level: args.log_level.clone().or(file.log_level.clone()).unwrap_or_else(|| "info".into()),
        settings,
    })
}

/// `postgres://user:pw@host/db` → `postgres://user:****@host/db`.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("****"));
            url.to_string()
        }
        Ok(url) => url.to_string(),
        Err(_) => "<unparseable url>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_configuration() {
        let c = load(None, &StorageArgs::default(), &ServeArgs::default()).expect("defaults load");
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert!(matches!(c.storage.database, Database::Sqlite(ref p) if p == Path::new("data/concierge.db")));
        assert!(!c.settings.allow_private_upstreams);
        assert_eq!(c.settings.attempt_retention, Duration::from_secs(30 * 24 * 3600));
        // docs/widget-protocol.md: hello within 10 s; a logged-out socket closed within 20 s.
        assert_eq!(
            (c.settings.socket_hello_within, c.settings.socket_check_every),
            (Duration::from_secs(10), Duration::from_secs(20))
        );
        // docs/custom-authentication.md: sessions last 7 days, the old secret signs 24 h more.
        assert_eq!(c.settings.session_ttl, Duration::from_secs(7 * 24 * 3600));
        assert_eq!(c.settings.secret_rotation_grace, Duration::from_secs(24 * 3600));
    }

    #[test]
    fn the_file_is_below_flags_and_validated() {
        let dir = std::env::temp_dir().join(format!("concierge-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("tmp dir");
        let path = dir.join("c.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:9000\"\nsession_rate_per_ip = 5\n").expect("write");
        let args = ServeArgs { session_rate_per_ip: Some(7), ..Default::default() };
        let c = load(Some(&path), &StorageArgs::default(), &args).expect("loads");
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.settings.session_rate_per_ip, 7);

        std::fs::write(&path, "listn = \"x\"\n").expect("write");
        let err = load(Some(&path), &StorageArgs::default(), &ServeArgs::default()).unwrap_err();
        assert!(format!("{err:#}").contains("unknown field `listn`"), "{err:#}");

        let args = ServeArgs { admin_token: Some("short".into()), ..Default::default() };
        assert!(load(None, &StorageArgs::default(), &args).is_err());
        let storage = StorageArgs { database_url: Some("mysql://x".into()), ..Default::default() };
        assert!(load(None, &storage, &ServeArgs::default()).is_err());
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn database_passwords_are_redacted() {
        let d = Database::Postgres("postgres://u:hunter2@h/db".into());
        assert!(!format!("{d:?}").contains("hunter2"));
    }
}
