//! Every load here is given its environment, so no test reads or changes the process's.

use super::*;

/// A config file in a directory of its own, removed when dropped.
struct ConfigFile(PathBuf);

impl ConfigFile {
    fn new(text: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("concierge-cfg-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).expect("tmp dir");
        std::fs::write(dir.join("c.toml"), text).expect("write");
        Self(dir)
    }

    fn path(&self) -> PathBuf {
        self.0.join("c.toml")
    }
}

impl Drop for ConfigFile {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

fn serve(file: Option<&Path>, env: &[(&str, &str)], args: &ServeArgs) -> anyhow::Result<Config> {
    load_with_env(file, env, &StorageArgs::default(), args)
}

fn refusal(result: anyhow::Result<Config>) -> String {
    format!("{:#}", result.expect_err("refused"))
}

#[test]
fn defaults_need_no_configuration() {
    let c = serve(None, &[], &ServeArgs::default()).expect("defaults load");
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
fn each_source_overrides_the_one_below_key_by_key() {
    let file = ConfigFile::new("session_rate_per_ip = 5\nlisten = \"127.0.0.1:9000\"\nlog_level = \"debug\"\n");
    let file = Some(file.path());
    let env = [
        ("CONCIERGE_SESSION_RATE_PER_IP", "6"),
        ("CONCIERGE_LOG_LEVEL", "trace"),
        ("CONCIERGE_ALLOW_PRIVATE_UPSTREAMS", "true"),
    ];
    let flag = ServeArgs { session_rate_per_ip: Some(7), allow_private_upstreams: Some(false), ..Default::default() };
    let rate = |file: Option<&Path>, env: &[(&str, &str)], args: &ServeArgs| {
        serve(file, env, args).expect("loads").settings.session_rate_per_ip
    };

    assert_eq!(rate(None, &[], &ServeArgs::default()), 60, "the default");
    assert_eq!(rate(file.as_deref(), &[], &ServeArgs::default()), 5, "the file over the default");
    assert_eq!(rate(file.as_deref(), &env, &ServeArgs::default()), 6, "the environment over the file");
    assert_eq!(rate(file.as_deref(), &env, &flag), 7, "a flag over the environment");

    // Each key falls through to the highest source that sets it.
    let c = serve(file.as_deref(), &env, &flag).expect("loads");
    assert_eq!(c.listen.port(), 9000, "only the file sets it");
    assert_eq!(c.log_level, "trace", "the environment over the file");
    assert!(!c.settings.allow_private_upstreams, "a flag given as false still beats the environment");
    assert_eq!(c.settings.session_rate_per_bot, 6000, "nobody sets it");
}

#[test]
fn variables_that_are_not_settings_are_left_alone() {
    let env = [
        ("CONCIERGE_CONFIG", "/nowhere.toml"),
        ("CONCIERGE_TEST_POSTGRES_URL", "postgres://x"),
        ("CONCIERGE_LISTN", "x"),
        ("SESSION_RATE_PER_IP", "1"),
        ("CONCIERGE_session_rate_per_ip", "2"),
        // Empty counts as unset.
        ("CONCIERGE_SESSION_TTL_SECS", ""),
        // Text that looks like a number stays text where the setting is text.
        ("CONCIERGE_ADMIN_TOKEN", "12345678901234567890"),
    ];
    let c = serve(None, &env, &ServeArgs::default()).expect("loads");
    assert_eq!(c.settings.session_rate_per_ip, 60);
    assert_eq!(c.settings.session_ttl, Duration::from_secs(7 * 24 * 3600));
    assert_eq!(c.settings.admin_token.as_deref(), Some("12345678901234567890"));
}

#[test]
fn an_unknown_file_key_stops_the_start_naming_it() {
    let file = ConfigFile::new("listn = \"127.0.0.1:9000\"\n");
    let err = refusal(serve(Some(&file.path()), &[], &ServeArgs::default()));
    assert!(err.contains("unknown key `listn`"), "{err}");
    assert!(err.contains(&format!("invalid config file {}", file.path().display())), "{err}");

    let err = format!("{:#}", load_storage_with_env(Some(&file.path()), &[], &StorageArgs::default()).unwrap_err());
    assert!(err.contains("`listn`"), "storage-only commands read the same file: {err}");

    let missing = file.0.join("missing.toml");
    let err = refusal(serve(Some(&missing), &[], &ServeArgs::default()));
    assert!(err.contains("cannot read the config file"), "{err}");
}

#[test]
fn a_bad_value_is_refused_naming_its_key() {
    let file = ConfigFile::new("listen = 5\n");
    let err = refusal(serve(Some(&file.path()), &[], &ServeArgs::default()));
    assert!(err.contains("invalid config file") && err.contains("listen:"), "{err}");

    let err = refusal(serve(None, &[("CONCIERGE_SESSION_RATE_PER_IP", "lots")], &ServeArgs::default()));
    assert!(err.contains("environment variable CONCIERGE_SESSION_RATE_PER_IP"), "{err}");

    let cases: [(&[(&str, &str)], &str); 6] = [
        (&[("CONCIERGE_SESSION_RATE_PER_IP", "0")], "session_rate_per_ip must be greater than 0"),
        (&[("CONCIERGE_SESSION_TTL_SECS", "0")], "session_ttl_secs must be greater than 0"),
        (&[("CONCIERGE_DATABASE_MAX_CONNECTIONS", "0")], "database_max_connections must be greater than 0"),
        (&[("CONCIERGE_LOG_FORMAT", "xml")], "log_format must be pretty or json"),
        (&[("CONCIERGE_ADMIN_TOKEN", "short")], "admin_token must be at least 16"),
        (&[("CONCIERGE_DATABASE_URL", "mysql://u:hunter2@h/db")], "database_url must start with postgres://"),
    ];
    for (env, expected) in cases {
        let err = refusal(serve(None, env, &ServeArgs::default()));
        assert!(err.contains(expected), "{env:?}: {err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
}

#[test]
fn secrets_are_redacted_in_debug() {
    let env = [
        ("CONCIERGE_ADMIN_TOKEN", "admin-token-0123456789"),
        ("CONCIERGE_SECRET_KEY", "c2VjcmV0LWtleS1ieXRlcy0wMTIzNDU2Nzg5MDEyMw=="),
        ("CONCIERGE_DATABASE_URL", "postgres://u:hunter2@h/db"),
    ];
    let c = serve(None, &env, &ServeArgs::default()).expect("loads");
    let shown = format!("{c:?}");
    for (_, secret) in &env[..2] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(!shown.contains("hunter2") && shown.contains("postgres://u:****@h/db"), "{shown}");
}

#[test]
fn the_pool_size_reaches_the_postgres_options() {
    let postgres = StorageArgs { database_url: Some("postgres://u@h/db".into()), ..Default::default() };
    let max = |c: StorageConfig| match c.database {
        Database::Postgres { max_connections, .. } => max_connections,
        Database::Sqlite(_) => panic!("not PostgreSQL"),
    };
    assert_eq!(max(load_storage_with_env(None, &[], &postgres).expect("loads")), 10);
    let file = ConfigFile::new("database_max_connections = 4\n");
    assert_eq!(max(load_storage_with_env(Some(&file.path()), &[], &postgres).expect("loads")), 4);
    let env = [("CONCIERGE_DATABASE_MAX_CONNECTIONS", "3")];
    let c = load_with_env(None, &env, &postgres, &ServeArgs::default()).expect("loads");
    assert_eq!(max(c.storage), 3);
    let flag = StorageArgs { database_max_connections: Some(2), ..postgres };
    assert_eq!(max(load_storage_with_env(None, &env, &flag).expect("loads")), 2);
}

#[test]
fn storage_commands_look_only_at_storage_settings() {
    let env =
        [("CONCIERGE_ADMIN_TOKEN", "short"), ("CONCIERGE_LOG_FORMAT", "xml"), ("CONCIERGE_DATA_DIR", "elsewhere")];
    let storage = load_storage_with_env(None, &env, &StorageArgs::default()).expect("serve's settings are not read");
    assert_eq!(storage.data_dir, Path::new("elsewhere"));
}

#[test]
fn database_passwords_are_redacted() {
    let d = Database::Postgres { url: "postgres://u:hunter2@h/db".into(), max_connections: 10 };
    assert!(!format!("{d:?}").contains("hunter2"));
}

#[test]
fn an_embedding_model_comes_from_one_place() {
    let c = serve(None, &[("CONCIERGE_EMBEDDING_MODEL", "/srv/models/minilm")], &ServeArgs::default()).expect("loads");
    let Some(EmbeddingsConfig { source: EmbeddingsSource::Local(dir), prefixes }) = &c.embeddings else {
        panic!("a local model: {:?}", c.embeddings)
    };
    assert_eq!((dir.as_path(), prefixes), (Path::new("/srv/models/minilm"), &Prefixes::default()));
    assert!(serve(None, &[], &ServeArgs::default()).expect("loads").embeddings.is_none(), "no model by default");

    let api = [
        ("CONCIERGE_EMBEDDINGS_URL", "http://127.0.0.1:11434/v1"),
        ("CONCIERGE_EMBEDDINGS_MODEL", "nomic-embed-text"),
        ("CONCIERGE_EMBEDDINGS_API_KEY", "sk-embed-secret"),
    ];
    let c = serve(None, &api, &ServeArgs::default()).expect("loads");
    let Some(EmbeddingsConfig { source: EmbeddingsSource::Remote { base_url, model, api_key, timeout }, .. }) =
        &c.embeddings
    else {
        panic!("an API: {:?}", c.embeddings)
    };
    assert_eq!((base_url.as_str(), model.as_str()), ("http://127.0.0.1:11434/v1", "nomic-embed-text"));
    assert_eq!((api_key.as_deref(), *timeout), (Some("sk-embed-secret"), Duration::from_secs(5)));
    assert!(!format!("{c:?}").contains("sk-embed-secret"), "the key is redacted");

    let both = ServeArgs { embedding_model: Some(PathBuf::from("/srv/m")), ..ServeArgs::default() };
    assert!(refusal(serve(None, &api, &both)).contains("one of them"));
    let nameless = [("CONCIERGE_EMBEDDINGS_URL", "http://127.0.0.1:11434/v1")];
    assert!(refusal(serve(None, &nameless, &ServeArgs::default())).contains("embeddings_model"));
    let ftp = [("CONCIERGE_EMBEDDINGS_URL", "ftp://models.example/v1"), ("CONCIERGE_EMBEDDINGS_MODEL", "m")];
    assert!(refusal(serve(None, &ftp, &ServeArgs::default())).contains("embeddings_url must be an http(s) URL"));
}

#[test]
fn a_models_prefixes_are_taken_as_written() {
    let e5 = [
        ("CONCIERGE_EMBEDDING_MODEL", "/srv/models/e5"),
        ("CONCIERGE_EMBEDDINGS_QUERY_PREFIX", "query: "),
        ("CONCIERGE_EMBEDDINGS_DOCUMENT_PREFIX", "passage: "),
    ];
    let c = serve(None, &e5, &ServeArgs::default()).expect("loads");
    let prefixes = c.embeddings.expect("a model").prefixes;
    assert_eq!((prefixes.query.as_str(), prefixes.document.as_str()), ("query: ", "passage: "), "the space kept");

    let file =
        ConfigFile::new("embedding_model = \"/srv/models/nomic\"\nembeddings_query_prefix = \"search_query: \"\n");
    let c = serve(Some(&file.path()), &[], &ServeArgs::default()).expect("loads");
    assert_eq!(c.embeddings.expect("a model").prefixes.query, "search_query: ");

    let stray = [("CONCIERGE_EMBEDDINGS_QUERY_PREFIX", "query: ")];
    assert!(refusal(serve(None, &stray, &ServeArgs::default())).contains("give embedding_model or embeddings_url"));
    let broken = ServeArgs { embeddings_document_prefix: Some("passage:\n".into()), ..ServeArgs::default() };
    assert!(refusal(serve(None, &e5[..1], &broken)).contains("embeddings_document_prefix must not hold control"));
    let separated = ServeArgs { embeddings_query_prefix: Some("query:\u{2028}".into()), ..ServeArgs::default() };
    assert!(refusal(serve(None, &e5[..1], &separated)).contains("embeddings_query_prefix must not hold control"));
    let long = ServeArgs { embeddings_query_prefix: Some("q".repeat(501)), ..ServeArgs::default() };
    assert!(refusal(serve(None, &e5[..1], &long)).contains("at most 500 characters"));
}
