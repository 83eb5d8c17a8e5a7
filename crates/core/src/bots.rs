use concierge_bot::{rules, template, Rule};
use concierge_domain::{parse_bot_text, parse_color, FieldError, WorkspaceId};
use concierge_store::{Bot, BotUpdate};

use super::{now_ms, BotAuth, Error, Principal, Result, Services};

pub const MAX_BOT_NAME: usize = 100;

/// Fields of a bot to change; `None` keeps the current value.
#[derive(Debug, Default)]
pub struct BotPatch {
    pub name: Option<String>,
    pub color: Option<String>,
    pub greeting: Option<String>,
    pub signin_text: Option<String>,
    pub confidence_threshold: Option<i64>,
    pub not_sure_text: Option<String>,
    pub handoff_text: Option<String>,
    pub rules: Option<Vec<Rule>>,
}

fn bot_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_BOT_NAME {
        return Err(format!("A bot needs a name of 1 to {MAX_BOT_NAME} characters."));
    }
    Ok(name.to_owned())
}

/// Something the bot says: a short text that is a valid template.
pub fn bot_template(raw: &str) -> Result<String, String> {
    let text = parse_bot_text(raw)?;
    template::check(&text).map_err(|e| e.to_string())?;
    Ok(text)
}

/// A bot as anyone may see it, with what its widget needs to know of its identification.
pub struct PublicBot {
    pub bot: Bot,
    /// Identification is on: a proof the page gives (an access token, an identity hash) is
    /// verified, where before it may have been ignored.
    pub identifies: bool,
    /// Identification is on and blocks the chat when it fails.
    pub signin_required: bool,
}

impl Services {
    /// Creates a bot in `workspace_id` (admin only may name another workspace), or in the
    /// caller's own workspace, or for the admin token, in the default workspace.
    pub async fn create_bot(&self, who: &Principal, name: &str, workspace_id: Option<&str>) -> Result<(Bot, BotAuth)> {
        let name =
            bot_name(name).map_err(|message| Error::Validation(vec![FieldError { field: "name".into(), message }]))?;
        let workspace_id = WorkspaceId::new(match (who, workspace_id) {
            (_, Some(ws)) if !who.can_access(ws) => return Err(Error::NotFound("workspace")),
            (_, Some(ws)) => ws.to_owned(),
            (Principal::Member { workspace_id, .. }, None) => workspace_id.clone(),
            (Principal::Admin, None) => self.store.default_workspace().await?.id,
        });
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

    /// Changes the given fields of a bot; every invalid one is reported.
    pub async fn update_bot(&self, who: &Principal, bot_id: &str, patch: BotPatch) -> Result<Bot> {
        let mut errors = Vec::new();
        let mut check = |field: &str, value: Option<String>, parse: fn(&str) -> Result<String, String>| {
            value.and_then(|v| {
                parse(&v).map_err(|message| errors.push(FieldError { field: field.into(), message })).ok()
            })
        };
        let name = check("name", patch.name, bot_name);
        let color = check("color", patch.color, parse_color);
        let greeting = check("greeting", patch.greeting, bot_template);
        let signin_text = check("signin_text", patch.signin_text, parse_bot_text);
        let not_sure_text = check("not_sure_text", patch.not_sure_text, bot_template);
        let handoff_text = check("handoff_text", patch.handoff_text, bot_template);
        if patch.confidence_threshold.is_some_and(|t| !(0..=100).contains(&t)) {
            errors.push(FieldError {
                field: "confidence_threshold".into(),
                message: "The confidence threshold is a percentage from 0 to 100.".into(),
            });
        }
        if let Some(Err(problems)) = patch.rules.as_deref().map(rules::validate) {
            errors.extend(
                problems
                    .into_iter()
                    .map(|p| FieldError { field: format!("rules[{}].{}", p.index, p.field), message: p.message }),
            );
        }
        let rules = match patch.rules.as_ref().map(serde_json::to_value).transpose() {
            Ok(rules) => rules,
            Err(e) => return Err(Error::Internal(e.into())),
        };
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        self.bot_for(who, bot_id).await?;
        let update = BotUpdate {
            name: name.as_deref(),
            color: color.as_deref(),
            greeting: greeting.as_deref(),
            signin_text: signin_text.as_deref(),
            confidence_threshold: patch.confidence_threshold,
            not_sure_text: not_sure_text.as_deref(),
            handoff_text: handoff_text.as_deref(),
            rules: rules.as_ref(),
        };
        let updated = self.store.update_bot(bot_id, &update, now_ms()).await;
        self.forget_bot_config(bot_id);
        updated?.ok_or(Error::NotFound("bot"))
    }

    /// What the widget needs to draw a bot, for anyone: no secrets, no settings.
    pub async fn public_bot(&self, bot_id: &str) -> Result<PublicBot> {
        let bot = self.store.get_bot(bot_id).await?.ok_or(Error::NotFound("bot"))?;
        let auth = self.load_bot_auth(bot_id).await?;
        Ok(PublicBot { bot, identifies: auth.settings.enabled, signin_required: auth.settings.signin_required() })
    }

    pub async fn bot_auth_for(&self, who: &Principal, bot_id: &str) -> Result<BotAuth> {
        self.bot_for(who, bot_id).await?;
        self.load_bot_auth(bot_id).await
    }
}
