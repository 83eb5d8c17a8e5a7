//! Security headers: every dashboard page (each GET route the OpenAPI document tags
//! "dashboard", with real ids) carries the strict CSP and cannot be framed, and holds
//! nothing that CSP would block; every response says `nosniff`; the widget's script and
//! API, embedded cross-origin by customers, keep working without the page headers.

use reqwest::header::HeaderMap;
use serde_json::{json, Value};

use super::no_redirects;
use crate::utils::{Customer, TestApp};

/// The dashboard pages as `(template, concrete path)`, straight from the OpenAPI document,
/// so a page added later is checked without touching this test.
fn dashboard_pages(fill: impl Fn(&str) -> String) -> Vec<(String, String)> {
    let doc: Value = serde_json::from_str(&concierge::http::openapi_json()).unwrap();
    let mut pages = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let get = &ops["get"];
        if get["tags"].as_array().is_some_and(|t| t.iter().any(|t| t == "dashboard")) {
            pages.push((path.clone(), fill(path)));
        }
    }
    assert!(pages.len() >= 15, "the document lists the dashboard's pages: {pages:?}");
    pages
}

fn assert_page_headers(path: &str, headers: &HeaderMap) {
    let get = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let csp = get("content-security-policy");
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    for wanted in ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"] {
        assert!(directives.contains(&wanted), "{path}: CSP {csp:?} lacks {wanted:?}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{path}: {csp}");
    assert_eq!(get("x-frame-options"), "DENY", "{path}");
    assert_eq!(get("referrer-policy"), "same-origin", "{path}");
    assert_eq!(get("x-content-type-options"), "nosniff", "{path}");
    assert_eq!(get("strict-transport-security"), "", "{path}: no HSTS over plain http");
}

/// What a strict CSP would refuse to run or apply: inline scripts, `on…` handler
/// attributes, `style` attributes and `<style>` elements.
fn assert_csp_clean(path: &str, html: &str) {
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains(" style=") && !lower.contains("<style"), "{path}: inline style in\n{html}");
    for (i, _) in lower.match_indices("<script") {
        let tag = &lower[i..i + lower[i..].find('>').unwrap()];
        assert!(tag.contains(" src="), "{path}: inline script {tag}");
    }
    let handler = lower.split(['<', ' ', '\n']).find(|w| {
        w.starts_with("on")
            && w.split_once('=').is_some_and(|(n, _)| n.len() > 2 && n[2..].chars().all(|c| c.is_ascii_lowercase()))
    });
    assert!(handler.is_none(), "{path}: inline handler {handler:?}");
}

#[tokio::test]
async fn every_dashboard_page_has_a_strict_csp_and_cannot_be_framed() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let link = app.services.setup_link_if_needed().await.unwrap().expect("a link");
    let http = no_redirects();
    let setup_page = http.get(app.url(&format!("/setup?token={link}"))).send().await.unwrap();
    assert_page_headers("/setup", setup_page.headers());
    let form = [("token", link.as_str()), ("email", "o@example.com"), ("password", "a long password")];
    let created = http.post(app.url("/setup")).form(&form).send().await.unwrap();
    assert_page_headers("POST /setup", created.headers());
    let cookie = created.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();

    // Something on every page: a bot with an article, a contact with a conversation.
    let customer = Customer::with_users().await;
    let bot = app.bot_with_auth(&customer.url, json!({})).await;
    let (status, article) = app
        .post(&format!("/bots/{bot}/articles"), json!({"title": "Refunds", "body": "Refunds take five days."}))
        .await;
    assert_eq!(status, 201, "{article}");
    let article = article["id"].as_str().unwrap().to_owned();
    let (_, session) = app.start_session(json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    let contact = session["contact"]["id"].as_str().unwrap().to_owned();
    let conversation = session["conversation"]["id"].as_str().unwrap().to_owned();

    let pages = dashboard_pages(|path| {
        let concrete = path.replace("{article_id}", &article);
        match concrete.strip_prefix("/contacts/") {
            Some("{id}") => format!("/contacts/{contact}"),
            _ => concrete.replace("{id}", &bot),
        }
    });
    let extra = [
        format!("/bots/{bot}/knowledge?question=How+long+do+refunds+take%3F"),
        format!("/inbox?bot={bot}&c={conversation}"),
        format!("/contacts?bot={bot}"),
        format!("/auth-log?bot={bot}"),
        "/login".to_owned(),
        format!("/bots/{bot}/knowledge/no-such-article"),
    ];
    let mut html_pages = 0;
    for path in pages.into_iter().map(|(_, p)| p).chain(extra) {
        let resp = http.get(app.url(&path)).header("cookie", &cookie).send().await.unwrap();
        assert!(resp.status().as_u16() < 500, "{path}: {}", resp.status());
        assert_page_headers(&path, resp.headers());
        let html = resp.headers().get("content-type").is_some_and(|t| t.to_str().unwrap().starts_with("text/html"));
        let cache = resp.headers().get("cache-control").map(|v| v.to_str().unwrap().to_owned());
        let body = resp.text().await.unwrap();
        if html {
            // Secrets on the Identity page, contacts elsewhere: neither the browser's Back
            // after signing out nor a proxy may show a stored copy.
            assert_eq!(cache.as_deref(), Some("no-store"), "{path}");
            html_pages += 1;
            assert_csp_clean(&path, &body);
        }
    }
    assert!(html_pages >= 15, "{html_pages} pages were read");

    // Signed out, the sign-in page and the redirect to it are pages too.
    let login = http.get(app.url("/login")).send().await.unwrap();
    assert_page_headers("/login (signed out)", login.headers());
    let redirect = http.get(app.url("/bots")).send().await.unwrap();
    assert_eq!(redirect.status(), 303);
    assert_page_headers("/bots (signed out)", redirect.headers());
}

#[tokio::test]
async fn the_widget_and_the_apis_say_nosniff_without_the_page_headers_and_cors_still_works() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let bot = app.bot().await;
    let site = "https://shop.example";
    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/api/widget/v1/sessions"))
        .header("origin", site)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let session = app
        .http
        .post(app.url("/api/widget/v1/sessions"))
        .header("origin", site)
        .json(&json!({"bot_id": bot}))
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), 201);
    for resp in [&preflight, &session] {
        assert_eq!(resp.headers()["access-control-allow-origin"], site, "the widget API still answers any site");
    }
    let widget = app.http.get(app.url("/widget.js")).send().await.unwrap();
    assert_eq!(widget.headers()["cross-origin-resource-policy"], "cross-origin");
    let admin = app.http.get(app.url("/api/admin/v1/bots")).send().await.unwrap();
    let secrets =
        app.http.get(app.url(&format!("/api/admin/v1/bots/{bot}/custom-auth"))).bearer_auth(crate::utils::ADMIN_TOKEN);
    let secrets = secrets.send().await.unwrap();
    assert_eq!(secrets.status(), 200);
    for (what, resp) in [("session", &session), ("signing secret", &secrets)] {
        assert_eq!(resp.headers()["cache-control"], "no-store", "{what}: tokens and secrets are never stored");
    }
    assert!(widget.headers()["cache-control"].to_str().unwrap().contains("max-age"), "the script is still cached");
    let missing = app.http.get(app.url("/no/such/thing")).send().await.unwrap();
    for (what, resp) in
        [("preflight", &preflight), ("session", &session), ("widget.js", &widget), ("admin", &admin), ("404", &missing)]
    {
        let h = resp.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
        for page_only in ["content-security-policy", "x-frame-options"] {
            assert!(h.get(page_only).is_none(), "{what} has {page_only}: customers embed the widget");
        }
    }
}

#[tokio::test]
async fn hsts_only_when_a_trusted_proxy_says_https() {
    let mut args = crate::utils::test_args();
    args.trust_proxy_headers = Some(true);
    let Some(trusting) = TestApp::spawn_with(crate::utils::Backend::Sqlite, args).await else { return };
    let hsts = |app: &TestApp, path: &'static str, proto: Option<&'static str>| {
        let mut req = app.http.get(app.url(path));
        if let Some(proto) = proto {
            req = req.header("x-forwarded-proto", proto);
        }
        async move { req.send().await.unwrap().headers().get("strict-transport-security").cloned() }
    };
    for path in ["/login", "/widget.js", "/healthz"] {
        let sent = hsts(&trusting, path, Some("https")).await;
        assert_eq!(sent.as_ref().map(|v| v.to_str().unwrap()), Some("max-age=31536000"), "{path}");
        assert_eq!(hsts(&trusting, path, Some("http")).await, None, "{path} over http");
        assert_eq!(hsts(&trusting, path, None).await, None, "{path} without a proxy");
    }
    let Some(plain) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    assert_eq!(hsts(&plain, "/login", Some("https")).await, None, "an untrusted header is ignored");
}
