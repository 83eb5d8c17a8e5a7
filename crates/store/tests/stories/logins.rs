use concierge_store::{Error, NewLogin, NewUser, User};

use super::support::{Harness, HOUR, NOW};

fn new_user<'a>(workspace_id: &'a str, email: &'a str, now: i64) -> NewUser<'a> {
    NewUser { workspace_id, email, password_hash: "$argon2id$stub", name: None, now }
}

pub async fn the_first_user_is_created_once_through_a_setup_link(h: &Harness) {
    let ws = h.store.default_workspace().await.expect("default workspace");
    assert!(!h.store.has_users().await.expect("has users"));
    h.store.create_setup_token("link-a", NOW + HOUR, NOW).await.expect("link a");
    h.store.create_setup_token("link-b", NOW + HOUR, NOW).await.expect("link b");
    h.store.create_setup_token("old", NOW - 1, NOW - HOUR).await.expect("expired link");
    assert!(h.store.setup_token_valid("link-a", NOW).await.expect("valid"));
    assert!(!h.store.setup_token_valid("old", NOW).await.expect("expired"));
    assert!(!h.store.setup_token_valid("nope", NOW).await.expect("unknown"));

    assert_eq!(h.store.claim_setup("old", new_user(&ws.id, "late@example.com", NOW)).await.expect("claim"), None);
    assert_eq!(h.store.claim_setup("nope", new_user(&ws.id, "x@example.com", NOW)).await.expect("claim"), None);
    let first = h.store.claim_setup("link-a", new_user(&ws.id, "first@example.com", NOW)).await.expect("claim");
    let first = first.expect("a valid link creates the user");
    assert_eq!(first.email, "first@example.com");
    assert!(h.store.has_users().await.expect("has users"));
    // The link is spent, and so is every other one.
    for link in ["link-a", "link-b"] {
        assert_eq!(h.store.claim_setup(link, new_user(&ws.id, "second@example.com", NOW)).await.expect("claim"), None);
        assert!(!h.store.setup_token_valid(link, NOW).await.expect("valid"));
    }
    assert_eq!(h.store.get_user(&first.id).await.expect("get"), Some(first));
}

pub async fn a_failed_claim_keeps_the_link(h: &Harness) {
    let ws = h.store.default_workspace().await.expect("default workspace");
    h.store.create_user(new_user(&ws.id, "taken@example.com", NOW)).await.expect("user");
    h.store.create_setup_token("link", NOW + HOUR, NOW).await.expect("link");
    let err =
        h.store.claim_setup("link", new_user(&ws.id, "taken@example.com", NOW)).await.expect_err("the email is taken");
    assert!(matches!(err, Error::Conflict("user_email")), "{err:?}");
    assert!(h.store.setup_token_valid("link", NOW).await.expect("valid"), "nothing was half-written");
}

pub async fn logins_find_their_user_until_they_expire_or_end(h: &Harness) {
    let ws = h.store.default_workspace().await.expect("default workspace");
    let user = h.store.create_user(new_user(&ws.id, "ops@example.com", NOW)).await.expect("user");
    let login = NewLogin { user_id: &user.id, token_hash: "cookie", expires_at: NOW + HOUR, now: NOW };
    h.store.create_login(login).await.expect("login");
    assert_eq!(h.store.find_login("cookie", NOW + 1).await.expect("find"), Some(user.clone()));
    assert_eq!(h.store.find_login("cookie", NOW + HOUR).await.expect("find"), None, "expired");
    assert_eq!(h.store.find_login("other", NOW).await.expect("find"), None);
    assert!(h.store.delete_login("cookie").await.expect("sign out"));
    assert_eq!(h.store.find_login("cookie", NOW + 1).await.expect("find"), None);
    assert!(!h.store.delete_login("cookie").await.expect("sign out again"));
    let ghost = NewLogin { user_id: "no-such-user", token_hash: "ghost", expires_at: NOW + HOUR, now: NOW };
    assert!(matches!(h.store.create_login(ghost).await, Err(Error::NotFound("user"))));
}

pub async fn users_have_display_names(h: &Harness) {
    let ws = h.store.default_workspace().await.expect("default workspace");
    h.store.create_setup_token("link", NOW + HOUR, NOW).await.expect("link");
    let first = NewUser { name: Some("Ann Lee"), ..new_user(&ws.id, "ann@example.com", NOW) };
    let ann = h.store.claim_setup("link", first).await.expect("claim").expect("valid link");
    assert_eq!(ann.name.as_deref(), Some("Ann Lee"));
    let bea = h.store.create_user(new_user(&ws.id, "bea@example.com", NOW)).await.expect("user");
    assert_eq!(bea.name, None);
    assert_eq!(h.store.get_user(&ann.id).await.expect("get"), Some(ann.clone()));

    assert!(h.store.set_user_name(&bea.id, Some("Bea Ortiz")).await.expect("name Bea"));
    let named = User { name: Some("Bea Ortiz".to_owned()), ..bea.clone() };
    assert_eq!(h.store.get_user(&bea.id).await.expect("get"), Some(named.clone()));
    assert_eq!(h.store.find_user_by_email("bea@example.com").await.expect("find"), Some(named.clone()));
    let login = NewLogin { user_id: &bea.id, token_hash: "cookie", expires_at: NOW + HOUR, now: NOW };
    h.store.create_login(login).await.expect("login");
    assert_eq!(h.store.find_login("cookie", NOW).await.expect("find login"), Some(named));
    assert!(format!("{bea:?}").contains("name: None"), "Debug shows the name");

    assert!(h.store.set_user_name(&bea.id, None).await.expect("clear"));
    assert_eq!(h.store.get_user(&bea.id).await.expect("get"), Some(bea));
    assert!(!h.store.set_user_name("no-such-user", Some("Nobody")).await.expect("unknown user"));
}
