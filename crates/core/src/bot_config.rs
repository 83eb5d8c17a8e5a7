//! A bot with its Custom Authentication settings (secrets open), as a session start needs
//! them.
//!
//! Held in memory only where this process is the store's one user (SQLite, whose file
//! one serving instance holds): every change goes through this process, which forgets the
//! bot's entry when it writes. On a shared store (PostgreSQL) another instance may change
//! a bot at any moment, so each start reads it: a message on the bus could arrive after
//! the next start, and a setting saved on one instance must hold on all at once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use concierge_store::Bot;

use super::{BotAuth, Error, Result, Services};

pub(crate) struct BotConfig {
    pub bot: Bot,
    pub auth: BotAuth,
}

pub(crate) struct BotConfigs {
    cache: Option<moka::sync::Cache<String, Arc<BotConfig>>>,
    /// Bumped by every change, so that a read that raced one is not kept.
    generation: AtomicU64,
}

impl BotConfigs {
    pub(crate) fn shared() -> Self {
        Self { cache: None, generation: AtomicU64::new(0) }
    }

    pub(crate) fn exclusive() -> Self {
        let cache = moka::sync::Cache::builder()
            .max_capacity(10_000)
            .time_to_idle(std::time::Duration::from_secs(3600))
            .build();
        Self { cache: Some(cache), generation: AtomicU64::new(0) }
    }
}

impl Services {
    /// The bot and its settings; `NotFound("bot")` when there is no such bot.
    pub(crate) async fn bot_config(&self, bot_id: &str) -> Result<Arc<BotConfig>> {
        let configs = &self.bot_configs;
        if let Some(known) = configs.cache.as_ref().and_then(|cache| cache.get(bot_id)) {
            return Ok(known);
        }
        let generation = configs.generation.load(Ordering::Acquire);
        let bot = self.store.get_bot(bot_id).await?.ok_or(Error::NotFound("bot"))?;
        let auth = self.load_bot_auth(&bot.id).await?;
        let config = Arc::new(BotConfig { bot, auth });
        if let Some(cache) = &configs.cache {
            if configs.generation.load(Ordering::Acquire) == generation {
                cache.insert(bot_id.to_owned(), config.clone());
                // A change that came between the check and the insert is not missed.
                if configs.generation.load(Ordering::Acquire) != generation {
                    cache.invalidate(bot_id);
                }
            }
        }
        Ok(config)
    }

    /// Called after every write of a bot or its settings.
    pub(crate) fn forget_bot_config(&self, bot_id: &str) {
        self.bot_configs.generation.fetch_add(1, Ordering::AcqRel);
        if let Some(cache) = &self.bot_configs.cache {
            cache.invalidate(bot_id);
        }
    }
}
