use concierge_store::{
    AnswerWithArticle, AnsweredWith, Article, Conversation, Message, NewArticle, NewUnansweredQuestion,
    UnansweredQuestion,
};

use super::knowledge::{revision, NOT_ASKED};
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

async fn article(h: &Harness, bot_id: &str, title: &str, body: &str) -> Article {
    let new = NewArticle { bot_id, title, body, asked_as: NOT_ASKED, at_most: 1_000, now: NOW };
    h.store.create_article(new).await.expect("create an article")
}

fn texts(questions: &[UnansweredQuestion]) -> Vec<&str> {
    questions.iter().map(|q| q.text.as_str()).collect()
}

pub async fn unanswered_questions_are_listed_newest_first_and_dismissed(h: &Harness) {
    let store = h.store.as_ref();
    let ours = bot(store).await;
    let theirs = bot(store).await;
    let ada = contact(store, &ours.id, "ada@example.com").await;
    let refunds = article(h, &ours.id, "Refunds", "Within 30 days.").await;
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
    let shipping = article(h, &ours.id, "Shipping", "3 to 5 days.").await;
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

fn answer<'a>(bot_id: &'a str, question: &'a Message, article_id: &'a str, max: usize) -> AnswerWithArticle<'a> {
    AnswerWithArticle {
        bot_id,
        message_seq: question.seq,
        article_id,
        asked_as: &question.text,
        max_asked_as: max,
        now: question.created_at + 1_000,
    }
}

pub async fn an_unanswered_question_answered_with_an_article_is_how_it_is_asked(h: &Harness) {
    let store = h.store.as_ref();
    let ours = bot(store).await;
    let theirs = bot(store).await;
    let gift_cards = article(h, &ours.id, "Gift cards", "From 10 to 200 euros.").await;
    let elsewhere = article(h, &theirs.id, "Elsewhere", "Not ours.").await;
    let chat = conversation(h, &ours.id, None, "a").await;
    let sell = ask(h, &chat, "Do you sell gift cards?", NOW + 1).await;
    let again = ask(h, &chat, "do you sell GIFT cards?", NOW + 2).await;
    let vouchers = ask(h, &chat, "any vouchers for a present", NOW + 3).await;
    for question in [&sell, &again, &vouchers] {
        store.record_unanswered(unanswered(question, &ours.id, None)).await.expect("record");
    }
    let before = revision(store, &ours.id).await;

    // Another bot's article, or none: nothing changes.
    for article_id in [elsewhere.id.as_str(), "no-such-article"] {
        let refused = store.answer_with_article(answer(&ours.id, &sell, article_id, 50)).await.expect("answer");
        assert_eq!(refused, AnsweredWith::ArticleNotFound);
    }
    assert_eq!(store.count_unanswered(&ours.id).await.expect("count"), 3, "the question is still there");
    assert_eq!(revision(store, &ours.id).await, before);
    // Through another bot: no such question.
    let refused = store.answer_with_article(answer(&theirs.id, &sell, &elsewhere.id, 50)).await.expect("answer");
    assert_eq!(refused, AnsweredWith::QuestionNotFound);

    // The question becomes a way the article is asked, and leaves the list, at once.
    let AnsweredWith::Article(taught) =
        store.answer_with_article(answer(&ours.id, &sell, &gift_cards.id, 50)).await.expect("answer")
    else {
        panic!("the question is answered with the article");
    };
    assert_eq!(taught.asked_as, ["Do you sell gift cards?"]);
    assert_eq!(taught.updated_at, sell.created_at + 1_000);
    assert_eq!(store.get_article(&gift_cards.id).await.expect("get"), Some(taught.clone()));
    assert_eq!(revision(store, &ours.id).await, before + 1, "the bot reads its knowledge again");
    assert_eq!(
        texts(&store.list_unanswered(&ours.id, None, 10).await.expect("list")),
        ["any vouchers for a present", "do you sell GIFT cards?"]
    );
    let twice = store.answer_with_article(answer(&ours.id, &sell, &gift_cards.id, 50)).await.expect("answer");
    assert_eq!(twice, AnsweredWith::QuestionNotFound);

    // The same words again, but for case: dismissed, the article as it was.
    let same = store.answer_with_article(answer(&ours.id, &again, &gift_cards.id, 50)).await.expect("answer");
    assert_eq!(same, AnsweredWith::Article(taught.clone()));
    assert_eq!(revision(store, &ours.id).await, before + 1);
    assert_eq!(texts(&store.list_unanswered(&ours.id, None, 10).await.expect("list")), ["any vouchers for a present"]);

    // An article asked in as many ways as it may be takes no more, and the question stays.
    let full = store.answer_with_article(answer(&ours.id, &vouchers, &gift_cards.id, 1)).await.expect("answer");
    assert_eq!(full, AnsweredWith::Full);
    assert_eq!(store.count_unanswered(&ours.id).await.expect("count"), 1);
    assert_eq!(store.get_article(&gift_cards.id).await.expect("get"), Some(taught));
}

/// Two operators (on two instances) answering questions with one article at once: every
/// question is kept as a way it is asked, none overwrites another.
pub async fn questions_answered_with_one_article_at_once_all_stay(h: &Harness) {
    let store = h.store.as_ref();
    let ours = bot(store).await;
    let shipping = article(h, &ours.id, "Shipping", "3 to 5 days.").await;
    let chat = conversation(h, &ours.id, None, "a").await;
    let mut questions = Vec::new();
    for i in 0..12 {
        let question = ask(h, &chat, &format!("where is parcel number {i}"), NOW + i).await;
        store.record_unanswered(unanswered(&question, &ours.id, None)).await.expect("record");
        questions.push(question);
    }
    let answered = h
        .race(12, |store, i| {
            let (bot_id, article_id) = (ours.id.clone(), shipping.id.clone());
            let question = questions[i as usize].clone();
            async move { store.answer_with_article(answer(&bot_id, &question, &article_id, 50)).await }
        })
        .await;
    for done in answered {
        assert!(matches!(done.expect("answer"), AnsweredWith::Article(_)));
    }
    let mut asked_as = store.get_article(&shipping.id).await.expect("get").expect("the article").asked_as;
    asked_as.sort();
    let mut expected: Vec<String> = questions.iter().map(|q| q.text.clone()).collect();
    expected.sort();
    assert_eq!(asked_as, expected);
    assert_eq!(store.count_unanswered(&ours.id).await.expect("count"), 0);
}

/// An operator answers a question with its closest article while a colleague, on another
/// instance, deletes that article: each answer lands before the deletion or finds no
/// article, and the question is listed accordingly. (Both lock the article before the
/// question, so they cannot deadlock; the race rarely interleaves finely enough to show a
/// deadlock, so this checks the outcomes, not the lock order.)
pub async fn answering_with_an_article_races_its_deletion(h: &Harness) {
    let store = h.store.as_ref();
    let ours = bot(store).await;
    let chat = conversation(h, &ours.id, None, "a").await;
    for round in 0..8 {
        let shipping = article(h, &ours.id, "Shipping", "3 to 5 days.").await;
        let question = ask(h, &chat, &format!("where is parcel {round}"), NOW + round).await;
        store.record_unanswered(unanswered(&question, &ours.id, Some((&shipping.id, 20)))).await.expect("record");
        let outcomes = h
            .race(2, |store, i| {
                let (bot_id, article_id, question) = (ours.id.clone(), shipping.id.clone(), question.clone());
                async move {
                    if i == 0 {
                        match store.answer_with_article(answer(&bot_id, &question, &article_id, 50)).await {
                            Ok(AnsweredWith::Article(_)) => Ok("answered"),
                            Ok(AnsweredWith::ArticleNotFound) => Ok("article gone"),
                            Ok(other) => Ok(if other == AnsweredWith::Full { "full" } else { "question gone" }),
                            Err(e) => Err(e),
                        }
                    } else {
                        store.delete_article(&article_id).await.map(|_| "deleted")
                    }
                }
            })
            .await;
        let outcomes: Vec<&str> = outcomes.into_iter().map(|o| o.expect("no failure, no deadlock")).collect();
        let listed = store.list_unanswered(&ours.id, None, 50).await.expect("list");
        match outcomes[0] {
            "answered" => assert!(listed.iter().all(|q| q.message_seq != question.seq), "answered: off the list"),
            "article gone" => {
                let kept = listed.iter().find(|q| q.message_seq == question.seq).expect("still to answer");
                assert_eq!(kept.closest_article_id, None, "its closest article is gone");
            }
            other => panic!("round {round}: {other}"),
        }
        assert_eq!(outcomes[1], "deleted");
        assert_eq!(store.get_article(&shipping.id).await.expect("get"), None);
    }
}
