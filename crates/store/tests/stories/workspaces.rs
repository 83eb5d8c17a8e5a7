use concierge_store::{Error, NewApiToken, NewUser, DEFAULT_WORKSPACE_NAME};

use super::support::{Harness, NOW};

pub async fn default_workspace_is_created_once(h: &Harness) {
    let first = h.store.default_workspace().await.expect("create the default workspace");
    assert_eq!(first.name, DEFAULT_WORKSPACE_NAME);
    assert!(first.is_default);

    let again = h.store.default_workspace().await.expect("find the default workspace");
    assert_eq!(again, first);
    let by_name = h.store.find_workspace_by_name(DEFAULT_WORKSPACE_NAME).await.expect("find");
    assert_eq!(by_name, Some(first));
}

pub async fn default_workspace_is_created_once_under_concurrency(h: &Harness) {
    let other = h.another_instance().await;
    let calls: Vec<_> = (0..20)
        .map(|i| {
            let store = if i % 2 == 0 { h.store.clone() } else { other.clone() };
            tokio::spawn(async move { store.default_workspace().await })
        })
        .collect();
    let mut workspaces = Vec::new();
    for call in calls {
        workspaces.push(call.await.expect("join").expect("default workspace"));
    }
    assert!(workspaces.iter().all(|w| *w == workspaces[0]), "{workspaces:#?}");
}

pub async fn workspace_names_are_unique(h: &Harness) {
    let acme = h.store.create_workspace("Acme").await.expect("create Acme");
    assert_eq!(acme.name, "Acme");
    assert!(!acme.is_default);

    let err = h.store.create_workspace("Acme").await.expect_err("the name is taken");
    assert!(matches!(err, Error::Conflict("workspace_name")), "{err:?}");

    let found = h.store.find_workspace_by_name("Acme").await.expect("find Acme");
    assert_eq!(found, Some(acme));
    assert_eq!(h.store.find_workspace_by_name("acme").await.expect("find acme"), None);
}

pub async fn user_emails_are_unique(h: &Harness) {
    let acme = h.store.create_workspace("Acme").await.expect("create Acme");
    let globex = h.store.create_workspace("Globex").await.expect("create Globex");
    let new_user = |workspace_id| NewUser {
        workspace_id,
        email: "ann@example.com",
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
        name: None,
        now: NOW,
    };

    let ann = h.store.create_user(new_user(&acme.id)).await.expect("create Ann");
    assert_eq!(ann.workspace_id, acme.id);
    assert_eq!(ann.created_at, NOW);
    let found = h.store.find_user_by_email("ann@example.com").await.expect("find Ann");
    assert_eq!(found, Some(ann));
    assert_eq!(h.store.find_user_by_email("bob@example.com").await.expect("find Bob"), None);

    // Emails are unique across workspaces: they are how people sign in.
    let err = h.store.create_user(new_user(&globex.id)).await.expect_err("the email is taken");
    assert!(matches!(err, Error::Conflict("user_email")), "{err:?}");

    let err = h
        .store
        .create_user(NewUser { email: "carol@example.com", ..new_user("no-such-workspace") })
        .await
        .expect_err("no such workspace");
    assert!(matches!(err, Error::NotFound("workspace")), "{err:?}");
}

pub async fn api_tokens_find_their_owner(h: &Harness) {
    let acme = h.store.create_workspace("Acme").await.expect("create Acme");
    let ann = h
        .store
        .create_user(NewUser {
            workspace_id: &acme.id,
            email: "ann@example.com",
            password_hash: "hash",
            name: None,
            now: NOW,
        })
        .await
        .expect("create Ann");
    let new_token = |token_hash| NewApiToken { user_id: &ann.id, name: "deploy", token_hash, now: NOW + 1 };

    let token = h.store.create_api_token(new_token("hash-1")).await.expect("create token");
    assert_eq!(token.user_id, ann.id);
    assert_eq!(token.name, "deploy");
    assert_eq!(token.created_at, NOW + 1);

    let owner = h.store.find_api_token("hash-1").await.expect("find token").expect("known");
    assert_eq!(owner.token_id, token.id);
    assert_eq!(owner.user_id, ann.id);
    assert_eq!(owner.workspace_id, acme.id);
    assert_eq!(h.store.find_api_token("hash-2").await.expect("find unknown"), None);

    let err = h.store.create_api_token(new_token("hash-1")).await.expect_err("hash is taken");
    assert!(matches!(err, Error::Conflict("api_token")), "{err:?}");
}
