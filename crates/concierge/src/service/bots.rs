use concierge_domain::FieldError;
use concierge_store::Bot;

use super::{now_ms, BotAuth, Error, Principal, Result, Services};

const MAX_BOT_NAME: usize = 100;

fn bot_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_BOT_NAME {
        return Err(Error::Validation(vec![FieldError {
            field: "name".into(),
            message: format!("A bot needs a name of 1 to {MAX_BOT_NAME} characters."),
        }]));
    }
    Ok(name.to_owned())
}

impl Services {
    /// Creates a bot in `workspace_id` (admin only may name another workspace), or in the
    /// caller's own workspace, or for the admin token, in the default workspace.
    pub async fn create_bot(&self, who: &Principal, name: &str, workspace_id: Option<&str>) -> Result<(Bot, BotAuth)> {
        let name = bot_name(name)?;
        let workspace_id = match (who, workspace_id) {
            (_, Some(ws)) if !who.can_access(ws) => return Err(Error::NotFound("workspace")),
            (_, Some(ws)) => ws.to_owned(),
            (Principal::Member { workspace_id, .. }, None) => workspace_id.clone(),
            (Principal::Admin, None) => self.store.default_workspace().await?.id,
        };
        let bot = self.store.create_bot(&workspace_id, &name, now_ms()).await?;
        let auth = self.load_bot_auth(&bot.id).await?;
        Ok((bot, auth))
    }

    /// The bot, if it exists and the caller may see it; otherwise `bot_not_found`, so that
    /// another workspace's ids are indistinguishable from ids that do not exist.
    pub async fn bot_for(&self, who: &Principal, bot_id: &str) -> Result<Bot> {
        match self.store.get_bot(bot_id).await? {
            Some(bot) if who.can_access(&bot.workspace_id) => Ok(bot),
            _ => Err(Error::NotFound("bot")),
        }
    }

    pub async fn list_bots(&self, who: &Principal) -> Result<Vec<Bot>> {
        let workspace_id = match who {
            Principal::Member { workspace_id, .. } => workspace_id.clone(),
            Principal::Admin => self.store.default_workspace().await?.id,
        };
        Ok(self.store.list_bots(&workspace_id).await?)
    }

    pub async fn rename_bot(&self, who: &Principal, bot_id: &str, name: &str) -> Result<Bot> {
        let name = bot_name(name)?;
        self.bot_for(who, bot_id).await?;
        self.store.rename_bot(bot_id, &name, now_ms()).await?.ok_or(Error::NotFound("bot"))
    }

    pub async fn bot_auth_for(&self, who: &Principal, bot_id: &str) -> Result<BotAuth> {
        self.bot_for(who, bot_id).await?;
        self.load_bot_auth(bot_id).await
    }
}
