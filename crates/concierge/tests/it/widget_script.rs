//! The widget's script as browsers download it, and the bot's appearance as the widget
//! reads it.

use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::utils::TestApp;

#[tokio::test]
async fn the_widget_script_is_cached_compressed_and_small() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let plain = app.http.get(app.url("/widget.js")).send().await.unwrap();
    assert_eq!(plain.status(), 200);
    assert!(plain.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert!(plain.headers()["cache-control"].to_str().unwrap().contains("max-age"));
    let etag = plain.headers()["etag"].to_str().unwrap().to_owned();
    let source = plain.bytes().await.unwrap();
    for (accept, encoding) in [("gzip", "gzip"), ("gzip, br", "br"), ("br;q=0, gzip", "gzip")] {
        let resp = app.http.get(app.url("/widget.js")).header("accept-encoding", accept).send().await.unwrap();
        assert_eq!(resp.headers()["content-encoding"], encoding, "{accept}");
        assert_eq!(resp.headers()["vary"], "Accept-Encoding");
        let body = resp.bytes().await.unwrap();
        assert!(body.len() < source.len());
        if encoding == "gzip" {
            let mut unzipped = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut unzipped).unwrap();
            assert_eq!(unzipped, source, "gzip decodes to the script");
            assert!(body.len() <= 10_752, "the widget is {} bytes gzipped; the budget is 10.5 KiB", body.len());
        }
    }
    let cached = app.http.get(app.url("/widget.js")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(cached.status(), 304);
    assert!(cached.bytes().await.unwrap().is_empty());
}

/// docs/widget.md states the widget's gzipped size; it must be the size visitors download.
#[tokio::test]
async fn the_documented_widget_size_is_the_measured_one() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let resp = app.http.get(app.url("/widget.js")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(resp.headers()["content-encoding"], "gzip");
    let measured = resp.bytes().await.unwrap().len();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/widget.md");
    let doc = std::fs::read_to_string(path).unwrap();
    // "Currently **12,345 bytes** gzipped": the first number after "Currently".
    let stated = doc.split_once("Currently").map(|(_, rest)| rest).and_then(|rest| {
        let digits: String = rest
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(|c| c.is_ascii_digit() || *c == ',')
            .filter(char::is_ascii_digit)
            .collect();
        digits.parse::<usize>().ok()
    });
    let stated = stated.expect("docs/widget.md says \"Currently N bytes\" in its size budget");
    // Within 2 %: a small change to the widget need not touch the doc, a drift must.
    assert!(
        stated.abs_diff(measured) * 50 <= measured,
        "docs/widget.md states {stated} bytes gzipped, the server sends {measured}: update the figure"
    );
}

async fn appearance_is_editable_and_public(app: TestApp) {
    let bot = app.bot().await;
    let public = |app: &TestApp| {
        let url = app.url(&format!("/api/widget/v1/bots/{bot}"));
        let http = app.http.clone();
        async move { http.get(url).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let before = public(&app).await;
    assert_eq!(before["name"], "Support");
    assert_eq!(before["color"], "#2563eb");
    assert_eq!(before["text_color"], "#ffffff");
    assert_eq!(before["signin_required"], false);
    assert!(before.get("signing_secret").is_none());

    let (status, e) =
        app.admin(Method::PATCH, &format!("/bots/{bot}"), Some(json!({"color": "blue", "greeting": ""}))).await;
    assert_eq!(status, 422);
    let fields: Vec<_> =
        e["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["color", "greeting"]);
    let (status, b) = app
        .admin(
            Method::PATCH,
            &format!("/bots/{bot}"),
            Some(json!({"color": "#0A7", "greeting": "Hello {name}!", "signin_text": "Log in first."})),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!((b["name"].as_str(), b["color"].as_str()), (Some("Support"), Some("#00aa77")));
    // White reads only 3:1 on it: the widget writes near-black, and the admin is told.
    assert_eq!(b["text_color"], "#111827");
    let (status, saved) = app
        .put(
            &format!("/bots/{bot}/custom-auth"),
            json!({"enabled": true, "url": "http://127.0.0.1:9/auth", "on_failure": "block"}),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    let after = public(&app).await;
    assert_eq!(
        (after["greeting"].as_str(), after["signin_text"].as_str()),
        (Some("Hello {name}!"), Some("Log in first."))
    );
    assert_eq!(after["signin_required"], true);
    assert_eq!(after["text_color"], "#111827");
    // A mid-tone where neither white (4.2:1) nor near-black (4.0:1) is enough: black.
    let (_, violet) = app.admin(Method::PATCH, &format!("/bots/{bot}"), Some(json!({"color": "#8b5cf6"}))).await;
    assert_eq!(violet["text_color"], "#000000");
    assert_eq!(public(&app).await["text_color"], "#000000");
    let missing = app.http.get(app.url("/api/widget/v1/bots/nope")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}
both_backends!(appearance_is_editable_and_public, super::appearance_is_editable_and_public);
