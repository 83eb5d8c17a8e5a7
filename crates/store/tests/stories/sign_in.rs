//! What becomes of a visitor's anonymous conversation when they sign in: the person must
//! see one continuous conversation on every device, and nobody else's.

use concierge_domain::{Handler, Priority};
use concierge_store::{
    Conversation, Ended, EndedSessions, HandlerChange, Message, NewUnansweredQuestion, OpenSession, Store,
    VisitorOutcome,
};

use super::support::{bot, contact, session, Harness, HOUR, NOW};

async fn say(store: &dyn Store, conversation: &Conversation, author: &str, text: &str, now: i64) -> Message {
    super::support::say(store, conversation, author, text, now).await.message
}

async fn texts(store: &dyn Store, conversation_id: &str) -> Vec<String> {
    let messages = store.list_messages(conversation_id, 0, 200).await.expect("list messages");
    messages.into_iter().map(|m| m.text).collect()
}

/// A session whose access token (of hash `proof`) was refused.
fn refused<'a>(
    bot_id: &'a str,
    token_hash: &'a str,
    visitor: Option<&'a str>,
    proof: &'a str,
    now: i64,
) -> OpenSession<'a> {
    OpenSession { refused: true, proof_hash: Some(proof), ..session(bot_id, None, token_hash, visitor, now) }
}

/// A session whose access token (of hash `proof`) identified `contact_id`.
fn accepted<'a>(
    bot_id: &'a str,
    contact_id: &'a str,
    token_hash: &'a str,
    visitor: Option<&'a str>,
    proof: &'a str,
    now: i64,
) -> OpenSession<'a> {
    OpenSession { proof_hash: Some(proof), ..session(bot_id, Some(contact_id), token_hash, visitor, now) }
}

pub async fn a_visitor_without_history_hands_their_conversation_to_the_contact(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let ann = contact(h.store.as_ref(), &bot.id, "ann").await;
    let visitor = h.store.open_session(session(&bot.id, None, "visitor", None, NOW)).await.expect("open");
    say(h.store.as_ref(), &visitor.conversation, "visitor", "hello?", NOW + 1).await;

    let signed_in =
        h.store.open_session(session(&bot.id, Some(&ann.id), "signed-in", Some("visitor"), NOW + 2)).await.expect("in");
    assert_eq!(signed_in.visitor, VisitorOutcome::HandedOver);
    let ended = EndedSessions { conversation_id: visitor.conversation.id.clone(), which: Ended::Anonymous };
    assert_eq!(signed_in.ended, Some(ended), "the sockets of the visitor's sessions are told");
    assert_eq!(signed_in.conversation.id, visitor.conversation.id);
    assert_eq!(signed_in.conversation.contact_id.as_deref(), Some(ann.id.as_str()));
    assert_eq!(signed_in.conversation.created_at, NOW);
    assert_eq!(signed_in.session.contact_id.as_deref(), Some(ann.id.as_str()));
    assert_eq!(texts(h.store.as_ref(), &signed_in.conversation.id).await, ["hello?"]);

    // The visitor session is revoked and hands nothing over a second time.
    assert_eq!(h.store.find_session("visitor", NOW + 2).await.expect("find"), None);
    let bob = contact(h.store.as_ref(), &bot.id, "bob").await;
    let again =
        h.store.open_session(session(&bot.id, Some(&bob.id), "bob", Some("visitor"), NOW + 3)).await.expect("open");
    assert_eq!(again.visitor, VisitorOutcome::None);
    assert_ne!(again.conversation.id, visitor.conversation.id);
    assert_eq!(again.conversation.contact_id.as_deref(), Some(bob.id.as_str()));
}

pub async fn signing_in_joins_the_visitors_messages_to_the_contacts_conversation(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let ann = contact(h.store.as_ref(), &bot.id, "ann").await;
    let store = h.store.as_ref();
    // Device 1: Ann signs in and writes; the bot answers.
    let laptop = store.open_session(session(&bot.id, Some(&ann.id), "laptop", None, NOW)).await.expect("laptop");
    say(store, &laptop.conversation, "visitor", "where is my invoice?", NOW + 1).await;
    say(store, &laptop.conversation, "bot", "under Billing", NOW + 2).await;
    // Device 3: an anonymous visitor writes, and asks for a person.
    let phone = store.open_session(session(&bot.id, None, "phone", None, NOW + 3)).await.expect("phone");
    let refund = say(store, &phone.conversation, "visitor", "and my refund?", NOW + 4).await;
    // The bot had no answer to it: the operator's list of unanswered questions has it.
    let question = NewUnansweredQuestion {
        message_seq: refund.seq,
        bot_id: &bot.id,
        closest_article_id: None,
        closest_confidence: None,
        now: NOW + 4,
    };
    assert!(store.record_unanswered(question).await.expect("record"));
    // Device 1 reads on, past the visitor's message.
    let read = say(store, &laptop.conversation, "visitor", "thanks", NOW + 4).await;
    let wait = HandlerChange {
        handled_by: Handler::Waiting,
        priority: Priority::High,
        agent_name: None,
        agent_id: None,
        expected: None,
        now: NOW + 5,
    };
    store.set_conversation_handler(&phone.conversation.id, &wait).await.expect("hand off").expect("exists");

    let signed_in =
        store.open_session(session(&bot.id, Some(&ann.id), "phone-ann", Some("phone"), NOW + 6)).await.expect("in");
    let VisitorOutcome::Merged { from, messages, handler_changed } = &signed_in.visitor else {
        panic!("merged, not {:?}", signed_in.visitor);
    };
    assert_eq!(from, &phone.conversation.id);
    assert_eq!(messages.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(), ["and my refund?"]);
    assert!(messages.iter().all(|m| m.conversation_id == laptop.conversation.id));
    // The newest of the conversation now: device 1, catching up after what it had read,
    // gets it; and the unanswered question is still there, with its message.
    assert!(messages[0].seq > read.seq, "{messages:?} after {read:?}");
    let caught: Vec<_> = store.list_messages(&laptop.conversation.id, read.seq, 200).await.expect("catch up");
    assert_eq!(caught, messages.clone());
    let unanswered = store.list_unanswered(&bot.id, None, 10).await.expect("unanswered");
    let listed: Vec<_> =
        unanswered.iter().map(|q| (q.message_seq, q.text.as_str(), q.conversation_id.as_str())).collect();
    assert_eq!(listed, [(messages[0].seq, "and my refund?", laptop.conversation.id.as_str())]);
    assert!(handler_changed);
    assert_eq!(signed_in.conversation.id, laptop.conversation.id);
    assert_eq!(signed_in.conversation.contact_id.as_deref(), Some(ann.id.as_str()));
    assert_eq!(
        (signed_in.conversation.handled_by.as_str(), signed_in.conversation.priority.as_str()),
        ("waiting", "high")
    );
    assert_eq!(signed_in.conversation.updated_at, NOW + 6);

    // One conversation for both devices and the inbox, what joined it last.
    let all = ["where is my invoice?", "under Billing", "thanks", "and my refund?"];
    assert_eq!(texts(store, &laptop.conversation.id).await, all);
    let reloaded =
        store.open_session(session(&bot.id, Some(&ann.id), "laptop-2", None, NOW + 7)).await.expect("reload");
    assert_eq!(reloaded.conversation.id, laptop.conversation.id);
    assert_eq!(store.get_conversation(&phone.conversation.id).await.expect("get"), None, "the anonymous one is gone");
    assert_eq!(store.list_messages(&phone.conversation.id, 0, 200).await.expect("list"), []);
    let inbox = store.list_inbox(&bot.id, None, 50).await.expect("inbox");
    assert_eq!(inbox.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), [laptop.conversation.id.as_str()]);
    assert_eq!(inbox[0].last_text, "and my refund?");
    assert_eq!(store.contact_history(&ann.id, 1).await.expect("list").len(), 1);
}

pub async fn a_person_answering_stays_when_a_visitor_joins(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let ann = contact(h.store.as_ref(), &bot.id, "ann").await;
    let store = h.store.as_ref();
    let laptop = store.open_session(session(&bot.id, Some(&ann.id), "laptop", None, NOW)).await.expect("laptop");
    say(store, &laptop.conversation, "visitor", "hi", NOW + 1).await;
    let take = HandlerChange {
        handled_by: Handler::Agent,
        priority: Priority::Normal,
        agent_name: Some("Bea"),
        agent_id: None,
        expected: None,
        now: NOW + 2,
    };
    store.set_conversation_handler(&laptop.conversation.id, &take).await.expect("take over").expect("exists");
    let phone = store.open_session(session(&bot.id, None, "phone", None, NOW + 3)).await.expect("phone");
    say(store, &phone.conversation, "visitor", "still there?", NOW + 4).await;

    let signed_in =
        store.open_session(session(&bot.id, Some(&ann.id), "phone-ann", Some("phone"), NOW + 5)).await.expect("in");
    assert!(
        matches!(signed_in.visitor, VisitorOutcome::Merged { handler_changed: false, .. }),
        "{:?}",
        signed_in.visitor
    );
    let c = &signed_in.conversation;
    assert_eq!((c.handled_by.as_str(), c.agent_name.as_deref()), ("agent", Some("Bea")));
}

pub async fn a_higher_priority_alone_changes_the_handler(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let ann = contact(h.store.as_ref(), &bot.id, "ann").await;
    let store = h.store.as_ref();
    let wait = |priority: &str, now| {
        let priority = priority.parse().expect("a priority");
        HandlerChange { handled_by: Handler::Waiting, priority, agent_name: None, agent_id: None, expected: None, now }
    };
    let laptop = store.open_session(session(&bot.id, Some(&ann.id), "laptop", None, NOW)).await.expect("laptop");
    say(store, &laptop.conversation, "visitor", "hi", NOW + 1).await;
    store.set_conversation_handler(&laptop.conversation.id, &wait("normal", NOW + 2)).await.expect("wait").expect("ok");
    let phone = store.open_session(session(&bot.id, None, "phone", None, NOW + 3)).await.expect("phone");
    say(store, &phone.conversation, "visitor", "urgent!", NOW + 4).await;
    store.set_conversation_handler(&phone.conversation.id, &wait("high", NOW + 5)).await.expect("wait").expect("ok");

    let signed_in =
        store.open_session(session(&bot.id, Some(&ann.id), "phone-ann", Some("phone"), NOW + 6)).await.expect("in");
    assert!(
        matches!(signed_in.visitor, VisitorOutcome::Merged { handler_changed: true, .. }),
        "{:?}",
        signed_in.visitor
    );
    let c = &signed_in.conversation;
    assert_eq!((c.handled_by.as_str(), c.priority.as_str()), ("waiting", "high"));
}

pub async fn an_empty_visitor_conversation_never_hides_the_history(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let ann = contact(h.store.as_ref(), &bot.id, "ann").await;
    let store = h.store.as_ref();
    let laptop = store.open_session(session(&bot.id, Some(&ann.id), "laptop", None, NOW)).await.expect("laptop");
    say(store, &laptop.conversation, "visitor", "one", NOW + 1).await;
    say(store, &laptop.conversation, "visitor", "two", NOW + 2).await;

    // The page loaded before the sign-in: an anonymous session nobody wrote in.
    let phone = store.open_session(session(&bot.id, None, "phone", None, NOW + 3)).await.expect("phone");
    let signed_in =
        store.open_session(session(&bot.id, Some(&ann.id), "phone-ann", Some("phone"), NOW + 4)).await.expect("in");
    assert_eq!(signed_in.visitor, VisitorOutcome::Discarded);
    let ended = EndedSessions { conversation_id: phone.conversation.id.clone(), which: Ended::Anonymous };
    assert_eq!(signed_in.ended, Some(ended));
    assert_eq!(signed_in.conversation.id, laptop.conversation.id);
    assert_eq!(signed_in.conversation.updated_at, NOW + 2, "untouched by the sign-in");
    assert_eq!(store.get_conversation(&phone.conversation.id).await.expect("get"), None, "cleaned up");
    let reloaded =
        store.open_session(session(&bot.id, Some(&ann.id), "laptop-2", None, NOW + 5)).await.expect("reload");
    assert_eq!(reloaded.conversation.id, laptop.conversation.id);
    assert_eq!(texts(store, &reloaded.conversation.id).await, ["one", "two"]);

    // Someone new, whose empty visitor conversation is not theirs either: a fresh one.
    let bob = contact(store, &bot.id, "bob").await;
    let visitor = store.open_session(session(&bot.id, None, "v", None, NOW + 6)).await.expect("visitor");
    let bob_in = store.open_session(session(&bot.id, Some(&bob.id), "bob", Some("v"), NOW + 7)).await.expect("in");
    assert_eq!(bob_in.visitor, VisitorOutcome::Discarded);
    assert_ne!(bob_in.conversation.id, visitor.conversation.id);
    assert_eq!(bob_in.conversation.contact_id.as_deref(), Some(bob.id.as_str()));
}

pub async fn a_refused_sign_in_continues_the_visitor_conversation_but_proves_nothing(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let ann = contact(h.store.as_ref(), &bot.id, "ann").await;
    let store = h.store.as_ref();
    let visitor = store.open_session(session(&bot.id, None, "visitor", None, NOW)).await.expect("visitor");
    say(store, &visitor.conversation, "visitor", "hello?", NOW + 1).await;

    // An expired access token: still an anonymous visitor, in the same conversation, and
    // the visitor session stays valid for the retry with a fresh token.
    let refused_session =
        store.open_session(refused(&bot.id, "refused", Some("visitor"), "expired-token", NOW + 2)).await.expect("open");
    assert_eq!(refused_session.visitor, VisitorOutcome::Continued);
    assert_eq!(refused_session.ended, None, "nothing was revoked");
    assert_eq!(refused_session.conversation.id, visitor.conversation.id);
    assert_eq!(refused_session.session.contact_id, None);
    assert!(store.find_session("visitor", NOW + 2).await.expect("find").is_some());

    // The refused session proves nothing: not at a sign-in, not at a refresh.
    let ann_in =
        store.open_session(session(&bot.id, Some(&ann.id), "ann-1", Some("refused"), NOW + 3)).await.expect("in");
    assert_eq!(ann_in.visitor, VisitorOutcome::None);
    assert_ne!(ann_in.conversation.id, visitor.conversation.id);
    let refreshed = store.open_session(session(&bot.id, None, "fresh", Some("refused"), NOW + 3)).await.expect("open");
    assert_eq!(refreshed.visitor, VisitorOutcome::None);
    assert_ne!(refreshed.conversation.id, visitor.conversation.id);

    // The retry with the live visitor session joins the conversation, and the refused
    // session can no longer read it.
    let retried =
        store.open_session(session(&bot.id, Some(&ann.id), "ann-2", Some("visitor"), NOW + 4)).await.expect("in");
    assert!(matches!(retried.visitor, VisitorOutcome::Merged { .. }), "{:?}", retried.visitor);
    let ended = EndedSessions { conversation_id: visitor.conversation.id.clone(), which: Ended::Anonymous };
    assert_eq!(retried.ended, Some(ended));
    assert_eq!(retried.conversation.id, ann_in.conversation.id);
    assert_eq!(texts(store, &retried.conversation.id).await, ["hello?"]);
    assert_eq!(store.find_session("refused", NOW + 4).await.expect("find"), None);
    assert_eq!(store.find_session("visitor", NOW + 4).await.expect("find"), None);
}

pub async fn the_same_access_token_proves_the_conversation_it_was_refused_in(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let ann = contact(h.store.as_ref(), &bot.id, "ann").await;
    let bob = contact(h.store.as_ref(), &bot.id, "bob").await;
    let store = h.store.as_ref();
    // The customer's API is down: Ann's token is refused, and she writes as a visitor.
    let down = store.open_session(refused(&bot.id, "down", None, "ann-token", NOW)).await.expect("open");
    say(store, &down.conversation, "visitor", "where is my order?", NOW + 1).await;
    // Refused again with the same token: the same conversation, the first session kept.
    let again = store.open_session(refused(&bot.id, "again", Some("down"), "ann-token", NOW + 2)).await.expect("open");
    assert_eq!(again.visitor, VisitorOutcome::Continued);
    assert_eq!(again.conversation.id, down.conversation.id);
    assert!(store.find_session("down", NOW + 2).await.expect("find").is_some());

    // Another token proves nothing, refused or accepted.
    let other = store.open_session(refused(&bot.id, "other", Some("down"), "bob-token", NOW + 3)).await.expect("open");
    assert_eq!(other.visitor, VisitorOutcome::None);
    assert_ne!(other.conversation.id, down.conversation.id);
    let bob_in = accepted(&bot.id, &bob.id, "bob", Some("again"), "bob-token", NOW + 4);
    let bob_in = store.open_session(bob_in).await.expect("in");
    assert_eq!(bob_in.visitor, VisitorOutcome::None);
    assert_ne!(bob_in.conversation.id, down.conversation.id);
    // Nor does a start without one.
    let fresh = store.open_session(session(&bot.id, None, "fresh", Some("down"), NOW + 5)).await.expect("open");
    assert_eq!(fresh.visitor, VisitorOutcome::None);

    // The API is back and accepts Ann's token: what she wrote meanwhile is in her
    // conversation, and no anonymous session reads it any more.
    let ann_in = accepted(&bot.id, &ann.id, "ann", Some("again"), "ann-token", NOW + 6);
    let ann_in = store.open_session(ann_in).await.expect("in");
    assert_eq!(ann_in.visitor, VisitorOutcome::HandedOver);
    assert_eq!(ann_in.conversation.id, down.conversation.id);
    assert_eq!(ann_in.conversation.contact_id.as_deref(), Some(ann.id.as_str()));
    assert_eq!(texts(store, &ann_in.conversation.id).await, ["where is my order?"]);
    for token in ["down", "again"] {
        assert_eq!(store.find_session(token, NOW + 6).await.expect("find"), None, "{token}");
    }
}

pub async fn abandoned_anonymous_conversations_are_purged(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let ann = contact(h.store.as_ref(), &bot.id, "ann").await;
    let store = h.store.as_ref();
    let left = store.open_session(session(&bot.id, None, "left", None, NOW)).await.expect("open");
    let spoke = store.open_session(session(&bot.id, None, "spoke", None, NOW)).await.expect("open");
    say(store, &spoke.conversation, "visitor", "hi", NOW + 1).await;
    let ann_quiet = store.open_session(session(&bot.id, Some(&ann.id), "ann", None, NOW)).await.expect("open");
    let live = store.open_session(session(&bot.id, None, "live", None, NOW + HOUR)).await.expect("open");

    assert_eq!(store.purge_abandoned_conversations().await.expect("purge"), 0, "every one still has a session");
    assert_eq!(store.purge_sessions(NOW + HOUR).await.expect("purge sessions"), 3);
    assert_eq!(store.purge_abandoned_conversations().await.expect("purge"), 1);
    assert_eq!(store.get_conversation(&left.conversation.id).await.expect("get"), None);
    for kept in [&spoke.conversation, &ann_quiet.conversation, &live.conversation] {
        assert!(store.get_conversation(&kept.id).await.expect("get").is_some(), "{kept:?}");
    }
}

/// A visitor's message sent with the widget's id "same-id".
async fn say_once(store: &dyn Store, conversation: &Conversation, text: &str, now: i64) -> concierge_store::Added {
    let new = concierge_store::NewMessage {
        conversation_id: &conversation.id,
        author: "visitor".parse().expect("an author"),
        author_name: None,
        text,
        styles: None,
        only_while: None,
        now,
    };
    store.add_message_once(new, "same-id").await.expect("add")
}

/// A client that gave a message in its anonymous conversation the same id as one in the
/// contact's conversation still signs in: the moved message gives its id up.
pub async fn a_repeated_client_id_does_not_stop_a_sign_in(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let ann = contact(h.store.as_ref(), &bot.id, "ann").await;
    let store = h.store.as_ref();
    let laptop = store.open_session(session(&bot.id, Some(&ann.id), "laptop", None, NOW)).await.expect("laptop");
    let phone = store.open_session(session(&bot.id, None, "phone", None, NOW)).await.expect("phone");
    say_once(store, &laptop.conversation, "from the laptop", NOW + 1).await;
    say_once(store, &phone.conversation, "from the phone", NOW + 2).await;

    let signed_in =
        store.open_session(session(&bot.id, Some(&ann.id), "phone-ann", Some("phone"), NOW + 3)).await.expect("in");
    assert!(matches!(signed_in.visitor, VisitorOutcome::Merged { .. }), "{:?}", signed_in.visitor);
    assert_eq!(texts(store, &laptop.conversation.id).await, ["from the laptop", "from the phone"]);
    let again = say_once(store, &laptop.conversation, "from the laptop", NOW + 4).await;
    assert!(matches!(again, concierge_store::Added::Repeated(ref m) if m.text == "from the laptop"), "{again:?}");
}
