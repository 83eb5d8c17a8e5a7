use std::collections::HashSet;

use concierge_domain::{BotId, Identifier, IdentifyMethod};
use concierge_store::{Contact, ContactUpsert, Error, Page, Store};
use serde_json::{json, Map};

use super::support::{bot, contact, metadata, upsert, Harness, NOW};

pub async fn upsert_creates_then_replaces_the_profile(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let first_metadata = metadata(json!({ "plan": "pro", "seats": 3 }));
    let first = h
        .store
        .upsert_contact(ContactUpsert {
            external_id: Some("u-1"),
            email: Some("ann@example.com"),
            name: Some("Ann"),
            phone_number: Some("+15550102030"),
            ..upsert(&bot.id, "u-1", &first_metadata)
        })
        .await
        .expect("create");
    assert!(first.created);
    let ann = &first.contact;
    assert_eq!((ann.bot_id.as_str(), ann.identify_method.as_str()), (bot.id.as_str(), "id"));
    assert_eq!(ann.identifier, "u-1");
    assert_eq!(ann.external_id.as_deref(), Some("u-1"));
    assert_eq!(ann.email.as_deref(), Some("ann@example.com"));
    assert_eq!(ann.name.as_deref(), Some("Ann"));
    assert_eq!(ann.phone_number.as_deref(), Some("+15550102030"));
    assert_eq!(ann.metadata, first_metadata);
    assert_eq!((ann.created_at, ann.updated_at, ann.last_authenticated_at), (NOW, NOW, NOW));

    // The second sign-in replaces the profile and metadata, nulls included.
    let second_metadata = metadata(json!({ "plan": "free" }));
    let second = h
        .store
        .upsert_contact(ContactUpsert {
            external_id: Some("u-1"),
            name: Some("Ann B."),
            now: NOW + 1,
            ..upsert(&bot.id, "u-1", &second_metadata)
        })
        .await
        .expect("update");
    assert!(!second.created);
    let ann_again = &second.contact;
    assert_eq!(ann_again.id, ann.id);
    assert_eq!(ann_again.name.as_deref(), Some("Ann B."));
    assert_eq!((ann_again.email.as_deref(), ann_again.phone_number.as_deref()), (None, None));
    assert_eq!(ann_again.metadata, second_metadata);
    assert_eq!(ann_again.created_at, NOW);
    assert_eq!((ann_again.updated_at, ann_again.last_authenticated_at), (NOW + 1, NOW + 1));
    assert_eq!(h.store.get_contact(&ann.id).await.expect("get"), Some(ann_again.clone()));

    // The key is (bot, identify method, identifier).
    let by_email = h
        .store
        .upsert_contact(ContactUpsert {
            identify_method: IdentifyMethod::Email,
            ..upsert(&bot.id, "u-1", &second_metadata)
        })
        .await
        .expect("create by email");
    assert!(by_email.created);
    assert_ne!(by_email.contact.id, ann.id);
    let other_bot = super::support::bot(h.store.as_ref()).await;
    let elsewhere =
        h.store.upsert_contact(upsert(&other_bot.id, "u-1", &second_metadata)).await.expect("create in the other bot");
    assert!(elsewhere.created);
    assert_ne!(elsewhere.contact.id, ann.id);

    let err = h.store.upsert_contact(upsert("no-such-bot", "u-1", &second_metadata)).await.expect_err("no bot");
    assert!(matches!(err, Error::NotFound("bot")), "{err:?}");
}

/// Upserts the contact whose identifier the widget sent as `raw`, normalised first as the
/// application does.
async fn upsert_as(store: &dyn Store, bot_id: &str, method: IdentifyMethod, raw: &str) -> Contact {
    let identifier = Identifier::parse(method, raw).expect("a valid identifier");
    let empty = Map::new();
    let key = ContactUpsert { identify_method: method, ..upsert(bot_id, identifier.value(), &empty) };
    store.upsert_contact(key).await.expect("upsert").contact
}

async fn find(store: &dyn Store, bot_id: &str, method: IdentifyMethod, raw: &str) -> Option<Contact> {
    let identifier = Identifier::parse(method, raw).expect("a valid identifier");
    store.find_contact(&BotId::new(bot_id), method, identifier.value()).await.expect("find")
}

pub async fn contacts_are_found_by_normalised_identifier(h: &Harness) {
    let store = h.store.as_ref();
    let bot = bot(store).await;
    let (email, phone, id) = (IdentifyMethod::Email, IdentifyMethod::PhoneNumber, IdentifyMethod::Id);

    let ann = upsert_as(store, &bot.id, email, " Ann@Example.COM ").await;
    assert_eq!(ann.identifier, "ann@example.com");
    assert_eq!(find(store, &bot.id, email, "ann@example.com").await, Some(ann.clone()));
    assert_eq!(find(store, &bot.id, email, "ANN@example.com").await, Some(ann.clone()));
    assert_eq!(find(store, &bot.id, id, "ann@example.com").await, None);

    let bob = upsert_as(store, &bot.id, phone, "+1 (555) 010-2030").await;
    assert_eq!(bob.identifier, "+15550102030");
    assert_eq!(find(store, &bot.id, phone, "+15550102030").await, Some(bob.clone()));
    assert_eq!(find(store, &bot.id, phone, "+1 555.010.2030").await, Some(bob.clone()));

    let other_bot = super::support::bot(store).await;
    assert_eq!(find(store, &other_bot.id, email, "ann@example.com").await, None);
    assert_eq!(store.get_contact(&ann.id).await.expect("get"), Some(ann.clone()));
    assert_eq!(store.get_contact("no-such-contact").await.expect("get"), None);

    // A page's contacts at once: only this bot's, each once, whatever else is asked for.
    let stranger = upsert_as(store, &other_bot.id, email, "ann@example.com").await;
    let mut got =
        store.get_contacts(&bot.id, &[&bob.id, "no-such-contact", &stranger.id, &ann.id]).await.expect("get several");
    got.sort_by(|a, b| a.identifier.cmp(&b.identifier));
    assert_eq!(got, [bob, ann]);
    assert_eq!(store.get_contacts(&bot.id, &[]).await.expect("none asked"), []);
    assert_eq!(store.get_contacts(&other_bot.id, &[&stranger.id]).await.expect("its own"), [stranger]);
}

pub async fn contacts_are_listed_newest_first_in_pages(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let other_bot = super::support::bot(h.store.as_ref()).await;
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(contact(h.store.as_ref(), &bot.id, &format!("c{i}")).await);
        contact(h.store.as_ref(), &other_bot.id, &format!("c{i}")).await;
    }
    let ids = |contacts: &[Contact]| contacts.iter().map(|c| c.identifier.clone()).collect::<Vec<_>>();

    let all = h.store.list_contacts(&bot.id, Page::default()).await.expect("list");
    assert_eq!(ids(&all), ["c4", "c3", "c2", "c1", "c0"]);
    assert_eq!(all[0], created[4]);

    let mut pages = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let page = Page { before: before.as_deref(), limit: 2, search: None };
        let contacts = h.store.list_contacts(&bot.id, page).await.expect("list a page");
        if contacts.is_empty() {
            break;
        }
        before = contacts.last().map(|c| c.id.clone());
        pages.push(ids(&contacts));
    }
    assert_eq!(pages, [vec!["c4", "c3"], vec!["c2", "c1"], vec!["c0"]]);
}

pub async fn concurrent_upserts_create_one_contact(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let upserts = h
        .race(200, |store, i| {
            let bot_id = bot.id.clone();
            async move {
                let name = format!("Ann {i}");
                let data = metadata(json!({ "attempt": i }));
                let key = ContactUpsert {
                    identify_method: IdentifyMethod::Email,
                    name: Some(&name),
                    now: NOW + i,
                    ..upsert(&bot_id, "ann@example.com", &data)
                };
                store.upsert_contact(key).await
            }
        })
        .await;

    let mut created = 0;
    let mut ids = HashSet::new();
    for upserted in upserts {
        let upserted = upserted.expect("upsert");
        created += usize::from(upserted.created);
        ids.insert(upserted.contact.id);
    }
    assert_eq!(created, 1, "exactly one upsert creates the contact");
    assert_eq!(ids.len(), 1, "every upsert saw the same contact");

    let listed = h.store.list_contacts(&bot.id, Page::default()).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].name.as_deref().is_some_and(|name| name.starts_with("Ann ")));
}

pub async fn corrupt_metadata_is_reported(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let ann = contact(h.store.as_ref(), &bot.id, "ann").await;
    h.execute("UPDATE contacts SET metadata = '[1, 2]'").await;
    let err = h.store.get_contact(&ann.id).await.expect_err("metadata is not an object");
    assert!(matches!(err, Error::Corrupt(_)), "{err:?}");
    let err = h.store.list_contacts(&bot.id, Page::default()).await.expect_err("same in lists");
    assert!(matches!(err, Error::Corrupt(_)), "{err:?}");
}

pub async fn contacts_are_searched_by_name_email_phone_and_ids(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let meta = metadata(serde_json::json!({}));
    for (id, name, email, phone) in [
        ("u-1", "Ann Lee", "ann@example.com", "+15550102030"),
        ("u-2", "Bob 100%_sure", "bob@example.com", "+4930123"),
        ("x-3", "Carol", "carol@shop.example", "+4930999"),
    ] {
        let upsert = ContactUpsert {
            name: Some(name),
            email: Some(email),
            phone_number: Some(phone),
            external_id: Some(id),
            ..upsert(&bot.id, id, &meta)
        };
        h.store.upsert_contact(upsert).await.expect("upsert");
    }
    let found = |search: &'static str| {
        let store = h.store.clone();
        let bot_id = bot.id.clone();
        async move {
            let page = Page { search: Some(search), ..Page::default() };
            let mut names: Vec<_> =
                store.list_contacts(&bot_id, page).await.expect("search").into_iter().filter_map(|c| c.name).collect();
            names.sort();
            names
        }
    };
    assert_eq!(found("ann").await, ["Ann Lee"], "case-insensitive name");
    assert_eq!(found("EXAMPLE.COM").await, ["Ann Lee", "Bob 100%_sure"], "email");
    assert_eq!(found("4930").await, ["Bob 100%_sure", "Carol"], "phone");
    assert_eq!(found("x-3").await, ["Carol"], "identifier");
    assert_eq!(found("100%_").await, ["Bob 100%_sure"], "LIKE characters are literal");
    assert_eq!(found("0%").await, ["Bob 100%_sure"]);
    assert!(found("zzz").await.is_empty());
    assert_eq!(found("  ").await.len(), 3, "a blank search lists everyone");
}
