use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;

/// Concierge: a self-hosted support chat widget and bot that knows who your signed-in
/// users are, by asking your own API (Custom Authentication).
#[derive(Debug, Parser)]
#[command(name = "concierge", version)]
pub struct Cli {
    /// A TOML file with any of the settings below (keys as the flags, with underscores).
    /// Each setting is also read from CONCIERGE_ and the key in capitals, e.g.
    /// CONCIERGE_SESSION_RATE_PER_IP. Precedence: flags, then CONCIERGE_* environment
    /// variables, then this file, then defaults.
    #[arg(long, global = true, env = "CONCIERGE_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub storage: StorageArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: the widget API and the admin API.
    Serve(Box<ServeArgs>),
    /// Manage dashboard users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens for the admin API.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage workspaces.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
}

/// Where the data lives; every subcommand that touches storage takes these.
#[derive(Debug, Args, Default, Serialize)]
pub struct StorageArgs {
    /// Directory for the embedded SQLite database and the secret-sealing key.
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// A postgres:// URL: use PostgreSQL instead of the embedded SQLite database.
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Most connections this instance opens to PostgreSQL (its pool size).
    #[arg(long, global = true)]
    pub database_max_connections: Option<u32>,
}

#[derive(Debug, Args, Default, Serialize)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// A redis:// URL: deliver realtime events between several instances (which share a
    /// PostgreSQL database).
    #[arg(long)]
    pub redis_url: Option<String>,
    /// Let Authentication URLs point at loopback, private and link-local addresses
    /// (cloud metadata addresses stay blocked). For tests and local development.
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub allow_private_upstreams: Option<bool>,
    /// Let Authentication URLs use plain http to any host.
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub allow_http_upstreams: Option<bool>,
    /// A bearer token with full admin rights, for automation and first setup.
    #[arg(long)]
    pub admin_token: Option<String>,
    /// Key that seals stored secrets (base64 of 32 bytes). Default: `secret.key` in the data
    /// directory, created on first start. Instances sharing a database must share it.
    #[arg(long)]
    pub secret_key: Option<String>,
    /// Log format: `pretty` or `json`.
    #[arg(long)]
    pub log_format: Option<String>,
    /// Log filter, e.g. `info` or `concierge=debug` (RUST_LOG syntax).
    #[arg(long)]
    pub log_level: Option<String>,
    /// How long a widget session lives, in seconds.
    #[arg(long)]
    pub session_ttl_secs: Option<u64>,
    /// How many days authentication attempts are kept.
    #[arg(long)]
    pub attempt_retention_days: Option<u32>,
    /// Session starts allowed per client IP per minute.
    #[arg(long)]
    pub session_rate_per_ip: Option<u32>,
    /// Session starts allowed per bot per minute.
    #[arg(long)]
    pub session_rate_per_bot: Option<u32>,
    /// Concurrent calls to one bot's Authentication URL from this instance (each instance
    /// counts its own); more wait briefly, then fail.
    #[arg(long)]
    pub max_concurrent_calls_per_bot: Option<u32>,
    /// How long the previous signing secret keeps signing after a rotation, in seconds.
    #[arg(long)]
    pub secret_rotation_grace_secs: Option<u64>,
    /// Take the client IP from X-Forwarded-For (only behind a proxy you trust).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub trust_proxy_headers: Option<bool>,
    /// A sentence-embedding model's directory (config.json, model.safetensors,
    /// tokenizer.json; e.g. all-MiniLM-L6-v2), run on this machine's CPU: the bot also
    /// finds articles that say what a question asks in other words.
    #[arg(long)]
    pub embedding_model: Option<PathBuf>,
    /// Instead of a local model, an OpenAI-compatible embeddings API, by its base URL
    /// (e.g. http://127.0.0.1:11434/v1 for Ollama); needs --embeddings-model.
    #[arg(long)]
    pub embeddings_url: Option<String>,
    /// The model the embeddings API is asked for, e.g. text-embedding-3-small.
    #[arg(long)]
    pub embeddings_model: Option<String>,
    /// The embeddings API's key, sent as a bearer token.
    #[arg(long)]
    pub embeddings_api_key: Option<String>,
    /// How long one call to the embeddings API may take, in milliseconds.
    #[arg(long)]
    pub embeddings_timeout_ms: Option<u64>,
    /// What the embedding model reads before a question, for models trained with one
    /// (e5: "query: ", nomic-embed-text: "search_query: "); spaces count.
    #[arg(long)]
    pub embeddings_query_prefix: Option<String>,
    /// What the embedding model reads before an article's passage (e5: "passage: ",
    /// nomic-embed-text: "search_document: "); changing it makes every article's vectors again.
    #[arg(long)]
    pub embeddings_document_prefix: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a dashboard user (password hashed with argon2).
    Create {
        #[arg(long)]
        email: String,
        /// The name visitors see on this person's answers (default: the part of the email
        /// before the @).
        #[arg(long)]
        name: Option<String>,
        /// The password; prefer CONCIERGE_USER_PASSWORD so it stays out of shell history.
        #[arg(long, env = "CONCIERGE_USER_PASSWORD", hide_env_values = true)]
        password: String,
        /// Workspace name; the default workspace when omitted.
        #[arg(long)]
        workspace: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user; it is printed once and stored only as a hash.
    Create {
        #[arg(long)]
        email: String,
        /// A label to recognise the token by.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace.
    Create {
        #[arg(long)]
        name: String,
    },
}
