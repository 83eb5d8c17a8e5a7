use concierge_domain::{Author, Handler, Priority};
use concierge_store::{Conversation, HandlerChange, NewMessage};

use super::support::{bot, session, Harness, NOW};

fn change<'a>(handled_by: &str, expected: Option<&str>, now: i64) -> HandlerChange<'a> {
    let state = |s: &str| s.parse::<Handler>().expect("a state");
    HandlerChange {
        handled_by: state(handled_by),
        priority: Priority::Normal,
        agent_name: None,
        agent_id: None,
        expected: expected.map(state),
        now,
    }
}

async fn conversation_with_a_message(h: &Harness, bot_id: &str, token: &str, now: i64) -> Conversation {
    let opened = h.store.open_session(session(bot_id, None, token, None, NOW)).await.expect("open");
    let hello = NewMessage {
        conversation_id: &opened.conversation.id,
        author: Author::Visitor,
        author_name: None,
        text: token,
        styles: None,
        only_while: None,
        now,
    };
    h.store.add_message(hello).await.expect("message");
    opened.conversation
}

pub async fn the_bot_hands_off_only_while_it_handles_the_conversation(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let opened = h.store.open_session(session(&bot.id, None, "v", None, NOW)).await.expect("open");
    let conversation = opened.conversation;
    assert_eq!((conversation.priority.as_str(), conversation.agent_name.as_deref()), ("normal", None));

    let handoff = HandlerChange { priority: Priority::High, ..change("waiting", Some("bot"), NOW + 1) };
    let waiting = h.store.set_conversation_handler(&conversation.id, &handoff).await.expect("hand off");
    let waiting = waiting.expect("the bot still handled it");
    let expected = Conversation {
        handled_by: Handler::Waiting,
        priority: Priority::High,
        updated_at: NOW + 1,
        ..conversation.clone()
    };
    assert_eq!(waiting, expected);
    assert_eq!(h.store.get_conversation(&conversation.id).await.expect("get"), Some(expected.clone()));

    // An agent takes it; the bot, late, must not hand it off again.
    let take = HandlerChange { agent_name: Some("Bea"), agent_id: None, ..change("agent", None, NOW + 2) };
    let taken = h.store.set_conversation_handler(&conversation.id, &take).await.expect("take").expect("exists");
    assert_eq!((taken.handled_by.as_str(), taken.priority.as_str()), ("agent", "normal"));
    assert_eq!(taken.agent_name.as_deref(), Some("Bea"));
    let late = h.store.set_conversation_handler(&conversation.id, &handoff).await.expect("late hand off");
    assert_eq!(late, None, "the compare-and-set failed");
    assert_eq!(h.store.get_conversation(&conversation.id).await.expect("get"), Some(taken.clone()), "unchanged");

    // The agent gives it back to the bot, which clears the name.
    let back = h.store.set_conversation_handler(&conversation.id, &change("bot", Some("agent"), NOW + 3)).await;
    let back = back.expect("give back").expect("an agent handled it");
    assert_eq!((back.handled_by.as_str(), back.agent_name, back.updated_at), ("bot", None, NOW + 3));

    let nowhere = h.store.set_conversation_handler("no-such-conversation", &change("waiting", Some("bot"), NOW)).await;
    assert_eq!(nowhere.expect("set"), None);
}

/// Several agents (or instances) race to take one waiting conversation: one wins.
pub async fn one_of_concurrent_takers_wins(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let conversation = conversation_with_a_message(h, &bot.id, "help", NOW).await;
    h.store.set_conversation_handler(&conversation.id, &change("waiting", None, NOW + 1)).await.expect("hand off");
    let takes = h
        .race(10, |store, i| {
            let id = conversation.id.clone();
            async move {
                let name = format!("agent {i}");
                let take = HandlerChange {
                    agent_name: Some(&name),
                    agent_id: None,
                    ..change("agent", Some("waiting"), NOW + 2)
                };
                store.set_conversation_handler(&id, &take).await.expect("take")
            }
        })
        .await;
    let winners: Vec<_> = takes.into_iter().flatten().collect();
    assert_eq!(winners.len(), 1, "{winners:?}");
    let stored = h.store.get_conversation(&conversation.id).await.expect("get");
    assert_eq!(stored.as_ref(), winners.first());
}

pub async fn the_inbox_lists_waiting_conversations_first(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    // Activity order, oldest first: a .. f.
    let mut c = Vec::new();
    for (i, token) in ["a", "b", "c", "d", "e", "f"].into_iter().enumerate() {
        let now = NOW + 10 * i64::try_from(i).expect("small");
        c.push(conversation_with_a_message(h, &bot.id, token, now).await);
    }
    let set = |id: &str, handled_by: &'static str, priority: &'static str, now: i64| {
        let handler =
            HandlerChange { priority: priority.parse().expect("a priority"), ..change(handled_by, None, now) };
        let (store, id) = (h.store.clone(), id.to_owned());
        async move { store.set_conversation_handler(&id, &handler).await.expect("set").expect("exists") }
    };
    // A handler change counts as activity, so each keeps its place among the others.
    set(&c[0].id, "waiting", "normal", NOW + 1).await;
    set(&c[1].id, "waiting", "high", NOW + 11).await;
    set(&c[2].id, "agent", "high", NOW + 21).await;
    set(&c[3].id, "waiting", "high", NOW + 31).await;
    set(&c[4].id, "waiting", "normal", NOW + 41).await;

    let inbox = h.store.list_inbox(&bot.id, None, 50).await.expect("inbox");
    let order: Vec<_> = inbox.iter().map(|i| i.last_text.as_str()).collect();
    assert_eq!(order, ["d", "b", "e", "a", "f", "c"]);
    let d = &inbox[0];
    assert_eq!((d.handled_by.as_str(), d.priority.as_str(), d.agent_name.as_deref()), ("waiting", "high", None));

    let take = HandlerChange { agent_name: Some("Bea"), agent_id: None, ..change("agent", Some("waiting"), NOW + 60) };
    h.store.set_conversation_handler(&c[3].id, &take).await.expect("take").expect("was waiting");
    let inbox = h.store.list_inbox(&bot.id, None, 50).await.expect("inbox");
    let order: Vec<_> = inbox.iter().map(|i| i.last_text.as_str()).collect();
    assert_eq!(order, ["b", "e", "a", "d", "f", "c"], "a taken conversation joins the others");
    assert_eq!((inbox[3].handled_by.as_str(), inbox[3].agent_name.as_deref()), ("agent", Some("Bea")));
}

pub async fn the_bot_answers_only_while_it_handles_the_conversation(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let conversation = conversation_with_a_message(h, &bot.id, "is anyone there?", NOW).await;
    let answer = |text, now| NewMessage {
        conversation_id: &conversation.id,
        author: Author::Bot,
        author_name: Some("Support"),
        text,
        styles: None,
        only_while: Some(Handler::Bot),
        now,
    };
    h.store.add_message(answer("Yes, the bot is.", NOW + 1)).await.expect("the bot handles it");

    // A person takes over while the bot thinks about the next one: its answer is refused,
    // under the same lock as the write, and nothing is written.
    let take = HandlerChange { agent_name: Some("Bea"), agent_id: None, ..change("agent", None, NOW + 2) };
    h.store.set_conversation_handler(&conversation.id, &take).await.expect("take").expect("exists");
    let late = h.store.add_message(answer("Here is how to reset it.", NOW + 3)).await;
    assert!(matches!(late, Err(concierge_store::Error::Conflict("handler"))), "{late:?}");
    let texts: Vec<String> =
        h.store.list_messages(&conversation.id, 0, 10).await.expect("list").into_iter().map(|m| m.text).collect();
    assert_eq!(texts, ["is anyone there?", "Yes, the bot is."]);
}
