use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// A filter as `RUST_LOG` takes it, whose bare words are levels: a bare word is also a
/// valid directive naming a module, so a misspelt level (`warning`) would silence every log.
pub fn check_level(raw: &str) -> anyhow::Result<()> {
    const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];
    for directive in raw.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        if !directive.contains('=') && !LEVELS.contains(&directive.to_ascii_lowercase().as_str()) {
            anyhow::bail!(
                "{directive:?} is not a level: use trace, debug, info, warn, error or off (or module=level for \
                 one module)"
            );
        }
    }
    EnvFilter::try_new(raw).map(drop).map_err(|e| anyhow::anyhow!("{raw:?}: {e}"))
}

/// Logs to stdout. `RUST_LOG` overrides `--log-level` when set.
pub fn init(format: LogFormat, level: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}
