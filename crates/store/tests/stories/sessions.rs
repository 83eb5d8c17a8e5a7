use concierge_domain::{Author, Handler, Priority};
use std::collections::HashSet;

use concierge_store::{Ended, EndedSessions, Error, HandlerChange, NewMessage, VisitorOutcome};

use super::support::{bot, contact, session, Harness, HOUR, NOW};

pub async fn anonymous_visitor_gets_a_new_conversation(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let first = h.store.open_session(session(&bot.id, None, "t1", None, NOW)).await.expect("open");
    assert_eq!(first.visitor, VisitorOutcome::None);
    assert_eq!(first.ended, None);
    assert_eq!(first.session.bot_id, bot.id);
    assert_eq!(first.session.contact_id, None);
    assert_eq!(first.session.conversation_id, first.conversation.id);
    assert_eq!((first.session.created_at, first.session.expires_at), (NOW, NOW + HOUR));
    assert_eq!(first.conversation.bot_id, bot.id);
    assert_eq!(first.conversation.contact_id, None);
    assert_eq!((first.conversation.created_at, first.conversation.updated_at), (NOW, NOW));

    // Another browser, another conversation.
    let second = h.store.open_session(session(&bot.id, None, "t2", None, NOW)).await.expect("open");
    assert_ne!(second.conversation.id, first.conversation.id);
}

pub async fn refreshed_visitor_keeps_the_conversation(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let first = h.store.open_session(session(&bot.id, None, "old", None, NOW)).await.expect("open");
    let refreshed = h.store.open_session(session(&bot.id, None, "new", Some("old"), NOW + 1)).await.expect("refresh");
    assert_eq!(refreshed.conversation, first.conversation);
    assert_eq!(refreshed.visitor, VisitorOutcome::Continued);
    let ended =
        EndedSessions { conversation_id: first.conversation.id.clone(), which: Ended::Session(first.session.id) };
    assert_eq!(refreshed.ended, Some(ended), "the old session's sockets are told");
    assert_eq!(h.store.find_session("old", NOW + 1).await.expect("find"), None);
    assert_eq!(h.store.find_session("new", NOW + 1).await.expect("find"), Some(refreshed.session));
}

pub async fn contact_returns_to_the_latest_conversation(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let ann = contact(h.store.as_ref(), &bot.id, "ann").await;
    let open_as_ann = |token, now| session(&bot.id, Some(&ann.id), token, None, now);

    let first = h.store.open_session(open_as_ann("a1", NOW)).await.expect("open");
    assert_eq!(first.visitor, VisitorOutcome::None);
    assert_eq!(first.conversation.contact_id.as_deref(), Some(ann.id.as_str()));
    let again = h.store.open_session(open_as_ann("a2", NOW + 1)).await.expect("open");
    assert_eq!(again.conversation, first.conversation);

    // Earlier versions handed every signed-in visitor's conversation over, so a contact
    // can have several: the most recently active one is picked...
    h.execute(&format!(
        "INSERT INTO conversations (id, bot_id, contact_id, created_at, updated_at)
         VALUES ('older-visit', '{}', '{}', {t}, {t})",
        bot.id,
        ann.id,
        t = NOW + 2
    ))
    .await;
    let latest = h.store.open_session(open_as_ann("a4", NOW + 4)).await.expect("open");
    assert_eq!(latest.conversation.id, "older-visit");

    // ...until a message makes the first one the most recently updated again.
    let message = NewMessage {
        conversation_id: &first.conversation.id,
        author: Author::Agent,
        author_name: Some("Bea"),
        text: "any news?",
        styles: None,
        only_while: None,
        now: NOW + 5,
    };
    h.store.add_message(message).await.expect("add message");
    let back = h.store.open_session(open_as_ann("a5", NOW + 6)).await.expect("open");
    assert_eq!(back.conversation.id, first.conversation.id);
    assert_eq!(back.conversation.updated_at, NOW + 5);
}

pub async fn foreign_expired_and_identified_visitor_tokens_are_ignored(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let other_bot = super::support::bot(h.store.as_ref()).await;
    let ann = contact(h.store.as_ref(), &bot.id, "ann").await;
    let bob = contact(h.store.as_ref(), &bot.id, "bob").await;

    // A visitor session of another bot.
    let foreign = h.store.open_session(session(&other_bot.id, None, "foreign", None, NOW)).await.expect("open");
    let opened =
        h.store.open_session(session(&bot.id, Some(&ann.id), "ann-1", Some("foreign"), NOW)).await.expect("open");
    assert_eq!(opened.visitor, VisitorOutcome::None);
    assert_ne!(opened.conversation.id, foreign.conversation.id);
    let anonymous = h.store.open_session(session(&bot.id, None, "anon-1", Some("foreign"), NOW)).await.expect("open");
    assert_ne!(anonymous.conversation.id, foreign.conversation.id);
    assert!(h.store.find_session("foreign", NOW).await.expect("find").is_some(), "not revoked");

    // An expired visitor session.
    let expired = h.store.open_session(session(&bot.id, None, "expired", None, NOW - HOUR)).await.expect("open");
    let opened =
        h.store.open_session(session(&bot.id, Some(&bob.id), "bob-1", Some("expired"), NOW)).await.expect("open");
    assert_eq!(opened.visitor, VisitorOutcome::None);
    assert_ne!(opened.conversation.id, expired.conversation.id);
    assert_eq!(opened.conversation.contact_id.as_deref(), Some(bob.id.as_str()));

    // Someone else's signed-in session.
    let opened =
        h.store.open_session(session(&bot.id, Some(&bob.id), "bob-2", Some("ann-1"), NOW)).await.expect("open");
    assert_eq!(opened.visitor, VisitorOutcome::None);
    assert_eq!(opened.conversation.contact_id.as_deref(), Some(bob.id.as_str()));
    assert!(h.store.find_session("ann-1", NOW).await.expect("find").is_some(), "not revoked");
}

pub async fn unknown_bot_and_contact_are_not_found(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let other_bot = super::support::bot(h.store.as_ref()).await;
    let stranger = contact(h.store.as_ref(), &other_bot.id, "stranger").await;

    let err = h.store.open_session(session("no-such-bot", None, "t1", None, NOW)).await.expect_err("no bot");
    assert!(matches!(err, Error::NotFound("bot")), "{err:?}");
    for contact_id in ["no-such-contact", stranger.id.as_str()] {
        let err = h
            .store
            .open_session(session(&bot.id, Some(contact_id), "t2", None, NOW))
            .await
            .expect_err("not a contact of this bot");
        assert!(matches!(err, Error::NotFound("contact")), "{err:?}");
    }
    assert_eq!(h.store.find_session("t1", NOW).await.expect("find"), None);
    assert_eq!(h.store.find_session("t2", NOW).await.expect("find"), None);
}

pub async fn sessions_expire_and_are_purged(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let short = h.store.open_session(session(&bot.id, None, "short", None, NOW)).await.expect("open");
    let long = h.store.open_session(session(&bot.id, None, "long", None, NOW + HOUR)).await.expect("open");

    let find = |token, now| h.store.find_session(token, now);
    assert_eq!(find("short", NOW).await.expect("find"), Some(short.session.clone()));
    assert_eq!(find("short", NOW + HOUR - 1).await.expect("find"), Some(short.session));
    assert_eq!(find("short", NOW + HOUR).await.expect("find"), None, "expired at expires_at");
    assert_eq!(find("unknown", NOW).await.expect("find"), None);

    let err =
        h.store.open_session(session(&bot.id, None, "long", None, NOW)).await.expect_err("token hashes are unique");
    assert!(matches!(err, Error::Conflict("session_token")), "{err:?}");

    assert_eq!(h.store.purge_sessions(NOW + HOUR).await.expect("purge"), 1);
    assert_eq!(h.store.purge_sessions(NOW + HOUR).await.expect("purge again"), 0);
    assert_eq!(find("long", NOW + HOUR).await.expect("find"), Some(long.session));
    assert_eq!(h.store.purge_sessions(NOW + 2 * HOUR).await.expect("purge"), 1);
    assert_eq!(find("long", NOW).await.expect("find"), None, "purged");
}

pub async fn a_revoked_session_is_gone(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let opened = h.store.open_session(session(&bot.id, None, "bye", None, NOW)).await.expect("open");
    let revoked = h.store.delete_session("bye").await.expect("delete");
    assert_eq!(revoked, Some(opened.session.clone()), "the session it was, for its sockets to be told");
    assert_eq!(h.store.find_session("bye", NOW + 1).await.expect("find"), None);
    assert_eq!(h.store.delete_session("bye").await.expect("delete again"), None, "nothing left to revoke");
    let messages = h.store.list_messages(&opened.conversation.id, 0, 10).await.expect("list");
    assert!(messages.is_empty(), "the conversation itself stays");
}

pub async fn a_contacts_conversations_are_listed_most_recent_first(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let ann = contact(h.store.as_ref(), &bot.id, "ann").await;
    h.store.open_session(session(&bot.id, None, "v", None, NOW)).await.expect("visitor");
    let signed_in =
        h.store.open_session(session(&bot.id, Some(&ann.id), "s", Some("v"), NOW + 1)).await.expect("login");
    let listed = h.store.contact_history(&ann.id, 50).await.expect("list");
    assert_eq!(listed.iter().map(|(c, _)| c.id.as_str()).collect::<Vec<_>>(), [signed_in.conversation.id.as_str()]);
    assert!(h.store.contact_history("nobody", 50).await.expect("list").is_empty());
}

pub async fn the_inbox_lists_active_conversations_with_their_latest_message(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let ann = contact(h.store.as_ref(), &bot.id, "ann").await;
    let quiet = h.store.open_session(session(&bot.id, None, "quiet", None, NOW)).await.expect("no messages");
    let visitor = h.store.open_session(session(&bot.id, None, "v", None, NOW)).await.expect("visitor");
    let signed = h.store.open_session(session(&bot.id, Some(&ann.id), "s", None, NOW)).await.expect("ann");
    for (conversation, author, text, now) in [
        (&visitor.conversation.id, "visitor", "hello?", NOW + 1),
        (&signed.conversation.id, "visitor", "invoice", NOW + 2),
        (&signed.conversation.id, "bot", "on it", NOW + 3),
    ] {
        let message = NewMessage {
            conversation_id: conversation,
            author: author.parse().expect("an author"),
            author_name: None,
            text,
            styles: None,
            only_while: None,
            now,
        };
        h.store.add_message(message).await.expect("message");
    }
    let inbox = h.store.list_inbox(&bot.id, None, 50).await.expect("inbox");
    let rows: Vec<_> = inbox.iter().map(|i| (i.id.as_str(), i.last_text.as_str(), i.contact_name.is_some())).collect();
    assert_eq!(
        rows,
        [(signed.conversation.id.as_str(), "on it", false), (visitor.conversation.id.as_str(), "hello?", false)]
    );
    assert!(inbox.iter().all(|i| i.id != quiet.conversation.id), "conversations without messages stay out");
    assert_eq!(inbox[0].contact_id.as_deref(), Some(ann.id.as_str()));
    assert_eq!(inbox[0].handled_by.as_str(), "bot");

    let take = HandlerChange {
        handled_by: Handler::Agent,
        priority: Priority::Normal,
        agent_name: None,
        agent_id: None,
        expected: None,
        now: NOW + 4,
    };
    let taken = h.store.set_conversation_handler(&signed.conversation.id, &take).await.expect("take over");
    assert_eq!(taken.expect("exists").handled_by.as_str(), "agent");
    let got = h.store.get_conversation(&signed.conversation.id).await.expect("get").expect("exists");
    assert_eq!((got.handled_by.as_str(), got.updated_at), ("agent", NOW + 4));
    assert_eq!(h.store.set_conversation_handler("nope", &take).await.expect("set"), None);
    assert_eq!(h.store.get_conversation("nope").await.expect("get"), None);
}

pub async fn concurrent_first_sign_ins_share_one_conversation(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let ann = contact(h.store.as_ref(), &bot.id, "ann").await;
    let other = h.another_instance().await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = if i % 2 == 0 { h.store.clone() } else { other.clone() };
        let (bot_id, ann_id) = (bot.id.clone(), ann.id.clone());
        tasks.push(tokio::spawn(async move {
            let token = format!("device-{i}");
            store.open_session(session(&bot_id, Some(&ann_id), &token, None, NOW)).await.expect("open").conversation.id
        }));
    }
    let mut conversations = HashSet::new();
    for task in tasks {
        conversations.insert(task.await.expect("task"));
    }
    assert_eq!(conversations.len(), 1, "every device got the same conversation");
}

/// What the page said about a visitor is kept with the conversation, replaced by what it
/// says next, and read back as it was written.
pub async fn what_the_page_said_is_kept_with_the_conversation(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let opened = h.store.open_session(session(&bot.id, None, "page-1", None, NOW)).await.expect("open");
    let conversation = opened.conversation.id;
    assert_eq!(h.store.page_fields(&conversation).await.expect("read"), None, "nothing said yet");
    let said = serde_json::json!({"email": "mallory@evil.example", "name": "Mallory"});
    assert!(h.store.set_page_fields(&conversation, &said).await.expect("write"));
    assert_eq!(h.store.page_fields(&conversation).await.expect("read"), Some(said));
    let newer = serde_json::json!({"user_id": "42"});
    assert!(h.store.set_page_fields(&conversation, &newer).await.expect("write"));
    assert_eq!(h.store.page_fields(&conversation).await.expect("read"), Some(newer.clone()));
    assert!(!h.store.set_page_fields("no-such-conversation", &newer).await.expect("write"));
    assert_eq!(h.store.page_fields("no-such-conversation").await.expect("read"), None);
}
