//! Dashboard sign-in as seen over HTTP: the setup link, the cookie, CSRF on the JSON API.
//! The bot pages that configure answers are in `bot_pages`.

mod bot_pages;
mod headers;
mod records;
mod signed;

use serde_json::{json, Value};

use crate::utils::TestApp;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

#[tokio::test]
async fn the_setup_cookie_signs_into_the_json_api_with_csrf_on_writes() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let link = app.services.setup_link_if_needed().await.unwrap().expect("no user yet, so a link");
    let http = no_redirects();
    let form = [("token", link.as_str()), ("email", "Owner@Example.com"), ("password", "a long password")];
    let created = http.post(app.url("/setup")).form(&form).send().await.unwrap();
    assert_eq!(created.status(), 303);
    let cookie = created.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let login = cookie.split(';').next().unwrap().to_owned();
    let token = login.split_once('=').unwrap().1;
    assert_eq!(app.services.setup_link_if_needed().await.unwrap(), None, "an account exists now");
    let reused = http.post(app.url("/setup")).form(&form).send().await.unwrap();
    assert_eq!(reused.status(), 410, "the link worked once");

    let list = http.get(app.url("/api/admin/v1/bots")).header("cookie", &login).send().await.unwrap();
    assert_eq!(list.status(), 200);
    let post = |csrf: Option<String>| {
        let mut req = http.post(app.url("/api/admin/v1/bots")).header("cookie", &login).json(&json!({"name": "Web"}));
        if let Some(csrf) = csrf {
            req = req.header("x-csrf-token", csrf);
        }
        req.send()
    };
    let refused = post(None).await.unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"]["code"], "forbidden");
    assert_eq!(post(Some("0".repeat(32))).await.unwrap().status(), 403);
    let made = post(Some(concierge_core::csrf_token(token))).await.unwrap();
    assert_eq!(made.status(), 201);

    let out = http
        .post(app.url("/logout"))
        .header("cookie", &login)
        .form(&[("csrf", concierge_core::csrf_token(token))])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    let after = http.get(app.url("/api/admin/v1/bots")).header("cookie", &login).send().await.unwrap();
    assert_eq!(after.status(), 401, "signed out means the cookie is dead");
    let page = http.get(app.url("/bots")).header("cookie", &login).send().await.unwrap();
    assert_eq!(page.headers()["location"], "/login?next=%2Fbots");
}

/// The README's quick start runs `concierge user create` after `serve` printed its link:
/// the link dies unused, and the page says why instead of claiming it "was already used".
#[tokio::test]
async fn a_setup_link_dies_once_any_account_exists_and_the_page_says_so() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let link = app.services.setup_link_if_needed().await.unwrap().expect("a link");
    let http = no_redirects();
    let unknown = http.get(app.url("/setup?token=setup_not-a-link")).send().await.unwrap();
    assert_eq!(unknown.status(), 410);
    let text = unknown.text().await.unwrap();
    assert!(text.contains("It has expired or is not a valid link."), "{text}");
    assert!(!text.contains("already used") && !text.contains("already exists"), "nobody used it: {text}");

    concierge_core::create_user(app.services.store.as_ref(), "cli@example.com", None, "a long password", None)
        .await
        .unwrap();
    let page = http.get(app.url(&format!("/setup?token={link}"))).send().await.unwrap();
    assert_eq!(page.status(), 410);
    let form = [("token", link.as_str()), ("email", "late@example.com"), ("password", "a long password")];
    let claimed = http.post(app.url("/setup")).form(&form).send().await.unwrap();
    assert_eq!(claimed.status(), 410);
    for text in [page.text().await.unwrap(), claimed.text().await.unwrap()] {
        assert!(text.contains("An account already exists"), "{text}");
        assert!(text.contains(r#"<a href="/login">Sign in</a>"#), "a link to sign in: {text}");
        assert!(!text.contains("already used"), "the link was never used: {text}");
    }
    assert!(app.services.store.find_user_by_email("late@example.com").await.unwrap().is_none());
}

/// A database that cannot say whether accounts exist is an error page, not a sign-in form
/// that guesses (before, it assumed accounts existed and hid the first-run hint).
#[tokio::test]
async fn the_sign_in_page_shows_a_database_failure() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    app.sabotage("ALTER TABLE users RENAME TO users_away").await;
    let page = app.http.get(app.url("/login")).send().await.unwrap();
    assert_eq!(page.status(), 500);
    let text = page.text().await.unwrap();
    assert!(text.contains("internal_error") && !text.contains("users_away"), "{text}");
}

#[tokio::test]
async fn the_dashboard_has_an_icon_that_browsers_may_cache() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let login = app.http.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    assert!(login.contains(r#"<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">"#), "{login}");
    for (path, kind, magic) in
        [("/assets/favicon.svg", "image/svg+xml", &b"<svg"[..]), ("/favicon.ico", "image/x-icon", &[0, 0, 1, 0][..])]
    {
        let resp = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(resp.headers()["content-type"], kind);
        let cache = resp.headers()["cache-control"].to_str().unwrap().to_owned();
        assert!(cache.starts_with("public, max-age="), "{path}: {cache}");
        let body = resp.bytes().await.unwrap();
        assert!(body.starts_with(magic) && body.len() < 2048, "{path}: a small icon of that type");
    }
}

#[tokio::test]
async fn behind_a_tls_proxy_the_embed_snippet_uses_https() {
    let mut args = crate::utils::test_args();
    args.trust_proxy_headers = Some(true);
    let Some(app) = TestApp::spawn_with(crate::utils::Backend::Sqlite, args).await else { return };
    let link = app.services.setup_link_if_needed().await.unwrap().expect("a link");
    let http = no_redirects();
    let form = [("token", link.as_str()), ("email", "o@example.com"), ("password", "a long password")];
    let created = http.post(app.url("/setup")).form(&form).header("x-forwarded-proto", "https").send().await.unwrap();
    let cookie = created.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("Secure"), "over https the cookie is Secure: {cookie}");
    let login = cookie.split(';').next().unwrap().to_owned();
    let bot = app.bot().await;
    let page = |proto: &'static str| {
        http.get(app.url(&format!("/bots/{bot}/embed")))
            .header("cookie", &login)
            .header("host", "chat.acme.example")
            .header("x-forwarded-proto", proto)
            .send()
    };
    let unescaped = |html: String| html.replace("&#x2f;", "/");
    let html = unescaped(page("https").await.unwrap().text().await.unwrap());
    assert!(html.contains("https://chat.acme.example/widget.js"), "{html}");
    let html = unescaped(page("http").await.unwrap().text().await.unwrap());
    assert!(html.contains("http://chat.acme.example/widget.js"));
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited_per_address() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    concierge_core::create_user(app.services.store.as_ref(), "o@example.com", None, "a long password", None)
        .await
        .unwrap();
    let http = no_redirects();
    let attempt = |password: &'static str| {
        http.post(app.url("/login"))
            .form(&[("email", "o@example.com"), ("password", password), ("next", "/bots")])
            .send()
    };
    for _ in 0..10 {
        assert_eq!(attempt("wrong password").await.unwrap().status(), 401);
    }
    let limited = attempt("a long password").await.unwrap();
    assert_eq!(limited.status(), 429, "even the right password waits once the limit is spent");
    assert!(limited.text().await.unwrap().contains("Too many sign-in attempts"));
}

#[tokio::test]
async fn an_inbox_event_stream_ends_after_sign_out() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let link = app.services.setup_link_if_needed().await.unwrap().expect("a link");
    let http = no_redirects();
    let form = [("token", link.as_str()), ("email", "o@example.com"), ("password", "a long password")];
    let created = http.post(app.url("/setup")).form(&form).send().await.unwrap();
    let login = created.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let token = login.split_once('=').unwrap().1.to_owned();
    let bot = app.bot().await;
    let stream =
        http.get(app.url(&format!("/api/admin/v1/bots/{bot}/events"))).header("cookie", &login).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    let mut stream = futures::StreamExt::boxed(stream.bytes_stream());
    let out = http
        .post(app.url("/logout"))
        .header("cookie", &login)
        .form(&[("csrf", concierge_core::csrf_token(&token))])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    let ended = tokio::time::timeout(std::time::Duration::from_secs(25), async {
        while let Some(chunk) = futures::StreamExt::next(&mut stream).await {
            if chunk.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream kept going after sign-out");
}
