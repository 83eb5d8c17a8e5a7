use concierge_store::{Conversation, Message, NewArticle, NewUnansweredQuestion, UnansweredQuestion};

use super::messages::message;
use super::support::{bot, contact, session, Harness, NOW};

async fn conversation(h: &Harness, bot_id: &str, contact_id: Option<&str>, token: &str) -> Conversation {
    let opened = h.store.open_session(session(bot_id, contact_id, token, None, NOW)).await;
    opened.expect("open a session").conversation
}

async fn ask(h: &Harness, conversation: &Conversation, text: &str, now: i64) -> Message {
    h.store.add_message(message(conversation, text, now)).await.expect("add a message").message
}

fn unanswered<'a>(message: &Message, bot_id: &'a str, closest: Option<(&'a str, i64)>) -> NewUnansweredQuestion<'a> {
    NewUnansweredQuestion {
        message_seq: message.seq,
        bot_id,
        closest_article_id: closest.map(|(id, _)| id),
        closest_confidence: closest.map(|(_, confidence)| confidence),
        now: message.created_at + 400,
    }
}

fn texts(questions: &[UnansweredQuestion]) -> Vec<&str> {
    questions.iter().map(|q| q.text.as_str()).collect()
}

pub async fn unanswered_questions_are_listed_newest_first_and_dismissed(h: &Harness) {
    let store = h.store.as_ref();
    let ours = bot(store).await;
    let theirs = bot(store).await;
    let ada = contact(store, &ours.id, "ada@example.com").await;
    let refunds = NewArticle { bot_id: &ours.id, title: "Refunds", body: "Within 30 days.", now: NOW };
    let refunds = store.create_article(refunds).await.expect("create an article");
    let signed_in = conversation(h, &ours.id, Some(&ada.id), "a").await;
    let anonymous = conversation(h, &ours.id, None, "b").await;
    let elsewhere = conversation(h, &theirs.id, None, "c").await;

    let gift = ask(h, &signed_in, "can I pay with a gift card?", NOW + 1).await;
    let hours = ask(h, &anonymous, "are you open on sundays", NOW + 2).await;
    let other = ask(h, &elsewhere, "do you ship to Norway", NOW + 3).await;
    assert!(store.record_unanswered(unanswered(&gift, &ours.id, Some((&refunds.id, 21)))).await.expect("record"));
    assert!(store.record_unanswered(unanswered(&hours, &ours.id, None)).await.expect("record"));
    assert!(store.record_unanswered(unanswered(&other, &theirs.id, None)).await.expect("record"));
    // A second record of one message (a retry, say) lists it once, as first recorded.
    store.record_unanswered(unanswered(&gift, &ours.id, None)).await.expect("record again");

    let listed = store.list_unanswered(&ours.id, None, 10).await.expect("list");
    assert_eq!(texts(&listed), ["are you open on sundays", "can I pay with a gift card?"], "newest first");
    let expected = UnansweredQuestion {
        message_seq: gift.seq,
        conversation_id: signed_in.id.clone(),
        contact_id: Some(ada.id.clone()),
        text: "can I pay with a gift card?".to_owned(),
        asked_at: NOW + 1,
        closest_article_id: Some(refunds.id.clone()),
        closest_title: Some("Refunds".to_owned()),
        closest_confidence: Some(21),
    };
    assert_eq!(listed[1], expected);
    assert_eq!((listed[0].contact_id.as_deref(), listed[0].closest_title.as_deref()), (None, None));
    assert_eq!(texts(&store.list_unanswered(&theirs.id, None, 10).await.expect("list")), ["do you ship to Norway"]);
    assert_eq!(store.count_unanswered(&ours.id).await.expect("count"), 2);
    assert_eq!(store.count_unanswered(&theirs.id).await.expect("count"), 1);

    // Paged by the message: the page after the newest one holds the older.
    let first = store.list_unanswered(&ours.id, None, 1).await.expect("list");
    assert_eq!(texts(&first), ["are you open on sundays"]);
    let next = store.list_unanswered(&ours.id, Some(first[0].message_seq), 1).await.expect("list");
    assert_eq!(texts(&next), ["can I pay with a gift card?"]);
    assert_eq!(store.list_unanswered(&ours.id, Some(gift.seq), 1).await.expect("list"), []);

    // Dismissed by its own bot only, once.
    assert!(!store.dismiss_unanswered(&ours.id, other.seq).await.expect("dismiss another bot's"));
    assert!(store.dismiss_unanswered(&ours.id, hours.seq).await.expect("dismiss"));
    assert!(!store.dismiss_unanswered(&ours.id, hours.seq).await.expect("dismiss again"));
    assert_eq!(texts(&store.list_unanswered(&ours.id, None, 10).await.expect("list")), ["can I pay with a gift card?"]);
    assert_eq!(store.count_unanswered(&ours.id).await.expect("count"), 1);
    assert_eq!(store.list_unanswered(&theirs.id, None, 10).await.expect("list").len(), 1);
}

pub async fn unanswered_questions_go_with_their_conversation_and_outlive_their_article(h: &Harness) {
    let store = h.store.as_ref();
    let ours = bot(store).await;
    let new = NewArticle { bot_id: &ours.id, title: "Shipping", body: "3 to 5 days.", now: NOW };
    let shipping = store.create_article(new).await.expect("create an article");
    let kept = conversation(h, &ours.id, None, "kept").await;
    let deleted = conversation(h, &ours.id, None, "deleted").await;
    let where_is_it = ask(h, &kept, "where is my parcel", NOW + 1).await;
    store.record_unanswered(unanswered(&where_is_it, &ours.id, Some((&shipping.id, 30)))).await.expect("record");

    // The article the bot had goes; the question stays, without it.
    assert!(store.delete_article(&shipping.id).await.expect("delete the article"));
    let listed = store.list_unanswered(&ours.id, None, 10).await.expect("list");
    assert_eq!(texts(&listed), ["where is my parcel"]);
    assert_eq!((listed[0].closest_article_id.as_deref(), listed[0].closest_title.as_deref()), (None, None));

    // An article deleted while the bot decided: the question is recorded without it.
    let late = ask(h, &kept, "is it insured", NOW + 2).await;
    assert!(store.record_unanswered(unanswered(&late, &ours.id, Some((&shipping.id, 25)))).await.expect("record"));
    let listed = store.list_unanswered(&ours.id, None, 10).await.expect("list");
    assert_eq!(texts(&listed), ["is it insured", "where is my parcel"]);
    assert_eq!(listed[0].closest_article_id, None);

    // A conversation deleted takes its questions; one deleted while the bot decided is
    // not recorded.
    let gone = ask(h, &deleted, "do you deliver on saturdays", NOW + 3).await;
    store.record_unanswered(unanswered(&gone, &ours.id, None)).await.expect("record");
    assert_eq!(store.list_unanswered(&ours.id, None, 10).await.expect("list").len(), 3);
    h.execute(&format!("DELETE FROM conversations WHERE id = '{}'", deleted.id)).await;
    assert_eq!(
        texts(&store.list_unanswered(&ours.id, None, 10).await.expect("list")),
        ["is it insured", "where is my parcel"]
    );
    let recorded = store.record_unanswered(unanswered(&gone, &ours.id, None)).await.expect("record a deleted message");
    assert!(!recorded, "its message is gone");
    assert_eq!(store.list_unanswered(&ours.id, None, 10).await.expect("list").len(), 2);
}
