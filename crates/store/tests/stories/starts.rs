use std::collections::HashSet;

use concierge_domain::{Author, IdentifyMethod};
use concierge_store::{ContactProfile, Error, NewMessage, NewStart, Page, StartedSession};
use serde_json::json;

use super::support::{bot, metadata, Harness, HOUR, NOW};

fn person(identifier: &str, name: &str) -> ContactProfile {
    ContactProfile {
        identify_method: IdentifyMethod::Email,
        identifier: identifier.to_owned(),
        external_id: None,
        email: Some(identifier.to_owned()),
        name: Some(name.to_owned()),
        phone_number: None,
        metadata: metadata(json!({ "name": name })),
    }
}

fn start(bot_id: &str, contact: Option<ContactProfile>, token_hash: &str, now: i64) -> NewStart {
    NewStart {
        bot_id: bot_id.to_owned(),
        contact,
        token_hash: token_hash.to_owned(),
        refused: false,
        proof_hash: None,
        expires_at: now + HOUR,
        now,
    }
}

/// Four starts in one batch: one person on two devices, an anonymous visitor, another
/// person. Each person gets one contact and one conversation, shared by their devices.
pub async fn a_batch_writes_each_person_once(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let ann = |name| Some(person("ann@example.com", name));
    let batch = [
        start(&bot.id, ann("Ann"), "t1", NOW),
        start(&bot.id, None, "t2", NOW),
        start(&bot.id, ann("Ann B."), "t3", NOW + 1),
        start(&bot.id, Some(person("bob@example.com", "Bob")), "t4", NOW),
    ];
    let started = h.store.start_sessions(&batch, 200).await.expect("start");
    assert_eq!(started.len(), 4);
    let [phone, visitor, laptop, bob] = &started[..] else { unreachable!() };

    let ann_contact = phone.contact.as_ref().expect("ann is identified");
    assert_eq!(laptop.contact.as_ref().map(|c| &c.id), Some(&ann_contact.id), "one contact for both devices");
    assert_eq!(laptop.contact.as_ref().and_then(|c| c.name.as_deref()), Some("Ann B."), "the later profile wins");
    assert_eq!(phone.conversation.id, laptop.conversation.id, "one conversation for both devices");
    assert!(phone.new_conversation && laptop.new_conversation);
    assert_eq!(phone.conversation.contact_id.as_deref(), Some(ann_contact.id.as_str()));

    assert_eq!(visitor.contact, None);
    assert_eq!(visitor.conversation.contact_id, None);
    assert!(visitor.new_conversation);
    let conversations: HashSet<&str> = started.iter().map(|s| s.conversation.id.as_str()).collect();
    assert_eq!(conversations.len(), 3, "ann's, the visitor's, bob's");
    assert_eq!(bob.contact.as_ref().and_then(|c| c.name.as_deref()), Some("Bob"));

    for (s, token) in started.iter().zip(["t1", "t2", "t3", "t4"]) {
        let found = h.store.find_session(token, NOW + 2).await.expect("find").expect("stored");
        assert_eq!(found, s.session);
        assert_eq!(found.conversation_id, s.conversation.id);
        assert_eq!(found.contact_id, s.contact.as_ref().map(|c| c.id.clone()));
        assert_eq!(found.expires_at, s.session.created_at + HOUR);
    }
    let contacts = h.store.list_contacts(&bot.id, Page::default()).await.expect("list");
    assert_eq!(contacts.len(), 2);
    let stored = h.store.get_contact(&ann_contact.id).await.expect("get").expect("stored");
    assert_eq!(stored.name.as_deref(), Some("Ann B."));
    assert_eq!(stored.metadata, metadata(json!({"name": "Ann B."})));

    assert!(started.iter().all(|s| s.messages.is_empty()));

    // Ann and Bob write; later, on a third device each, they continue their conversations
    // with their newest messages.
    for (i, (conversation, text)) in
        [(&phone.conversation.id, "one"), (&bob.conversation.id, "bob's"), (&phone.conversation.id, "two")]
            .into_iter()
            .enumerate()
    {
        let message = NewMessage {
            conversation_id: conversation,
            author: Author::Visitor,
            author_name: None,
            text,
            styles: None,
            only_while: None,
            now: NOW + 5 + i as i64,
        };
        h.store.add_message(message).await.expect("add message");
    }
    let batch = [
        start(&bot.id, ann("Ann"), "t5", NOW + 10),
        start(&bot.id, Some(person("bob@example.com", "Bob")), "t6", NOW + 10),
    ];
    let again = h.store.start_sessions(&batch, 1).await.expect("start");
    assert_eq!(again[0].contact.as_ref().map(|c| &c.id), Some(&ann_contact.id));
    assert_eq!(again[0].conversation.id, phone.conversation.id);
    assert!(!again[0].new_conversation, "it has a past");
    assert_eq!(again[0].contact.as_ref().map(|c| c.last_authenticated_at), Some(NOW + 10));
    let texts = |s: &StartedSession| s.messages.iter().map(|m| m.text.clone()).collect::<Vec<_>>();
    assert_eq!(texts(&again[0]), ["two"], "the newest one only, as asked");
    assert_eq!(texts(&again[1]), ["bob's"]);
    let all = h.store.start_sessions(&[start(&bot.id, ann("Ann"), "t7", NOW + 11)], 200).await.expect("start");
    assert_eq!(texts(&all[0]), ["one", "two"], "oldest first");
}

/// Batches racing on two store instances (two processes on PostgreSQL) for one person:
/// still exactly one contact and one conversation.
pub async fn concurrent_batches_create_one_contact_and_one_conversation(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let results = h
        .race(40, |store, i| {
            let bot_id = bot.id.clone();
            async move {
                let batch = [
                    start(&bot_id, Some(person("ann@example.com", &format!("Ann {i}"))), &format!("a{i}"), NOW + i),
                    start(&bot_id, None, &format!("v{i}"), NOW + i),
                    start(&bot_id, Some(person("bob@example.com", "Bob")), &format!("b{i}"), NOW + i),
                ];
                store.start_sessions(&batch, 200).await
            }
        })
        .await;
    let mut ann = (HashSet::new(), HashSet::new());
    let mut visitors = HashSet::new();
    for started in results {
        let started = started.expect("start");
        ann.0.insert(started[0].contact.as_ref().expect("ann").id.clone());
        ann.1.insert(started[0].conversation.id.clone());
        visitors.insert(started[1].conversation.id.clone());
    }
    assert_eq!((ann.0.len(), ann.1.len()), (1, 1), "one contact, one conversation: {ann:?}");
    assert_eq!(visitors.len(), 40, "each visitor a conversation of their own");
    assert_eq!(h.store.list_contacts(&bot.id, Page::default()).await.expect("list").len(), 2);
}

/// All or none: a batch with a start that cannot be written writes nothing.
pub async fn a_batch_that_cannot_be_written_writes_nothing(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let batch =
        [start(&bot.id, Some(person("ann@example.com", "Ann")), "ok", NOW), start("no-such-bot", None, "orphan", NOW)];
    let err = h.store.start_sessions(&batch, 200).await.expect_err("no such bot");
    assert!(matches!(err, Error::NotFound("bot")), "{err:?}");
    assert_eq!(h.store.find_session("ok", NOW).await.expect("find"), None);
    assert!(h.store.list_contacts(&bot.id, Page::default()).await.expect("list").is_empty());
}
