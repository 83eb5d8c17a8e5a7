//! A bot with its Custom Authentication settings (secrets open), as a session start needs
//! them.
//!
//! Held in memory, and forgotten by every write through this process. Where this process
//! is the store's one user (SQLite, whose file one serving instance holds) that is all it
//! takes. On a shared store (PostgreSQL) another instance may change a bot at any moment,
//! so each use first reads the two revisions (bot, settings) in one small statement and
//! reloads on a difference: a setting saved on one instance holds on all at once, which a
//! message on the bus, arriving a moment after the next start, could not promise.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use concierge_store::Bot;

use super::{BotAuth, Error, Result, Services};

pub(crate) struct BotConfig {
    pub bot: Bot,
    pub auth: BotAuth,
}

pub(crate) struct BotConfigs {
    cache: moka::sync::Cache<String, Arc<BotConfig>>,
    /// Bumped by every change, so that a read that raced one is not kept.
    generation: AtomicU64,
    /// Check the revisions in the store before each use (another process may write).
    shared: bool,
}

impl BotConfigs {
    fn new(shared: bool) -> Self {
        let cache = moka::sync::Cache::builder()
            .max_capacity(10_000)
            .time_to_idle(std::time::Duration::from_secs(3600))
            .build();
        Self { cache, generation: AtomicU64::new(0), shared }
    }

    pub(crate) fn shared() -> Self {
        Self::new(true)
    }

    pub(crate) fn exclusive() -> Self {
        Self::new(false)
    }
}

impl Services {
    /// The bot and its settings; `NotFound("bot")` when there is no such bot.
    pub(crate) async fn bot_config(&self, bot_id: &str) -> Result<Arc<BotConfig>> {
        let configs = &self.bot_configs;
        let generation = configs.generation.load(Ordering::Acquire);
        if let Some(known) = configs.cache.get(bot_id) {
            if !configs.shared {
                return Ok(known);
            }
            let revisions = self.store.settings_revisions(bot_id).await?.ok_or(Error::NotFound("bot"))?;
            if revisions == (known.bot.revision, known.auth.revision) {
                return Ok(known);
            }
        }
        let bot = self.store.get_bot(bot_id).await?.ok_or(Error::NotFound("bot"))?;
        let auth = self.load_bot_auth(&bot.id).await?;
        let config = Arc::new(BotConfig { bot, auth });
        if configs.generation.load(Ordering::Acquire) == generation {
            configs.cache.insert(bot_id.to_owned(), config.clone());
            // A change that came between the check and the insert is not missed.
            if configs.generation.load(Ordering::Acquire) != generation {
                configs.cache.invalidate(bot_id);
            }
        }
        Ok(config)
    }

    /// Called after every write of a bot or its settings.
    pub(crate) fn forget_bot_config(&self, bot_id: &str) {
        self.bot_configs.generation.fetch_add(1, Ordering::AcqRel);
        self.bot_configs.cache.invalidate(bot_id);
    }
}
