//! The knowledge base: the articles the bot answers from (list, write, edit, delete), with
//! "Try a question" on the list page (see `preview.rs`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use concierge_domain::FieldError;
use concierge_store::{Article, Bot};
use minijinja::context;
use serde::Deserialize;

use super::super::posted::carries_csrf;
use super::super::records::when;
use super::super::{Served, SignedIn};
use super::{after_save, back_to, by_field, elsewhere, failure, notice, preview, render_tab};
use super::{BotPage, BotPost, CsrfOnly, NoQuery};
use crate::http::responses::{FormErrors, SignInRequired};
use concierge_core::{ArticleInput, Services};

/// How much of an article's text the list shows.
const EXCERPT_CHARS: usize = 140;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KnowledgeQuery {
    /// A question to try: the page shows what the bot would answer.
    question: Option<String>,
    /// Answer the question as this contact would be answered; empty: an anonymous visitor.
    contact: Option<String>,
    /// What the last form did: `created`, `saved` or `deleted`.
    done: Option<String>,
}

/// An article as written in the form.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ArticleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    /// Markdown, and a template.
    #[serde(default)]
    body: String,
    /// The ways visitors ask for the article, one a line; blank lines are none.
    #[serde(default)]
    asked_as: String,
    /// The ways as the form showed them (a JSON array of strings): a way taught from an
    /// unanswered question since the form was opened is kept, not overwritten.
    #[serde(default)]
    asked_as_shown: String,
}

carries_csrf!(ArticleForm);

impl ArticleForm {
    fn new(title: String, body: String, asked_as: &[String]) -> Self {
        let shown = serde_json::to_string(asked_as).unwrap_or_default();
        Self { csrf: String::new(), title, body, asked_as: asked_as.join("\n"), asked_as_shown: shown }
    }

    /// The form as written, with the ways `current` (the article's now) has that it neither
    /// showed nor holds added to its field, and all of `current` as shown.
    fn show_gained(&mut self, current: &[String]) {
        let input = self.input();
        let (shown, wrote) = (input.shown.unwrap_or_default(), input.asked_as.unwrap_or_default());
        for way in concierge_store::gained_since(current, &shown, &wrote) {
            self.asked_as = if self.asked_as.trim().is_empty() { way } else { format!("{}\n{way}", self.asked_as) };
        }
        self.asked_as_shown = serde_json::to_string(current).unwrap_or_default();
    }

    /// The article as written; a way the article gained since the form showed it is kept
    /// (the store reads and keeps it in the transaction that saves).
    fn input(&self) -> ArticleInput {
        let asked_as = self.asked_as.lines().filter(|line| !line.trim().is_empty()).map(str::to_owned).collect();
        // A form without the field (sent from elsewhere) was shown none: nothing is lost.
        let shown = serde_json::from_str(&self.asked_as_shown).unwrap_or_default();
        ArticleInput {
            title: self.title.clone(),
            body: self.body.clone(),
            asked_as: Some(asked_as),
            shown: Some(shown),
        }
    }
}

/// The notices for `?done=`, by what the last form did.
const DONE: [(&str, &str); 3] =
    [("created", "Article created."), ("saved", "Article saved."), ("deleted", "Article deleted.")];

/// The article's text on one line, without Markdown, cut to a glance.
fn excerpt(body: &str) -> String {
    let line = concierge_core::one_line(&concierge_bot::markdown_to_text(body));
    if line.chars().count() <= EXCERPT_CHARS {
        return line;
    }
    let cut: String = line.chars().take(EXCERPT_CHARS).collect();
    format!("{}…", cut.trim_end())
}

/// The bot's articles, and the "Try a question" form with its answer when one was asked.
#[utoipa::path(get, path = "/bots/{id}/knowledge", tag = "dashboard", security(("login" = [])), params(("id" = String, Path), KnowledgeQuery),
    responses(SignInRequired, (status = 200, description = "Articles and the Try a question form", content_type = "text/html"),
        (status = 404, description = "No such bot in this workspace", content_type = "text/html")))]
pub async fn knowledge_page(State(s): State<Services>, page: BotPage<KnowledgeQuery>) -> Served {
    let BotPage { who, me, bot, path: id, query: q } = page;
    let articles = s.list_articles(&me, &id).await.map_err(failure)?;
    let (question, contact) = (q.question.as_deref(), q.contact.as_deref());
    let tried = preview::try_question(&s, &me, &id, question, contact).await.map_err(failure)?;
    let articles: Vec<_> = articles
        .iter()
        .map(|a| {
            context! {
                id => a.id.clone(), title => a.title.clone(), excerpt => excerpt(&a.body),
                updated => when(a.updated_at),
            }
        })
        .collect();
    let notice = notice(q.done.as_deref(), &DONE);
    let unanswered = s.unanswered_count(&me, &id).await.map_err(failure)?;
    let ctx = context! { articles, notice, tried, unanswered };
    Ok(render_tab(StatusCode::OK, "bot_knowledge.html", "knowledge", &who, &bot, ctx))
}

/// The article form: a new article (`article` is `None`) or an existing one.
fn render_article(
    who: &SignedIn,
    bot: &Bot,
    article: Option<&Article>,
    form: &ArticleForm,
    status: StatusCode,
    errors: &[FieldError],
) -> Response {
    let other_errors = elsewhere(errors, &["title", "body", "asked_as"]);
    let ctx = context! {
        article => article.map(|a| context! { id => a.id.clone(), updated => when(a.updated_at), created => when(a.created_at) }),
        form => context! {
            title => form.title.clone(), body => form.body.clone(), asked_as => form.asked_as.clone(),
            asked_as_shown => form.asked_as_shown.clone(),
        },
        errors => by_field(errors), other_errors,
    };
    render_tab(status, "bot_article.html", "knowledge", who, bot, ctx)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NewArticleQuery {
    /// A title to start from: an unanswered question, in the visitor's words.
    title: Option<String>,
}

/// The form for a new article.
#[utoipa::path(get, path = "/bots/{id}/knowledge/new", tag = "dashboard", security(("login" = [])), params(("id" = String, Path), NewArticleQuery),
    responses(SignInRequired, (status = 200, description = "New article form", content_type = "text/html"),
        (status = 404, description = "No such bot in this workspace", content_type = "text/html")))]
pub async fn new_article_page(page: BotPage<NewArticleQuery>) -> Response {
    let title = page.query.title.as_deref().map(str::trim).unwrap_or_default();
    let title = title.chars().take(concierge_core::MAX_ARTICLE_TITLE).collect();
    let form = ArticleForm::new(title, String::new(), &[]);
    render_article(&page.who, &page.bot, None, &form, StatusCode::OK, &[])
}

/// Create an article.
#[utoipa::path(post, path = "/bots/{id}/knowledge", tag = "dashboard", security(("login" = [])), params(("id" = String, Path)),
    responses(SignInRequired, FormErrors, (status = 303, description = "Created"),
        (status = 404, description = "No such bot in this workspace", content_type = "text/html")))]
pub async fn create_article(State(s): State<Services>, post: BotPost<Form<ArticleForm>>) -> Response {
    let BotPost { who, me, bot, path: id, body: Form(form) } = post;
    let saved = s.create_article(&me, &id, &form.input()).await;
    after_save(saved, format!("/bots/{id}/knowledge?done=created"), async |errors| {
        render_article(&who, &bot, None, &form, StatusCode::UNPROCESSABLE_ENTITY, &errors)
    })
    .await
}

/// An article's edit form.
#[utoipa::path(get, path = "/bots/{id}/knowledge/{article_id}", tag = "dashboard", security(("login" = [])),
    params(("id" = String, Path), ("article_id" = String, Path)),
    responses(SignInRequired, (status = 200, description = "Article form", content_type = "text/html"),
        (status = 404, description = "No such bot or article in this workspace", content_type = "text/html")))]
pub async fn article_page(State(s): State<Services>, page: BotPage<NoQuery, (String, String)>) -> Served {
    let BotPage { who, me, bot, path: (id, article_id), .. } = page;
    let article = s.article_for(&me, &id, &article_id).await.map_err(failure)?;
    let form = ArticleForm::new(article.title.clone(), article.body.clone(), &article.asked_as);
    Ok(render_article(&who, &bot, Some(&article), &form, StatusCode::OK, &[]))
}

/// Save an article.
#[utoipa::path(post, path = "/bots/{id}/knowledge/{article_id}", tag = "dashboard", security(("login" = [])),
    params(("id" = String, Path), ("article_id" = String, Path)),
    responses(SignInRequired, FormErrors, (status = 303, description = "Saved"),
        (status = 404, description = "No such bot or article in this workspace", content_type = "text/html")))]
pub async fn save_article(State(s): State<Services>, post: BotPost<Form<ArticleForm>, (String, String)>) -> Served {
    let BotPost { who, me, bot, path: (id, article_id), body: Form(mut form) } = post;
    let saved = s.update_article(&me, &id, &article_id, &form.input()).await;
    let page = after_save(saved, format!("/bots/{id}/knowledge?done=saved"), async |errors| {
        // Shown again as it is now: with the ways it gained meanwhile in the field (those
        // the refusal may be about), and said to be shown.
        let article = match s.article_for(&me, &id, &article_id).await {
            Ok(article) => article,
            Err(e) => return failure(e),
        };
        form.show_gained(&article.asked_as);
        render_article(&who, &bot, Some(&article), &form, StatusCode::UNPROCESSABLE_ENTITY, &errors)
    });
    Ok(page.await)
}

/// Delete an article.
#[utoipa::path(post, path = "/bots/{id}/knowledge/{article_id}/delete", tag = "dashboard", security(("login" = [])),
    params(("id" = String, Path), ("article_id" = String, Path)),
    responses(SignInRequired, FormErrors, (status = 303, description = "Deleted"),
        (status = 404, description = "No such bot or article in this workspace", content_type = "text/html")))]
pub async fn delete_article(State(s): State<Services>, post: BotPost<Form<CsrfOnly>, (String, String)>) -> Response {
    let BotPost { me, path: (id, article_id), .. } = post;
    back_to(s.delete_article(&me, &id, &article_id).await, format!("/bots/{id}/knowledge?done=deleted"))
}

#[cfg(test)]
mod tests {
    use super::{excerpt, ArticleForm};

    #[test]
    fn the_form_sends_its_ways_one_a_line_and_those_it_showed() {
        let shown = ["where is my parcel".to_owned(), "parcel late".to_owned()];
        let mut form = ArticleForm::new("Shipping".to_owned(), "3 to 5 days.".to_owned(), &shown);
        assert_eq!(form.asked_as, "where is my parcel\nparcel late");
        form.asked_as = "where is my parcel\n\n  \nhas it shipped".to_owned();
        let input = form.input();
        assert_eq!(input.asked_as.unwrap(), ["where is my parcel", "has it shipped"]);
        assert_eq!(input.shown.unwrap(), shown);

        // Refused, it is shown again with a way taught meanwhile, and no way it removed.
        let now = [
            "where is my parcel".to_owned(),
            "parcel late".to_owned(),
            "Has it SHIPPED".to_owned(),
            "my stuff".to_owned(),
        ];
        form.show_gained(&now);
        assert_eq!(form.asked_as, "where is my parcel\n\n  \nhas it shipped\nmy stuff");
        assert_eq!(form.input().shown.unwrap(), now);
    }

    #[test]
    fn an_excerpt_is_one_line_of_plain_text_cut_to_a_glance() {
        assert_eq!(excerpt("# Refunds\n\nWithin **30 days**.\n"), "Refunds Within 30 days.");
        let long = "word ".repeat(100);
        let cut = excerpt(&long);
        assert!(cut.ends_with('…') && cut.chars().count() <= super::EXCERPT_CHARS + 1, "{cut}");
    }
}
