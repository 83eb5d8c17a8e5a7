//! URLs as they may be said (in errors, logs, a configuration's debug form): without the
//! secrets they can carry.

/// `postgres://user:pw@host/db?password=pw` → `postgres://user:****@host/db?password=****`.
pub fn redact_url(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw) else { return "<unparseable url>".into() };
    if url.password().is_some() {
        let _ = url.set_password(Some("****"));
    }
    // libpq and sqlx also take the password (and a client key's) as query parameters.
    let secret = |key: &str| key.to_ascii_lowercase().contains("password");
    if url.query_pairs().any(|(k, _)| secret(&k)) {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.to_string(), if secret(&k) { "****".to_owned() } else { v.to_string() }))
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}
