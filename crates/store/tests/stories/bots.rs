use concierge_domain::{IdentityKind, IdentitySettings, JwtAlgorithm, JwtSettings, WorkspaceId};
use concierge_store::{
    Bot, BotUpdate, CustomAuthRecord, Error, IdentitySecrets, LlmRecord, RetiredSecret, SealedKey, SigningSecrets,
    DEFAULT_GREETING,
};
use serde_json::json;

use super::support::{bot, Harness, HOUR, NOW};

pub async fn bots_are_created_listed_and_renamed(h: &Harness) {
    let acme = h.store.create_workspace("Acme").await.expect("create Acme");
    let sales = h.store.create_bot(&WorkspaceId::new(acme.id.clone()), "Sales", NOW).await.expect("create Sales");
    let support =
        h.store.create_bot(&WorkspaceId::new(acme.id.clone()), "Support", NOW + 1).await.expect("create Support");
    bot(h.store.as_ref()).await; // in another workspace
    assert_eq!(sales.workspace_id, acme.id);
    assert_eq!((sales.created_at, sales.updated_at), (NOW, NOW));

    assert_eq!(h.store.get_bot(&sales.id).await.expect("get"), Some(sales.clone()));
    let listed = h.store.list_bots(&acme.id).await.expect("list");
    assert_eq!(listed, vec![sales.clone(), support]);

    assert_eq!(sales.color, "#2563eb", "new bots get the default appearance");
    assert_eq!(sales.greeting, r#"Hi {{ contact.name | default("there") }}! How can we help?"#);
    assert_eq!(sales.greeting, DEFAULT_GREETING);
    let rename = BotUpdate { name: Some("Pre-sales"), ..Default::default() };
    let renamed = h.store.update_bot(&sales.id, &rename, NOW + 5).await.expect("rename").expect("the bot exists");
    assert_eq!(renamed.name, "Pre-sales");
    assert_eq!(renamed.color, "#2563eb", "fields not given are kept");
    assert_eq!((renamed.created_at, renamed.updated_at), (NOW, NOW + 5));
    assert_eq!((sales.revision, renamed.revision), (0, 1), "every update bumps the revision");
    assert_eq!(h.store.settings_revisions(&sales.id).await.expect("revisions"), Some((1, -1)), "no settings yet");
    assert_eq!(h.store.settings_revisions("no-such-bot").await.expect("revisions"), None);
    assert_eq!(h.store.get_bot(&sales.id).await.expect("get"), Some(renamed));
    let look = BotUpdate {
        color: Some("#aa0000"),
        greeting: Some("Hello"),
        signin_text: Some("Log in"),
        ..Default::default()
    };
    let restyled = h.store.update_bot(&sales.id, &look, NOW + 6).await.expect("restyle").expect("exists");
    assert_eq!((restyled.name.as_str(), restyled.color.as_str()), ("Pre-sales", "#aa0000"));
    assert_eq!((restyled.greeting.as_str(), restyled.signin_text.as_str()), ("Hello", "Log in"));

    assert_eq!(h.store.update_bot("no-such-bot", &rename, NOW).await.expect("rename"), None);
    assert_eq!(h.store.get_bot("no-such-bot").await.expect("get"), None);
    assert_eq!(h.store.list_bots("no-such-workspace").await.expect("list"), vec![]);
    let err = h.store.create_bot(&WorkspaceId::new("no-such-workspace"), "x", NOW).await.expect_err("no workspace");
    assert!(matches!(err, Error::NotFound("workspace")), "{err:?}");
}

fn settings(bot_id: &str) -> CustomAuthRecord {
    CustomAuthRecord {
        bot_id: bot_id.to_owned(),
        enabled: true,
        url: Some("https://api.example.com/concierge/auth".to_owned()),
        additional_fields: vec!["user_id".to_owned(), "email".to_owned()],
        identify_method: "email".to_owned(),
        timeout_ms: 5_000,
        on_failure: "block".to_owned(),
        headers: vec![
            ("X-Api-Key".to_owned(), "sealed:v1:aaaa".to_owned()),
            ("Authorization".to_owned(), "sealed:v1:bbbb".to_owned()),
        ],
        allowed_origins: vec!["https://www.example.com".to_owned()],
        signing_secret_sealed: "sealed:v1:new".to_owned(),
        previous_secret_sealed: Some("sealed:v1:old".to_owned()),
        previous_secret_expires_at: Some(NOW + 86_400_000),
        earlier_secrets: Vec::new(),
        updated_at: NOW,
        cache_ttl_secs: 300,
        revision: 0,
        identity: IdentitySettings {
            mode: IdentityKind::Jwt,
            jwt: JwtSettings {
                algorithms: vec![JwtAlgorithm::Hs256, JwtAlgorithm::Rs256],
                jwks_url: Some("https://id.example.com/jwks.json".parse().expect("a URL")),
                issuer: Some("https://id.example.com".to_owned()),
                ..JwtSettings::default()
            },
            ..IdentitySettings::default()
        },
        jwt_keys: vec![key("k1")],
        identity_hash_secret_sealed: Some("sealed:v1:hash".to_owned()),
        identity_hash_previous_sealed: None,
        identity_hash_previous_expires_at: None,
        identity_hash_earlier: Vec::new(),
        introspection_secret_sealed: Some("sealed:v1:client".to_owned()),
    }
}

fn key(kid: &str) -> SealedKey {
    SealedKey { kid: kid.to_owned(), secret_sealed: format!("sealed:v1:{kid}"), created_at: NOW }
}

pub async fn custom_auth_round_trips_and_is_replaced(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    assert_eq!(h.store.get_custom_auth(&bot.id).await.expect("get"), None);

    let first = settings(&bot.id);
    h.store.put_custom_auth(&first).await.expect("put");
    assert_eq!(h.store.get_custom_auth(&bot.id).await.expect("get"), Some(first));

    let replaced = CustomAuthRecord {
        enabled: false,
        url: None,
        additional_fields: vec![],
        identify_method: "id".to_owned(),
        timeout_ms: 10_000,
        on_failure: "anonymous".to_owned(),
        headers: vec![("B".to_owned(), "sealed:2".to_owned()), ("A".to_owned(), "sealed:1".to_owned())],
        allowed_origins: vec![],
        previous_secret_sealed: None,
        previous_secret_expires_at: None,
        updated_at: NOW + 1,
        cache_ttl_secs: 0,
        identity: IdentitySettings { mode: IdentityKind::IdentityHash, ..IdentitySettings::default() },
        ..settings(&bot.id)
    };
    let with_other_secrets = CustomAuthRecord {
        signing_secret_sealed: "sealed:stale".into(),
        earlier_secrets: vec![RetiredSecret { sealed: "sealed:stale".into(), until: NOW + HOUR }],
        jwt_keys: vec![key("stale")],
        identity_hash_secret_sealed: Some("sealed:stale".into()),
        introspection_secret_sealed: None,
        ..replaced.clone()
    };
    h.store.put_custom_auth(&with_other_secrets).await.expect("replace");
    let stored = h.store.get_custom_auth(&bot.id).await.expect("get").expect("stored");
    let first = settings(&bot.id);
    assert_eq!(
        stored,
        CustomAuthRecord {
            signing_secret_sealed: first.signing_secret_sealed.clone(),
            previous_secret_sealed: first.previous_secret_sealed.clone(),
            previous_secret_expires_at: first.previous_secret_expires_at,
            revision: 1,
            jwt_keys: first.jwt_keys.clone(),
            identity_hash_secret_sealed: first.identity_hash_secret_sealed.clone(),
            introspection_secret_sealed: first.introspection_secret_sealed.clone(),
            ..replaced.clone()
        },
        "the settings are replaced, the secrets kept, the revision bumped"
    );
    let given = CustomAuthRecord { introspection_secret_sealed: Some("sealed:v1:client2".into()), ..replaced.clone() };
    h.store.put_custom_auth(&given).await.expect("a save that gives a client secret");
    let stored = h.store.get_custom_auth(&bot.id).await.expect("get").expect("stored");
    assert_eq!(
        stored.introspection_secret_sealed.as_deref(),
        Some("sealed:v1:client2"),
        "a given client secret replaces"
    );
    assert_eq!(stored.revision, 2);

    let earlier = [RetiredSecret { sealed: "sealed:older".to_owned(), until: NOW + 90 }];
    let rotated = SigningSecrets {
        current_sealed: "sealed:new",
        previous_sealed: Some(&first.signing_secret_sealed),
        previous_expires_at: Some(NOW + 100),
        earlier: &earlier,
        revision: 2,
        now: NOW + 2,
    };
    let stale = SigningSecrets { current_sealed: "sealed:lost", revision: 1, ..rotated };
    assert!(!h.store.set_signing_secrets(&bot.id, stale).await.expect("rotate"), "read before the last write");
    assert!(h.store.set_signing_secrets(&bot.id, rotated).await.expect("rotate"));
    // A save that loaded the settings before the rotation does not bring the old secret back.
    h.store.put_custom_auth(&with_other_secrets).await.expect("late save");
    let stored = h.store.get_custom_auth(&bot.id).await.expect("get").expect("stored");
    assert_eq!(stored.signing_secret_sealed, "sealed:new");
    assert_eq!(stored.previous_secret_sealed.as_deref(), Some(first.signing_secret_sealed.as_str()));
    assert_eq!(stored.earlier_secrets, earlier, "the secrets retired before, kept by the save too");
    assert_eq!(stored.revision, 4, "a rotation and a save each bump the revision");
    assert!(h.store.bump_custom_auth_revision(&bot.id).await.expect("bump"));
    assert_eq!(h.store.get_custom_auth(&bot.id).await.expect("get").expect("stored").revision, 5);
    assert!(!h.store.bump_custom_auth_revision("no-such-bot").await.expect("bump"));
    let unknown = SigningSecrets {
        current_sealed: "x",
        previous_sealed: None,
        previous_expires_at: None,
        earlier: &[],
        revision: 0,
        now: NOW,
    };
    assert!(!h.store.set_signing_secrets("no-such-bot", unknown).await.expect("rotate"));

    let err = h.store.put_custom_auth(&settings("no-such-bot")).await.expect_err("no bot");
    assert!(matches!(err, Error::NotFound("bot")), "{err:?}");
}

/// Identity keys change only at the revision they were read at: of two rotations read at
/// once, the second is told to read again instead of dropping the first one's key, and a
/// settings save never writes keys.
pub async fn identity_secrets_change_only_at_the_revision_read(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let unknown = IdentitySecrets {
        jwt_keys: &[],
        identity_hash_secret_sealed: None,
        identity_hash_previous_sealed: None,
        identity_hash_previous_expires_at: None,
        identity_hash_earlier: &[],
        revision: 0,
        now: NOW,
    };
    assert!(!h.store.set_identity_secrets(&bot.id, unknown).await.expect("no settings yet"));
    h.store.put_custom_auth(&settings(&bot.id)).await.expect("put");
    let read = h.store.get_custom_auth(&bot.id).await.expect("get").expect("stored");

    let first = [key("k1"), key("k2")];
    let earlier = [RetiredSecret { sealed: "sealed:v1:hash0".to_owned(), until: NOW + HOUR - 1 }];
    let rotation = |keys| IdentitySecrets {
        jwt_keys: keys,
        identity_hash_secret_sealed: Some("sealed:v1:hash2"),
        identity_hash_previous_sealed: Some("sealed:v1:hash"),
        identity_hash_previous_expires_at: Some(NOW + HOUR),
        identity_hash_earlier: &earlier,
        revision: read.revision,
        now: NOW + 1,
    };
    assert!(h.store.set_identity_secrets(&bot.id, rotation(&first)).await.expect("first rotation"));
    let second = [key("k1"), key("k3")];
    assert!(!h.store.set_identity_secrets(&bot.id, rotation(&second)).await.expect("second rotation"));

    h.store.put_custom_auth(&settings(&bot.id)).await.expect("a save with the keys it read");
    let stored = h.store.get_custom_auth(&bot.id).await.expect("get").expect("stored");
    assert_eq!(stored.jwt_keys, first, "the first rotation's keys, neither lost nor overwritten");
    assert_eq!(stored.identity_hash_secret_sealed.as_deref(), Some("sealed:v1:hash2"));
    assert_eq!(
        (stored.identity_hash_previous_sealed.as_deref(), stored.identity_hash_previous_expires_at),
        (Some("sealed:v1:hash"), Some(NOW + HOUR)),
        "the previous hash key and its end, kept by the save too"
    );
    assert_eq!(stored.identity_hash_earlier, earlier, "and the keys retired before it");
    assert_eq!(stored.revision, read.revision + 2, "the rotation and the save each bump the revision");
}

pub async fn corrupt_custom_auth_is_reported(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    h.store.put_custom_auth(&settings(&bot.id)).await.expect("put");
    h.execute(r#"UPDATE custom_auth SET headers = '{"X-Api-Key": 1}'"#).await;
    let err = h.store.get_custom_auth(&bot.id).await.expect_err("headers are not pairs");
    assert!(matches!(err, Error::Corrupt(_)), "{err:?}");
}

pub async fn answer_settings_have_defaults_and_round_trip(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    assert_eq!(bot.knowledge_revision, 0);
    assert_eq!(bot.rules, json!([]));
    assert_eq!(bot.confidence_threshold, 35);
    assert_eq!(
        bot.not_sure_text,
        "I'm not sure I can answer that one. I've asked a person on our team to join; they'll reply right here."
    );
    assert_eq!(bot.handoff_text, "I'm bringing in a person from our team. They'll reply right here.");

    let rules = json!([
        {"when": "refund", "then": "handoff", "priority": "high"},
        {"when": "pricing", "then": "answer", "text": "See https://example.com/pricing \u{1f4b8}"},
    ]);
    let answers = BotUpdate {
        rules: Some(&rules),
        confidence_threshold: Some(60),
        not_sure_text: Some("Hmm, let me get someone."),
        handoff_text: Some("A person is on the way."),
        ..Default::default()
    };
    let updated = h.store.update_bot(&bot.id, &answers, NOW + 1).await.expect("update").expect("exists");
    assert_eq!(updated.rules, rules);
    assert_eq!(updated.confidence_threshold, 60);
    assert_eq!(
        (updated.not_sure_text.as_str(), updated.handoff_text.as_str()),
        ("Hmm, let me get someone.", "A person is on the way.")
    );
    assert_eq!((updated.name.as_str(), updated.greeting.as_str()), (bot.name.as_str(), bot.greeting.as_str()));
    assert_eq!(h.store.get_bot(&bot.id).await.expect("get"), Some(updated.clone()));

    let threshold = BotUpdate { confidence_threshold: Some(0), ..Default::default() };
    let kept = h.store.update_bot(&bot.id, &threshold, NOW + 2).await.expect("update").expect("exists");
    let revision = updated.revision + 1;
    assert_eq!(
        kept,
        Bot { confidence_threshold: 0, updated_at: NOW + 2, revision, ..updated },
        "only the threshold changed"
    );
}

fn llm(bot_id: &str, api_key_sealed: Option<&str>, now: i64) -> LlmRecord {
    LlmRecord {
        bot_id: bot_id.to_owned(),
        enabled: true,
        base_url: "https://llm.example.com/v1".to_owned(),
        model: "small-model".to_owned(),
        api_key_sealed: api_key_sealed.map(str::to_owned),
        timeout_ms: 20_000,
        instructions: "Answer briefly.".to_owned(),
        updated_at: now,
    }
}

pub async fn llm_settings_keep_or_replace_the_key(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    assert_eq!(h.store.get_llm(&bot.id).await.expect("get"), None);

    // A first save that keeps the key has none to keep.
    h.store.put_llm(&llm(&bot.id, Some("sealed:ignored"), NOW), true).await.expect("put");
    assert_eq!(h.store.get_llm(&bot.id).await.expect("get"), Some(llm(&bot.id, None, NOW)));

    let with_key = llm(&bot.id, Some("sealed:v1:key"), NOW + 1);
    h.store.put_llm(&with_key, false).await.expect("set the key");
    assert_eq!(h.store.get_llm(&bot.id).await.expect("get"), Some(with_key.clone()));

    // A settings save that does not touch the key keeps it, whatever the record says.
    let edited = LlmRecord {
        enabled: false,
        base_url: "http://127.0.0.1:11434/v1".to_owned(),
        model: "bigger-model".to_owned(),
        timeout_ms: 5_000,
        instructions: "Be kind.".to_owned(),
        ..llm(&bot.id, None, NOW + 2)
    };
    h.store.put_llm(&edited, true).await.expect("save settings");
    let stored = h.store.get_llm(&bot.id).await.expect("get").expect("stored");
    assert_eq!(stored, LlmRecord { api_key_sealed: Some("sealed:v1:key".to_owned()), ..edited.clone() });

    // Without keep_key the given value is stored, None included.
    h.store.put_llm(&edited, false).await.expect("clear the key");
    assert_eq!(h.store.get_llm(&bot.id).await.expect("get"), Some(edited));

    let shown = format!("{:?}", with_key);
    assert!(!shown.contains("sealed:v1:key"), "{shown}");
    assert!(shown.contains("has_api_key: true") && shown.contains("small-model"), "{shown}");

    let err = h.store.put_llm(&llm("no-such-bot", None, NOW), false).await.expect_err("no bot");
    assert!(matches!(err, Error::NotFound("bot")), "{err:?}");
    let err = h.store.put_llm(&llm("no-such-bot", None, NOW), true).await.expect_err("no bot");
    assert!(matches!(err, Error::NotFound("bot")), "{err:?}");
}
