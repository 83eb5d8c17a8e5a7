//! Contacts and the authentication log, read a page at a time.

use super::signed::Signed;
use crate::utils::TestApp;

/// Past a page of rows, the contacts and the authentication log lead to the older ones,
/// keeping the search and the filters; nothing is out of reach.
#[tokio::test]
async fn contacts_and_the_authentication_log_page_to_their_oldest_rows() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let me = Signed::first_user(&app).await;
    let bot = app.bot().await;
    let now = concierge_core::now_ms();
    let metadata = serde_json::Map::new();
    for i in 0..205 {
        let (identifier, name) = (format!("u-{i}"), format!("Member {i:03}"));
        let upsert = concierge_store::ContactUpsert {
            bot_id: &bot,
            identify_method: concierge_domain::IdentifyMethod::Id,
            identifier: &identifier,
            external_id: Some(&identifier),
            email: None,
            name: Some(&name),
            phone_number: None,
            metadata: &metadata,
            now: now + i,
        };
        app.services.store.upsert_contact(upsert).await.unwrap();
    }
    let attempts: Vec<_> = (0..205)
        .map(|i| concierge_store::NewAttempt {
            bot_id: &bot,
            outcome: concierge_domain::AttemptOutcome::Ok,
            reason: None,
            latency_ms: i,
            identifier: Some("u-1"),
            upstream_status: Some(200),
            client_ip: None,
            is_test: false,
            cached: false,
            mode: concierge_domain::IdentityKind::CustomAuth,
            now: now - 1_000 + i,
        })
        .collect();
    app.services.store.record_attempts(&attempts).await.unwrap();

    let link = |page: &str, text: &str| {
        let end = page.find(&format!("\">{text}</a>"))?;
        let start = page[..end].rfind("href=\"")? + 6;
        Some(page[start..end].to_owned())
    };
    let (_, first) = me.page(&app, &format!("/contacts?bot={bot}&search=member")).await;
    assert!(first.contains("Member 204") && !first.contains("Member 004"), "newest first");
    let older = link(&first, "Older contacts").expect("a link to the older contacts");
    assert!(older.contains("search=member"), "{older}");
    let (status, second) = me.page(&app, &older).await;
    assert_eq!(status, 200);
    assert!(second.contains("Member 004") && second.contains("Member 000"), "the rest");
    assert!(link(&second, "Older contacts").is_none() && link(&second, "Newest").is_some());

    let (_, log) = me.page(&app, &format!("/auth-log?bot={bot}&outcome=ok")).await;
    assert_eq!(log.matches("<td class=\"nowrap\">").count(), 200, "a page of attempts");
    let older = link(&log, "Older attempts").expect("a link to the older attempts");
    assert!(older.contains("outcome=ok"), "{older}");
    let (_, rest) = me.page(&app, &older).await;
    assert_eq!(rest.matches("<td class=\"nowrap\">").count(), 5, "the five oldest");
    assert!(link(&rest, "Older attempts").is_none());
}
