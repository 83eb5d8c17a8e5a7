//! What the dashboard reads for a bot with many conversations: the inbox told of each
//! change as it lists it, a conversation's latest message kept by every writer, a contact's
//! history in two statements, and every statement served by an index.

use concierge_domain::{Handler, Priority};
use concierge_store::testing::{dashboard_plans, PlanInputs};
use concierge_store::{AttemptFilter, ContactUpsert, HandlerChange, Store, VisitorOutcome};

use super::attempts::attempt;
use super::support::{bot, contact, metadata, say, session, upsert, Harness, HOUR, NOW};

pub async fn each_message_tells_the_inbox_how_it_lists_the_conversation(h: &Harness) {
    let store = h.store.as_ref();
    let bot = bot(store).await;
    let profile = metadata(serde_json::json!({}));
    let ann = ContactUpsert { name: Some("Ann"), email: Some("ann@example.com"), ..upsert(&bot.id, "ann", &profile) };
    let ann = store.upsert_contact(ann).await.expect("upsert").contact;
    let signed = store.open_session(session(&bot.id, Some(&ann.id), "s", None, NOW)).await.expect("ann");
    let quiet = store.open_session(session(&bot.id, None, "quiet", None, NOW)).await.expect("no messages");

    let first = say(store, &signed.conversation, "visitor", "where is my invoice?", NOW + 1).await;
    let second = say(store, &signed.conversation, "bot", "under Billing", NOW + 2).await;
    assert_eq!((first.prev_seq, second.prev_seq), (0, first.message.seq), "each message follows the one before");
    let item = &second.inbox;
    assert_eq!((item.id.as_str(), item.bot_id.as_str()), (signed.conversation.id.as_str(), bot.id.as_str()));
    assert_eq!((item.contact_name.as_deref(), item.contact_email.as_deref()), (Some("Ann"), Some("ann@example.com")));
    assert_eq!(
        (item.last_text.as_str(), item.last_seq, item.updated_at),
        ("under Billing", second.message.seq, NOW + 2)
    );
    // What the message carried is what the inbox lists, and what a tab opened later reads.
    assert_eq!(store.list_inbox(&bot.id, None, 50).await.expect("inbox"), std::slice::from_ref(item));
    assert_eq!(store.inbox_item(&signed.conversation.id).await.expect("item").as_ref(), Some(item));

    let wait = HandlerChange {
        handled_by: Handler::Waiting,
        priority: Priority::High,
        agent_name: None,
        agent_id: None,
        expected: None,
        now: NOW + 3,
    };
    store.set_conversation_handler(&signed.conversation.id, &wait).await.expect("hand off").expect("exists");
    let waiting = store.inbox_item(&signed.conversation.id).await.expect("item").expect("listed");
    assert_eq!((waiting.handled_by, waiting.priority, waiting.updated_at), (Handler::Waiting, Priority::High, NOW + 3));
    assert_eq!(waiting.last_seq, second.message.seq);
    assert_eq!(store.inbox_item(&quiet.conversation.id).await.expect("item"), None, "no messages: not listed");
    assert_eq!(store.inbox_item("no-such-conversation").await.expect("item"), None);
}

pub async fn the_latest_message_follows_merged_messages(h: &Harness) {
    let store = h.store.as_ref();
    let bot = bot(store).await;
    for (name, visitor_speaks_last) in [("ann", true), ("bob", false)] {
        let person = contact(store, &bot.id, name).await;
        let [laptop_token, phone_token, signed_in_token] = ["laptop", "phone", "in"].map(|t| format!("{name}-{t}"));
        let laptop = store.open_session(session(&bot.id, Some(&person.id), &laptop_token, None, NOW)).await;
        let laptop = laptop.expect("laptop").conversation;
        let phone = store.open_session(session(&bot.id, None, &phone_token, None, NOW)).await.expect("phone");
        let phone = phone.conversation;
        let (older, newer) = if visitor_speaks_last { (&laptop, &phone) } else { (&phone, &laptop) };
        say(store, older, "visitor", &format!("{name}: first"), NOW + 1).await;
        say(store, newer, "visitor", &format!("{name}: last"), NOW + 2).await;

        let signed_in = session(&bot.id, Some(&person.id), &signed_in_token, Some(&phone_token), NOW + 3);
        let signed_in = store.open_session(signed_in).await.expect("sign in");
        let VisitorOutcome::Merged { messages, .. } = &signed_in.visitor else {
            panic!("merged, not {:?}", signed_in.visitor)
        };
        // What joined is the newest, whenever it was written: the other devices read on
        // from what they had.
        let joined = messages.last().expect("the phone's message joined");
        let item = store.inbox_item(&laptop.id).await.expect("item").expect("listed");
        assert_eq!((item.last_seq, item.last_text.as_str()), (joined.seq, joined.text.as_str()), "{name}");
        assert_eq!(item.updated_at, NOW + 3, "the sign-in made it active");
        let next = say(store, &laptop, "bot", "welcome back", NOW + 4).await;
        assert_eq!(next.prev_seq, joined.seq, "{name}: the next message follows what joined");
    }
    let listed = store.list_inbox(&bot.id, None, 50).await.expect("inbox");
    assert_eq!(listed.len(), 2, "the visitors' conversations are gone: {listed:?}");
    assert!(listed.iter().all(|i| i.last_text == "welcome back"));
}

pub async fn a_contacts_history_is_the_newest_messages_of_each_conversation(h: &Harness) {
    let store = h.store.as_ref();
    let bot = bot(store).await;
    let ann = contact(store, &bot.id, "ann").await;
    let bob = contact(store, &bot.id, "bob").await;
    let long = store.open_session(session(&bot.id, Some(&ann.id), "ann", None, NOW)).await.expect("ann").conversation;
    let theirs = store.open_session(session(&bot.id, Some(&bob.id), "bob", None, NOW)).await.expect("bob").conversation;
    // A contact's second conversation: the store opens one per contact, earlier versions
    // (and a concurrent first sign-in on an older instance) could leave more.
    h.execute(&format!(
        "INSERT INTO conversations (id, bot_id, contact_id, created_at, updated_at)
         VALUES ('ann-earlier', '{}', '{}', {NOW}, {NOW})",
        bot.id, ann.id
    ))
    .await;
    let earlier = store.get_conversation("ann-earlier").await.expect("get").expect("inserted");
    for i in 0..3 {
        say(store, &earlier, "visitor", &format!("earlier {i}"), NOW + i).await;
    }
    for i in 0..60 {
        say(store, &long, "visitor", &format!("long {i}"), NOW + 10 + i).await;
    }
    say(store, &theirs, "visitor", "not ann's", NOW + 100).await;

    let history = store.contact_history(&ann.id, 50).await.expect("history");
    let shown: Vec<(&str, Vec<&str>)> =
        history.iter().map(|(c, ms)| (c.id.as_str(), ms.iter().map(|m| m.text.as_str()).collect())).collect();
    let newest_fifty: Vec<String> = (10..60).map(|i| format!("long {i}")).collect();
    assert_eq!(
        shown,
        [
            (long.id.as_str(), newest_fifty.iter().map(String::as_str).collect()),
            ("ann-earlier", vec!["earlier 0", "earlier 1", "earlier 2"]),
        ]
    );
    let one = store.contact_history(&ann.id, 1).await.expect("history");
    assert_eq!(one.iter().map(|(_, ms)| ms.len()).collect::<Vec<_>>(), [1, 1]);
    assert_eq!(one[0].1[0].text, "long 59");
}

/// The authentication log is newest first by the attempts' times, which their ids need not
/// follow (an attempt is logged after its call ends, so a slow call's comes after a quicker
/// later one's), and its pages continue where the last one ended.
pub async fn the_auth_log_pages_by_time(h: &Harness) {
    let store = h.store.as_ref();
    let bot = bot(store).await;
    for offset in [5, 1, 3, 2] {
        store.record_attempts(&[attempt(&bot.id, "ok", NOW + offset)]).await.expect("record");
    }
    let times =
        |attempts: Vec<concierge_store::Attempt>| attempts.iter().map(|a| a.created_at - NOW).collect::<Vec<_>>();
    let all = store.list_attempts(&bot.id, AttemptFilter::default()).await.expect("list");
    assert_eq!(times(all), [5, 3, 2, 1]);
    let recent = AttemptFilter { since: Some(NOW + 2), ..AttemptFilter::default() };
    assert_eq!(times(store.list_attempts(&bot.id, recent).await.expect("since")), [5, 3, 2]);
    let mut pages = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let filter = AttemptFilter { before: before.as_deref(), limit: 3, ..AttemptFilter::default() };
        let page = store.list_attempts(&bot.id, filter).await.expect("page");
        let Some(last) = page.last() else { break };
        before = Some(last.id.clone());
        pages.push(times(page));
    }
    assert_eq!(pages, [vec![5, 3, 2], vec![1]]);
}

/// The plans the database would run the dashboard's statements with: each statement reads
/// an index range, and the inbox and the authentication log read their page in the index's
/// order, so that their work does not grow with the bot's conversations or attempts. A
/// statement that comes to read a whole table, or to sort all of a bot's rows, fails here.
/// Run with `--nocapture` to see the plans (docs/benchmarks.md quotes them).
pub async fn dashboard_statements_are_served_by_indexes(h: &Harness) {
    let store = h.store.as_ref();
    let bot = bot(store).await;
    let ann = contact(store, &bot.id, "ann").await;
    let opened = store.open_session(session(&bot.id, Some(&ann.id), "ann", None, NOW)).await.expect("ann");
    say(store, &opened.conversation, "visitor", "hello", NOW + 1).await;
    store.record_attempts(&[attempt(&bot.id, "ok", NOW)]).await.expect("record");
    let attempts = store.list_attempts(&bot.id, Default::default()).await.expect("list");
    let inputs = PlanInputs {
        bot_id: &bot.id,
        contact_id: &ann.id,
        conversation_id: &opened.conversation.id,
        attempt_id: &attempts[0].id,
        since: NOW - 24 * HOUR,
    };
    let postgres = h.database().starts_with("postgres");
    // The index each statement must use; the statements that page in an index's order.
    let expected = [
        ("inbox", Some("conversations_inbox"), true),
        ("inbox, next page", Some("conversations_inbox"), true),
        ("inbox, the ranks after", Some("conversations_inbox"), true),
        ("inbox item", None, false),
        ("open conversation", Some("messages_conversation"), false),
        ("earlier messages", Some("messages_conversation"), false),
        ("contact's conversations", Some("conversations_contact"), false),
        ("contact's messages", Some("messages_conversation"), false),
        ("contacts", Some("contacts_bot"), true),
        ("contacts search", Some("contacts_bot"), true),
        ("auth log", Some("auth_attempts_bot_time"), true),
        ("auth log, one outcome", Some("auth_attempts_bot_time"), true),
        ("auth log, next page", Some("auth_attempts_bot_time"), true),
        ("auth log chart", Some("auth_attempts_bot_time"), false),
    ];
    let plans = dashboard_plans(&h.database(), &inputs).await;
    assert_eq!(plans.iter().map(|p| p.name).collect::<Vec<_>>(), expected.map(|(name, _, _)| name));
    for (plan, (name, index, in_order)) in plans.iter().zip(expected) {
        println!("-- {name} ({})\n{}\n", if postgres { "PostgreSQL" } else { "SQLite" }, plan.plan);
        let lines: Vec<&str> = plan.plan.lines().map(str::trim).collect();
        let whole_table = |line: &&str| {
            if postgres {
                line.contains("Seq Scan")
            } else {
                // A derived table's rows (`recent`) are not a table's.
                line.starts_with("SCAN ") && !line.starts_with("SCAN recent")
            }
        };
        assert!(!lines.iter().any(whole_table), "{name} reads a whole table:\n{}", plan.plan);
        if let Some(index) = index {
            assert!(plan.plan.contains(index), "{name} does not use {index}:\n{}", plan.plan);
        }
        let sorts = |line: &&str| {
            if postgres {
                line.contains("Sort")
            } else {
                line.contains("TEMP B-TREE FOR ORDER BY")
            }
        };
        if in_order {
            assert!(!lines.iter().any(sorts), "{name} sorts the bot's rows:\n{}", plan.plan);
        }
    }
}

/// As version 0008 stored them: a conversation with two messages, a more recent one with
/// one, and one without any.
pub const OLD_CONVERSATIONS: &str = "
    INSERT INTO workspaces (id, name, created_at) VALUES ('w', 'Old', 1);
    INSERT INTO bots (id, workspace_id, name, created_at, updated_at) VALUES ('b', 'w', 'Bot', 1, 1);
    INSERT INTO conversations (id, bot_id, created_at, updated_at) VALUES ('two', 'b', 1, 3);
    INSERT INTO conversations (id, bot_id, created_at, updated_at) VALUES ('one', 'b', 1, 4);
    INSERT INTO conversations (id, bot_id, created_at, updated_at) VALUES ('none', 'b', 1, 5);
    INSERT INTO messages (conversation_id, author, text, created_at) VALUES ('two', 'visitor', 'hello', 2);
    INSERT INTO messages (conversation_id, author, text, created_at) VALUES ('two', 'bot', 'hi there', 3);
    INSERT INTO messages (conversation_id, author, text, created_at) VALUES ('one', 'visitor', 'anyone?', 4);";

/// Migration 0009 found each conversation's newest message: the inbox lists them, and the
/// next message follows it.
pub async fn assert_backfilled(store: &dyn Store) {
    let listed = store.list_inbox("b", None, 50).await.expect("inbox");
    let rows: Vec<_> = listed.iter().map(|i| (i.id.as_str(), i.last_text.as_str(), i.last_seq)).collect();
    assert_eq!(rows, [("one", "anyone?", 3), ("two", "hi there", 2)]);
    let conversation = store.get_conversation("two").await.expect("get").expect("kept");
    let next = say(store, &conversation, "visitor", "thanks", NOW).await;
    assert_eq!((next.prev_seq, next.message.seq), (2, 4));
    assert_eq!(store.inbox_item("none").await.expect("item"), None);
}

/// A busy inbox read a page at a time: each page starts after the last conversation of the
/// one before, in the inbox's order, until every conversation was listed once; a long thread
/// read upwards from its newest message likewise.
pub async fn the_inbox_and_a_thread_page_to_their_oldest(h: &Harness) {
    let store = h.store.as_ref();
    let bot = bot(store).await;
    let mut conversations = Vec::new();
    for i in 0..7 {
        let opened =
            store.open_session(session(&bot.id, None, &format!("visitor-{i}"), None, NOW)).await.expect("open");
        // Two share a time: the id orders them.
        say(store, &opened.conversation, "visitor", &format!("question {i}"), NOW + 10 + i.min(5)).await;
        conversations.push(opened.conversation);
    }
    let wait = |priority, now| HandlerChange {
        handled_by: Handler::Waiting,
        priority,
        agent_name: None,
        agent_id: None,
        expected: None,
        now,
    };
    store.set_conversation_handler(&conversations[1].id, &wait(Priority::Normal, NOW + 20)).await.expect("wait");
    store.set_conversation_handler(&conversations[4].id, &wait(Priority::High, NOW + 21)).await.expect("wait");

    let whole = store.list_inbox(&bot.id, None, 50).await.expect("inbox");
    assert_eq!(whole.len(), 7);
    assert_eq!(
        (whole[0].id.as_str(), whole[1].id.as_str()),
        (conversations[4].id.as_str(), conversations[1].id.as_str())
    );
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = store.list_inbox(&bot.id, after.as_ref(), 2).await.expect("page");
        let Some(last) = page.last() else { break };
        after = Some(last.place());
        paged.extend(page);
    }
    assert_eq!(paged, whole, "every conversation once, in the same order");

    let thread = &conversations[0];
    let mut seqs = Vec::new();
    for i in 0..9 {
        seqs.push(say(store, thread, "visitor", &format!("line {i}"), NOW + 30 + i).await.message.seq);
    }
    let newest = store.latest_messages(&thread.id, 4).await.expect("latest");
    let above = store.messages_before(&thread.id, newest[0].seq, 4).await.expect("above");
    let top = store.messages_before(&thread.id, above[0].seq, 4).await.expect("top");
    let read: Vec<i64> = top.iter().chain(&above).chain(&newest).map(|m| m.seq).collect();
    assert_eq!(read.len(), 10, "the first question and the nine lines");
    assert!(read.windows(2).all(|w| w[0] < w[1]) && read.ends_with(&seqs));
    assert_eq!(store.messages_before(&thread.id, top[0].seq, 4).await.expect("none above"), []);
}
