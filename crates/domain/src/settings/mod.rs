mod checks;

use std::collections::BTreeMap;

use url::Url;

use crate::appearance::grouped;
use crate::method::{AdditionalField, IdentifyMethod, OnFailure};

use checks::{check_header_name, check_header_value, parse_url};
pub use checks::{check_scheme as check_upstream_scheme, normalise_origin, parse_url as parse_upstream_url};

pub const DEFAULT_TIMEOUT_MS: u32 = 5000;
pub const MIN_TIMEOUT_MS: u32 = 100;
pub const MAX_TIMEOUT_MS: u32 = 30_000;
/// The longest a verified answer may be reused: an hour.
pub const MAX_CACHE_TTL_SECS: u32 = 3600;
const MAX_HEADERS: usize = 20;
const MAX_ORIGINS: usize = 50;

/// What the operator allows Authentication URLs to point at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpstreamPolicy {
    /// `--allow-private-upstreams`: loopback, private and link-local addresses.
    pub allow_private: bool,
    /// `--allow-http-upstreams`: plain http to any host.
    pub allow_http: bool,
}

/// A static header added to every call, e.g. an API key. Its value is a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct StaticHeader {
    pub name: String,
    pub value: String,
}

impl std::fmt::Debug for StaticHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StaticHeader({}: ********)", self.name)
    }
}

/// A bot's Custom Authentication settings, valid by construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomAuthSettings {
    pub enabled: bool,
    pub url: Option<Url>,
    pub additional_fields: Vec<AdditionalField>,
    pub identify_method: IdentifyMethod,
    pub timeout_ms: u32,
    pub on_failure: OnFailure,
    pub headers: Vec<StaticHeader>,
    /// Origins (`https://shop.example`) whose pages may embed the widget; empty = any.
    pub allowed_origins: Vec<String>,
    /// How long a verified answer is reused for the same access token and fields, without
    /// a call; 0 (the default) calls every time.
    pub cache_ttl_secs: u32,
}

impl Default for CustomAuthSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            url: None,
            additional_fields: Vec::new(),
            identify_method: IdentifyMethod::Id,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            on_failure: OnFailure::Anonymous,
            headers: Vec::new(),
            allowed_origins: Vec::new(),
            cache_ttl_secs: 0,
        }
    }
}

impl CustomAuthSettings {
    pub fn forwards(&self, field: AdditionalField) -> bool {
        self.additional_fields.contains(&field)
    }

    /// Whether identification is on and blocks the chat when it fails: only a signed-in
    /// visitor may chat.
    pub fn signin_required(&self) -> bool {
        self.enabled && self.on_failure == OnFailure::Block
    }

    /// Whether a page of `origin` may use this bot's widget.
    pub fn allows_origin(&self, origin: Option<&str>) -> bool {
        origin_allowed(&self.allowed_origins, origin)
    }
}

/// Whether a page of `origin` may use a widget whose bot allows `allowed` (normalised
/// origins; none: any page). For whoever holds the list without the rest of the settings,
/// such as an open widget socket.
pub fn origin_allowed(allowed: &[String], origin: Option<&str>) -> bool {
    if allowed.is_empty() {
        return true;
    }
    match origin.and_then(|o| normalise_origin(o).ok()) {
        Some(o) => allowed.contains(&o),
        None => false,
    }
}

/// A call's time limit as submitted: the default when none is given; the error says the
/// range.
pub(crate) fn check_timeout_ms(value: Option<i64>) -> Result<u32, String> {
    match value {
        None => Ok(DEFAULT_TIMEOUT_MS),
        Some(t) if (i64::from(MIN_TIMEOUT_MS)..=i64::from(MAX_TIMEOUT_MS)).contains(&t) => Ok(t as u32),
        Some(t) => Err(format!(
            "Enter a time between {} and {} milliseconds ({} is not).",
            grouped(MIN_TIMEOUT_MS.into()),
            grouped(MAX_TIMEOUT_MS.into()),
            grouped(t)
        )),
    }
}

/// One refused field of a settings request, named as in the request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Settings as submitted: every field optional (a missing one takes its default), enum
/// values as text so that a wrong one gets a message naming the field.
#[derive(Debug, Clone, Default)]
pub struct CustomAuthInput {
    pub enabled: Option<bool>,
    pub url: Option<String>,
    pub additional_fields: Option<Vec<String>>,
    pub identify_method: Option<String>,
    pub timeout_ms: Option<i64>,
    pub on_failure: Option<String>,
    /// Header name → new value, or `None` to keep the value currently stored under that
    /// name (values are write-only, so a client cannot send them back).
    pub headers: Option<BTreeMap<String, Option<String>>>,
    /// Beyond the reference's body, like `cache_ttl_secs`: absent keeps what is stored, so
    /// a client that sends the reference's fields (or a page that does not show these)
    /// cannot reset them by leaving them out.
    pub allowed_origins: Option<Vec<String>>,
    pub cache_ttl_secs: Option<i64>,
    /// The bot identifies visitors by another mode than the call: the Authentication URL
    /// is not needed, even with identification on.
    pub url_optional: bool,
}

impl CustomAuthInput {
    pub fn validate(
        self,
        current: &CustomAuthSettings,
        policy: UpstreamPolicy,
    ) -> Result<CustomAuthSettings, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut err = |field: &str, message: String| errors.push(FieldError { field: field.to_owned(), message });
        let enabled = self.enabled.unwrap_or(false);

        let url = match self.url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            None => {
                if enabled && !self.url_optional {
                    err("url", "An Authentication URL is required when Custom Authentication is enabled.".into());
                }
                None
            }
            Some(raw) => match parse_url(raw, policy) {
                Ok(url) => Some(url),
                Err(message) => {
                    err("url", message);
                    None
                }
            },
        };

        let mut additional_fields = Vec::new();
        for name in self.additional_fields.unwrap_or_default() {
            match name.parse::<AdditionalField>() {
                Ok(f) if !additional_fields.contains(&f) => additional_fields.push(f),
                Ok(_) => {}
                Err(e) => err("additional_fields", format!("{e}.")),
            }
        }

        let identify_method = match self.identify_method.as_deref() {
            None => IdentifyMethod::default(),
            Some(s) => s.parse().unwrap_or_else(|e| {
                err("identify_method", format!("{e}."));
                IdentifyMethod::default()
            }),
        };

        let timeout_ms = check_timeout_ms(self.timeout_ms).unwrap_or_else(|message| {
            err("timeout_ms", message);
            DEFAULT_TIMEOUT_MS
        });

        let on_failure = match self.on_failure.as_deref() {
            None => OnFailure::default(),
            Some(s) => s.parse().unwrap_or_else(|e| {
                err("on_failure", format!("{e}."));
                OnFailure::default()
            }),
        };

        let headers = self.headers.unwrap_or_default();
        if headers.len() > MAX_HEADERS {
            err("headers", format!("At most {MAX_HEADERS} static headers are allowed."));
        }
        let mut static_headers = Vec::new();
        for (name, value) in headers {
            let field = format!("headers.{name}");
            if let Err(message) = check_header_name(&name) {
                err(&field, message);
                continue;
            }
            let value = match value {
                Some(v) => v,
                None => match current.headers.iter().find(|h| h.name.eq_ignore_ascii_case(&name)) {
                    Some(h) => h.value.clone(),
                    None => {
                        err(&field, "No value is stored for this header yet: send one.".into());
                        continue;
                    }
                },
            };
            if let Err(message) = check_header_value(&value) {
                err(&field, message);
                continue;
            }
            static_headers.push(StaticHeader { name, value });
        }

        let mut allowed_origins = Vec::new();
        let origins = self.allowed_origins.unwrap_or_else(|| current.allowed_origins.clone());
        if origins.len() > MAX_ORIGINS {
            err("allowed_origins", format!("At most {MAX_ORIGINS} origins are allowed."));
        }
        for raw in origins {
            match normalise_origin(&raw) {
                Ok(o) if !allowed_origins.contains(&o) => allowed_origins.push(o),
                Ok(_) => {}
                Err(message) => err("allowed_origins", message),
            }
        }

        let cache_ttl_secs = match self.cache_ttl_secs {
            None => current.cache_ttl_secs,
            Some(t) if (0..=i64::from(MAX_CACHE_TTL_SECS)).contains(&t) => t as u32,
            Some(t) => {
                err(
                    "cache_ttl_secs",
                    format!(
                        "Enter a time between 0 (no cache) and {} seconds ({} is not).",
                        grouped(MAX_CACHE_TTL_SECS.into()),
                        grouped(t)
                    ),
                );
                0
            }
        };

        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CustomAuthSettings {
            enabled,
            url,
            additional_fields,
            identify_method,
            timeout_ms,
            on_failure,
            headers: static_headers,
            allowed_origins,
            cache_ttl_secs,
        })
    }
}

#[cfg(test)]
mod tests;
