use concierge_domain::{Author, Handler, Priority};
use std::collections::HashSet;

use concierge_domain::{Emphasis, StyleRange};
use concierge_store::{Conversation, Error, NewMessage};

use super::support::{bot, session, Harness, NOW};

async fn conversation(h: &Harness, bot_id: &str, token: &str) -> Conversation {
    let opened = h.store.open_session(session(bot_id, None, token, None, NOW)).await;
    opened.expect("open a session").conversation
}

/// A visitor's message in `conversation`.
pub(super) fn message<'a>(conversation: &'a Conversation, text: &'a str, now: i64) -> NewMessage<'a> {
    NewMessage {
        conversation_id: &conversation.id,
        author: Author::Visitor,
        author_name: None,
        text,
        styles: None,
        only_while: None,
        now,
    }
}

pub async fn messages_are_ordered_and_paged_by_seq(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let a = conversation(h, &bot.id, "a").await;
    let b = conversation(h, &bot.id, "b").await;

    let mut added = Vec::new();
    for (i, conversation) in [&a, &b, &a, &b, &a].into_iter().enumerate() {
        let text = format!("message {i}");
        let now = NOW + i64::try_from(i).expect("small");
        let message = h.store.add_message(message(conversation, &text, now)).await.expect("add").message;
        assert_eq!((message.text.as_str(), message.created_at), (text.as_str(), now));
        added.push(message);
    }
    assert!(added.windows(2).all(|w| w[0].seq < w[1].seq), "seq increases across conversations");

    let in_a: Vec<_> = [0, 2, 4].map(|i| added[i].clone()).into();
    assert_eq!(h.store.list_messages(&a.id, 0, 0).await.expect("list"), in_a);
    assert_eq!(h.store.list_messages(&a.id, added[0].seq, 0).await.expect("list"), in_a[1..]);
    assert_eq!(h.store.list_messages(&a.id, 0, 2).await.expect("list"), in_a[..2]);
    assert_eq!(h.store.list_messages(&a.id, added[4].seq, 0).await.expect("list"), vec![]);
    let in_b = h.store.list_messages(&b.id, 0, 0).await.expect("list");
    assert_eq!(in_b, vec![added[1].clone(), added[3].clone()]);
}

pub async fn concurrent_messages_get_distinct_increasing_seqs(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let a = conversation(h, &bot.id, "a").await;
    let adds = h
        .race(50, |store, i| {
            let conversation_id = a.id.clone();
            async move {
                let text = format!("message {i}");
                let new = NewMessage {
                    conversation_id: &conversation_id,
                    author: Author::Bot,
                    author_name: Some("Support"),
                    text: &text,
                    styles: None,
                    only_while: None,
                    now: NOW,
                };
                store.add_message(new).await
            }
        })
        .await;
    let mut posted: Vec<_> = adds.into_iter().map(|add| add.expect("add")).collect();
    let seqs: HashSet<_> = posted.iter().map(|p| p.message.seq).collect();
    assert_eq!(seqs.len(), 50);

    let listed = h.store.list_messages(&a.id, 0, 200).await.expect("list");
    assert_eq!(listed.len(), 50);
    assert!(listed.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(listed.iter().all(|m| seqs.contains(&m.seq)));
    // However they raced, each names the one stored just before it: one chain, from 0.
    posted.sort_by_key(|p| p.message.seq);
    let chain: Vec<_> = posted.iter().map(|p| p.prev_seq).collect();
    let expected: Vec<_> = std::iter::once(0).chain(posted.iter().map(|p| p.message.seq)).take(50).collect();
    assert_eq!(chain, expected, "each message follows the one stored before it");
}

pub async fn message_to_a_missing_conversation_is_not_found(h: &Harness) {
    let missing = Conversation {
        id: "no-such-conversation".to_owned(),
        bot_id: "no-such-bot".to_owned(),
        contact_id: None,
        handled_by: Handler::Bot,
        priority: Priority::Normal,
        agent_name: None,
        agent_id: None,
        created_at: NOW,
        updated_at: NOW,
    };
    let err = h.store.add_message(message(&missing, "hello?", NOW)).await.expect_err("missing");
    assert!(matches!(err, Error::NotFound("conversation")), "{err:?}");
    assert_eq!(h.store.list_messages(&missing.id, 0, 0).await.expect("list"), vec![]);
}

pub async fn the_newest_messages_come_oldest_first(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let opened = h.store.open_session(super::support::session(&bot.id, None, "t", None, NOW)).await.expect("open");
    let conversation = &opened.conversation;
    for i in 0..5 {
        h.store.add_message(message(conversation, &format!("m{i}"), NOW + i)).await.expect("add");
    }
    let texts = |ms: Vec<concierge_store::Message>| ms.into_iter().map(|m| m.text).collect::<Vec<_>>();
    assert_eq!(texts(h.store.latest_messages(&conversation.id, 2).await.expect("latest")), ["m3", "m4"]);
    assert_eq!(texts(h.store.latest_messages(&conversation.id, 50).await.expect("all")).len(), 5);
    assert!(h.store.latest_messages("none", 5).await.expect("empty").is_empty());
}

pub async fn messages_keep_their_authors_names(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let a = conversation(h, &bot.id, "a").await;
    let said = [("visitor", None, "hi"), ("bot", Some("Support"), "hello!"), ("agent", Some("Bea Ortiz"), "Bea here")];
    let mut added = Vec::new();
    for (i, (author, author_name, text)) in said.into_iter().enumerate() {
        let now = NOW + i64::try_from(i).expect("small");
        let new = NewMessage {
            conversation_id: &a.id,
            author: author.parse().expect("an author"),
            author_name,
            text,
            styles: None,
            only_while: None,
            now,
        };
        let message = h.store.add_message(new).await.expect("add").message;
        assert_eq!((message.author.as_str(), message.author_name.as_deref()), (author, author_name));
        added.push(message);
    }
    assert_eq!(h.store.list_messages(&a.id, 0, 0).await.expect("list"), added);
    assert_eq!(h.store.latest_messages(&a.id, 10).await.expect("latest"), added);
}

pub async fn bot_messages_keep_their_emphasis(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let a = conversation(h, &bot.id, "a").await;
    let styles = [
        StyleRange { start: 0, end: 9, style: Emphasis::Strong },
        StyleRange { start: 4, end: 9, style: Emphasis::Em },
        StyleRange { start: 12, end: 14, style: Emphasis::Em },
    ];
    let said: [(&str, Option<&[StyleRange]>); 3] = [("visitor", None), ("bot", Some(&styles)), ("bot", Some(&[]))];
    let mut added = Vec::new();
    for (i, (author, styles)) in said.into_iter().enumerate() {
        let now = NOW + i64::try_from(i).expect("small");
        let new = NewMessage {
            conversation_id: &a.id,
            author: author.parse().expect("an author"),
            author_name: None,
            text: "Go to 😀 Settings",
            styles,
            only_while: None,
            now,
        };
        let message = h.store.add_message(new).await.expect("add").message;
        assert_eq!(message.styles.as_deref(), styles);
        added.push(message);
    }
    assert_eq!(h.store.list_messages(&a.id, 0, 0).await.expect("list"), added, "styles and their absence are kept");
    assert_eq!(h.store.latest_messages(&a.id, 10).await.expect("latest"), added);
}

/// The widget sends its own id with a message and again with every retry: a retry whose
/// first answer was lost, or that overtook it, is the same message, written once.
pub async fn a_message_sent_again_with_its_client_id_is_written_once(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let a = conversation(h, &bot.id, "a").await;
    let b = conversation(h, &bot.id, "b").await;
    let once = |conversation, text, now| h.store.add_message_once(message(conversation, text, now), "id-1");

    let concierge_store::Added::Posted(first) = once(&a, "where is my order?", NOW).await.expect("add") else {
        panic!("the first is written");
    };
    let again = once(&a, "where is my order?", NOW + 5).await.expect("again");
    let concierge_store::Added::Repeated(repeated) = again else { panic!("the retry is the same message") };
    assert_eq!(repeated, first.message, "as stored the first time");
    // The id is the widget's, unique within a conversation only; without one, nothing repeats.
    assert!(matches!(once(&b, "where is my order?", NOW).await.expect("b"), concierge_store::Added::Posted(_)));
    h.store.add_message(message(&a, "where is my order?", NOW + 6)).await.expect("without an id");
    let texts: Vec<i64> =
        h.store.list_messages(&a.id, 0, 10).await.expect("list").iter().map(|m| m.created_at).collect();
    assert_eq!(texts, [NOW, NOW + 6], "the retry wrote nothing");
}
