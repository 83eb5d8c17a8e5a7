//! The sources figment merges besides the defaults and the file, and its errors told in
//! the words of the source at fault (the file's path, the variable's name, the flag).

use figment::error::Kind;
use figment::value::{Dict, Map, Value};
use figment::{Metadata, Profile, Provider, Source};
use serde::Serialize;

const ENV_PREFIX: &str = "CONCIERGE_";

/// A clap `Args` struct by key, `None` for a flag not given: its keys are also the
/// environment variables the command reads.
pub(super) fn by_key(args: &impl Serialize) -> anyhow::Result<Dict> {
    // Fails only for a path that is not UTF-8, which no setting can hold.
    match Value::serialize(args).map_err(|e| anyhow::anyhow!("invalid flag: {e}"))? {
        Value::Dict(_, dict) => Ok(dict),
        _ => anyhow::bail!("the flags are not a map of keys"),
    }
}

/// A source of plain values, named so that an error says where a bad value came from.
pub(super) struct Layer {
    name: &'static str,
    values: Dict,
    key_name: fn(&str) -> String,
}

impl Layer {
    /// The flags given; those not given leave the sources below in force.
    pub(super) fn flags(flags: &Dict) -> Self {
        let values = flags.iter().filter(|(_, v)| !matches!(v, Value::Empty(..))).map(|(k, v)| (k.clone(), v.clone()));
        Self { name: "flag", values: values.collect(), key_name: |key| format!("--{}", key.replace('_', "-")) }
    }

    /// The `CONCIERGE_*` variables among `vars` that name one of `flags`. Others, such as
    /// CONCIERGE_CONFIG or the test suites' variables, are not settings and are left alone.
    /// A value is taken as the text it is (figment's own `Env` would read a token of digits
    /// as a number and then refuse it as a string), and an empty one counts as unset, as it
    /// did when clap read the environment.
    pub(super) fn env<'a>(vars: impl IntoIterator<Item = (&'a str, &'a str)>, flags: &Dict) -> Self {
        let values = vars.into_iter().filter(|(_, v)| !v.is_empty()).filter_map(|(name, v)| {
            let key = name.strip_prefix(ENV_PREFIX)?.to_ascii_lowercase();
            (flags.contains_key(&key) && name == env_name(&key)).then(|| (key, Value::from(v.to_owned())))
        });
        Self { name: "environment variable", values: values.collect(), key_name: env_name }
    }
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        let key_name = self.key_name;
        Metadata::named(self.name).interpolater(move |_: &Profile, keys: &[&str]| key_name(&keys.join(".")))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.values.clone()))
    }
}

fn env_name(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.to_ascii_uppercase())
}

/// The process's `CONCIERGE_*` variables that are text; others cannot be a setting's value.
pub(super) fn process_env() -> Vec<(String, String)> {
    let vars = std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    vars.filter(|(k, _)| k.starts_with(ENV_PREFIX)).collect()
}

/// Figment's error, one line per problem, each naming the key and where it was set.
pub(super) fn describe(figment: &figment::Figment, error: figment::Error) -> anyhow::Error {
    let lines: Vec<String> = error.into_iter().map(|e| line(figment, &e)).collect();
    anyhow::anyhow!("{}", lines.join("\n"))
}

fn line(figment: &figment::Figment, e: &figment::Error) -> String {
    if let Kind::UnknownField(key, known) = &e.kind {
        // An unknown key fails as the merged map is read, past the sources: the source that
        // brought the key in (only the file can) is the one at fault.
        let place = figment.find_metadata(key).map_or_else(|| "configuration".into(), place);
        return format!("invalid {place}: unknown key `{key}` (known keys: {})", known.join(", "));
    }
    let Some(md) = &e.metadata else { return format!("invalid configuration: {}", e.kind) };
    match (&md.source, e.path.as_slice()) {
        (_, []) => format!("invalid {}: {}", place(md), e.kind),
        (Some(Source::File(_)), path) => format!("invalid {}: {}: {}", place(md), path.join("."), e.kind),
        // A variable or a flag: named as the operator typed it.
        (_, path) => format!("invalid {} {}: {}", md.name, md.interpolate(&Profile::Default, path), e.kind),
    }
}

fn place(md: &Metadata) -> String {
    match &md.source {
        Some(Source::File(path)) => format!("config file {}", path.display()),
        _ => md.name.to_string(),
    }
}
