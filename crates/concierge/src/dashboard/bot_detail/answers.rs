//! How the bot answers: the confidence threshold, what it says when it is not sure or
//! hands over, and its rules (listed in order, added, deleted, moved up).

use std::collections::BTreeSet;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use concierge_bot::Rule;
use concierge_domain::FieldError;
use concierge_store::{Bot, Page};
use minijinja::context;
use serde::Deserialize;

use super::super::bots::principal;
use super::super::posted::carries_csrf;
use super::super::{message, SignedIn};
use super::rule_form::{self, RuleForm, COMMON_PATHS, OPS, ROWS};
use super::{after_save, back_to, by_field, notice, render_tab, BotPage, BotPost};
use crate::http::responses::{FormErrors, SignInRequired};
use concierge_core::{bot_template, BotPatch, Error, Principal, Services};

/// Contacts whose metadata keys are offered as condition paths.
const SAMPLED_CONTACTS: u32 = 50;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DoneQuery {
    /// What the last form did: `saved`, `added`, `deleted` or `moved`.
    done: Option<String>,
}

/// The threshold and the texts, as stored or as submitted.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct AnswersForm {
    csrf: String,
    /// Percent, 0 to 100.
    confidence_threshold: String,
    not_sure_text: String,
    handoff_text: String,
}

/// Names the rule a Delete or Move up button was drawn for, so that a list changed
/// meanwhile (by a colleague) does not lose the wrong rule.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct RuleRef {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

carries_csrf!(AnswersForm, RuleRef, RuleForm);

/// The notices for `?done=`, by what the last form did.
const DONE: [(&str, &str); 4] =
    [("saved", "Saved."), ("added", "Rule added."), ("deleted", "Rule deleted."), ("moved", "Rule moved up.")];

/// Everything the page shows besides the stored bot.
#[derive(Default)]
struct View {
    texts: AnswersForm,
    text_errors: Vec<FieldError>,
    rule: RuleForm,
    rule_errors: Vec<FieldError>,
    other_errors: Vec<String>,
    notice: Option<&'static str>,
}

fn stored_texts(bot: &Bot) -> AnswersForm {
    AnswersForm {
        csrf: String::new(),
        confidence_threshold: bot.confidence_threshold.to_string(),
        not_sure_text: bot.not_sure_text.clone(),
        handoff_text: bot.handoff_text.clone(),
    }
}

/// The bot's rules; `None` when what is stored cannot be read, so that no edit overwrites it.
fn stored_rules(bot: &Bot) -> Option<Vec<Rule>> {
    serde_json::from_value(bot.rules.clone()).ok()
}

/// Condition paths to suggest: the common ones, then the metadata keys of recent contacts.
async fn suggested_paths(s: &Services, who: &Principal, bot_id: &str) -> Vec<String> {
    let page = Page { before: None, limit: SAMPLED_CONTACTS, search: None };
    let keys: BTreeSet<String> = match s.list_contacts(who, bot_id, page).await {
        Ok(contacts) => contacts.items.iter().flat_map(|c| c.metadata.keys().cloned()).collect(),
        Err(_) => BTreeSet::new(),
    };
    let mut paths: Vec<String> = COMMON_PATHS.iter().map(|p| (*p).to_owned()).collect();
    for key in keys {
        let path = format!("contact.metadata.{key}");
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    paths
}

async fn render_answers(s: &Services, who: &SignedIn, bot: &Bot, view: View, status: StatusCode) -> Response {
    let rules = stored_rules(bot);
    let described: Vec<_> = rules.iter().flatten().map(rule_form::describe).collect();
    let paths = suggested_paths(s, &principal(who), &bot.id).await;
    let ops: Vec<_> = OPS.iter().map(|(_, value, label)| context! { value, label }).collect();
    let t = &view.texts;
    let ctx = context! {
        texts => context! {
            confidence_threshold => t.confidence_threshold, not_sure_text => t.not_sure_text,
            handoff_text => t.handoff_text,
        },
        errors => by_field(&view.text_errors),
        rule => view.rule.context(), rule_errors => by_field(&view.rule_errors),
        other_errors => view.other_errors, notice => view.notice,
        rules => described, rules_unreadable => rules.is_none(), paths, ops, rows => ROWS,
    };
    render_tab(status, "bot_answers.html", "answers", who, bot, ctx)
}

/// How the bot answers: threshold, texts and rules.
#[utoipa::path(get, path = "/bots/{id}/answers", tag = "dashboard", security(("login" = [])), params(("id" = String, Path), DoneQuery),
    responses(SignInRequired, (status = 200, description = "Answer settings and rules", content_type = "text/html"),
        (status = 404, description = "No such bot in this workspace", content_type = "text/html")))]
pub async fn answers_page(State(s): State<Services>, page: BotPage<DoneQuery>) -> Response {
    let notice = notice(page.query.done.as_deref(), &DONE);
    let view = View { texts: stored_texts(&page.bot), notice, ..View::default() };
    render_answers(&s, &page.who, &page.bot, view, StatusCode::OK).await
}

/// Save the confidence threshold and the "not sure" and handoff texts.
#[utoipa::path(post, path = "/bots/{id}/answers", tag = "dashboard", security(("login" = [])), params(("id" = String, Path)),
    responses(SignInRequired, FormErrors, (status = 303, description = "Saved"),
        (status = 404, description = "No such bot in this workspace", content_type = "text/html")))]
pub async fn save_answers(State(s): State<Services>, post: BotPost<Form<AnswersForm>>) -> Response {
    let BotPost { who, me, bot, path: id, body: Form(form) } = post;
    let threshold = form.confidence_threshold.trim().trim_end_matches('%').trim().parse::<i64>().ok();
    let mut errors = Vec::new();
    if threshold.is_none() {
        errors.push(FieldError {
            field: "confidence_threshold".into(),
            message: "The confidence threshold is a whole percentage from 0 to 100.".into(),
        });
        // Nothing is saved, but the texts' problems are reported at once all the same.
        for (field, text) in [("not_sure_text", &form.not_sure_text), ("handoff_text", &form.handoff_text)] {
            if let Err(message) = bot_template(text) {
                errors.push(FieldError { field: field.into(), message });
            }
        }
    }
    let saved = match threshold {
        Some(threshold) => {
            let patch = BotPatch {
                confidence_threshold: Some(threshold),
                not_sure_text: Some(form.not_sure_text.clone()),
                handoff_text: Some(form.handoff_text.clone()),
                ..BotPatch::default()
            };
            s.update_bot(&me, &id, patch).await
        }
        None => Err(Error::Validation(Vec::new())),
    };
    after_save(saved, format!("/bots/{id}/answers?done=saved"), async |more| {
        errors.extend(more);
        let view = View { texts: form, text_errors: errors, ..View::default() };
        render_answers(&s, &who, &bot, view, StatusCode::UNPROCESSABLE_ENTITY).await
    })
    .await
}

/// Add a rule at the end of the list.
#[utoipa::path(post, path = "/bots/{id}/answers/rules", tag = "dashboard", security(("login" = [])), params(("id" = String, Path)),
    responses(SignInRequired, FormErrors, (status = 303, description = "Added"),
        (status = 404, description = "No such bot in this workspace", content_type = "text/html")))]
pub async fn add_rule(State(s): State<Services>, post: BotPost<Form<RuleForm>>) -> Response {
    let BotPost { who, me, bot, path: id, body: Form(form) } = post;
    let Some(mut rules) = stored_rules(&bot) else { return unreadable() };
    let refused = |rule_errors: Vec<FieldError>, other_errors: Vec<String>| View {
        texts: stored_texts(&bot),
        rule_errors,
        other_errors,
        ..View::default()
    };
    let (rule, rows) = match form.to_rule() {
        Ok(parsed) => parsed,
        Err(errors) => {
            let view = View { rule: form, ..refused(errors, vec![]) };
            return render_answers(&s, &who, &bot, view, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let index = rules.len();
    rules.push(rule);
    let saved = s.update_bot(&me, &id, BotPatch { rules: Some(rules), ..BotPatch::default() }).await;
    after_save(saved, format!("/bots/{id}/answers?done=added#rules"), async |errors| {
        let (mine, other) = rule_form::form_errors(errors, index, &rows);
        let view = View { rule: form, ..refused(mine, other) };
        render_answers(&s, &who, &bot, view, StatusCode::UNPROCESSABLE_ENTITY).await
    })
    .await
}

fn unreadable() -> Response {
    message(
        StatusCode::CONFLICT,
        "The rules cannot be changed here",
        "This bot's stored rules cannot be read, so the dashboard leaves them alone. Fix them through the admin API (PATCH /api/admin/v1/bots/{id}).",
    )
}

/// What both rule buttons do: find the rule the button was drawn for, still at `index`
/// and of the same name, change the list there, and save it.
async fn change_rule(
    s: &Services,
    post: BotPost<Form<RuleRef>, (String, String)>,
    done: &str,
    change: impl FnOnce(&mut Vec<Rule>, usize),
) -> Response {
    let BotPost { me, bot, path: (id, index), body: Form(form), .. } = post;
    let Some(mut rules) = stored_rules(&bot) else { return unreadable() };
    match index.parse::<usize>() {
        Ok(i) if rules.get(i).is_some_and(|r| r.name == form.name) => change(&mut rules, i),
        _ => {
            return message(
                StatusCode::CONFLICT,
                "The rules changed",
                "The rules changed since this page was loaded (perhaps a colleague edited them). Reload the page and try again.",
            )
        }
    }
    let saved = s.update_bot(&me, &id, BotPatch { rules: Some(rules), ..BotPatch::default() }).await;
    back_to(saved, format!("/bots/{id}/answers?done={done}#rules"))
}

/// Delete a rule.
#[utoipa::path(post, path = "/bots/{id}/answers/rules/{index}/delete", tag = "dashboard", security(("login" = [])),
    params(("id" = String, Path), ("index" = usize, Path, description = "The rule's position, from 0")),
    responses(SignInRequired, FormErrors, (status = 303, description = "Deleted"),
        (status = 409, description = "The rules changed since the page was loaded", content_type = "text/html"),
        (status = 404, description = "No such bot in this workspace", content_type = "text/html")))]
pub async fn delete_rule(State(s): State<Services>, post: BotPost<Form<RuleRef>, (String, String)>) -> Response {
    change_rule(&s, post, "deleted", |rules, i| {
        rules.remove(i);
    })
    .await
}

/// Move a rule one place up: it is checked before the rule above it was.
#[utoipa::path(post, path = "/bots/{id}/answers/rules/{index}/move-up", tag = "dashboard", security(("login" = [])),
    params(("id" = String, Path), ("index" = usize, Path, description = "The rule's position, from 0")),
    responses(SignInRequired, FormErrors, (status = 303, description = "Moved"),
        (status = 409, description = "The rules changed since the page was loaded", content_type = "text/html"),
        (status = 404, description = "No such bot in this workspace", content_type = "text/html")))]
pub async fn move_rule_up(State(s): State<Services>, post: BotPost<Form<RuleRef>, (String, String)>) -> Response {
    change_rule(&s, post, "moved", |rules, i| {
        if i > 0 {
            rules.swap(i - 1, i);
        }
    })
    .await
}
