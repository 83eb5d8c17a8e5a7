use concierge_store::{Article, Error, LlmRecord, NewArticle, Store};

use super::support::{bot, Harness, NOW};

fn article<'a>(bot_id: &'a str, title: &'a str, now: i64) -> NewArticle<'a> {
    NewArticle { bot_id, title, body: "Refunds take 5 to 10 business days.", now }
}

async fn revision(store: &dyn Store, bot_id: &str) -> i64 {
    store.get_bot(bot_id).await.expect("get bot").expect("the bot exists").knowledge_revision
}

pub async fn articles_are_written_and_each_write_bumps_the_revision(h: &Harness) {
    let store = h.store.as_ref();
    let ours = bot(store).await;
    let theirs = bot(store).await;
    assert_eq!(revision(store, &ours.id).await, 0);

    let refunds = store.create_article(article(&ours.id, "Refunds", NOW)).await.expect("create");
    assert_eq!((refunds.bot_id.as_str(), refunds.title.as_str()), (ours.id.as_str(), "Refunds"));
    assert_eq!(refunds.body, "Refunds take 5 to 10 business days.");
    assert_eq!((refunds.created_at, refunds.updated_at), (NOW, NOW));
    assert_eq!(revision(store, &ours.id).await, 1);
    let shipping = store.create_article(article(&ours.id, "Shipping", NOW + 1)).await.expect("create");
    let elsewhere = store.create_article(article(&theirs.id, "Elsewhere", NOW + 2)).await.expect("create");
    assert_eq!(revision(store, &ours.id).await, 2);
    assert_eq!(revision(store, &theirs.id).await, 1, "another bot's articles bump only its own revision");

    assert_eq!(store.get_article(&refunds.id).await.expect("get"), Some(refunds.clone()));
    assert_eq!(store.list_articles(&ours.id).await.expect("list"), [refunds.clone(), shipping.clone()], "oldest first");
    assert_eq!(store.list_articles(&theirs.id).await.expect("list"), [elsewhere]);
    assert_eq!(store.list_articles("no-such-bot").await.expect("list"), []);

    let updated = store
        .update_article(&refunds.id, "Refunds and returns", "Within 30 days.", NOW + 3)
        .await
        .expect("update")
        .expect("the article exists");
    let expected = Article {
        title: "Refunds and returns".to_owned(),
        body: "Within 30 days.".to_owned(),
        updated_at: NOW + 3,
        ..refunds
    };
    assert_eq!(updated, expected);
    assert_eq!(store.get_article(&updated.id).await.expect("get"), Some(updated.clone()));
    assert_eq!(revision(store, &ours.id).await, 3);

    assert!(store.delete_article(&shipping.id).await.expect("delete"));
    assert_eq!(store.get_article(&shipping.id).await.expect("get"), None);
    assert_eq!(store.list_articles(&ours.id).await.expect("list"), [updated]);
    assert_eq!(revision(store, &ours.id).await, 4);
    assert_eq!(revision(store, &theirs.id).await, 1);

    // Writes that find no article change nothing, the revision included.
    assert!(!store.delete_article(&shipping.id).await.expect("delete again"));
    assert_eq!(store.update_article(&shipping.id, "t", "b", NOW + 4).await.expect("update"), None);
    assert_eq!(revision(store, &ours.id).await, 4);

    let err = store.create_article(article("no-such-bot", "Lost", NOW)).await.expect_err("no bot");
    assert!(matches!(err, Error::NotFound("bot")), "{err:?}");
}

/// Two instances writing articles of one bot at once: every write counts.
pub async fn concurrent_article_writes_all_bump_the_revision(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let writes = h
        .race(20, |store, i| {
            let bot_id = bot.id.clone();
            async move {
                let title = format!("Article {i}");
                store.create_article(article(&bot_id, &title, NOW)).await
            }
        })
        .await;
    for write in writes {
        write.expect("create");
    }
    assert_eq!(h.store.list_articles(&bot.id).await.expect("list").len(), 20);
    assert_eq!(revision(h.store.as_ref(), &bot.id).await, 20);
}

/// Bots are not deleted through the store yet; when one is, its knowledge base and its
/// language model settings go with it.
pub async fn articles_and_llm_settings_go_with_their_bot(h: &Harness) {
    let doomed = bot(h.store.as_ref()).await;
    let kept = bot(h.store.as_ref()).await;
    let gone = h.store.create_article(article(&doomed.id, "Gone", NOW)).await.expect("create");
    let stays = h.store.create_article(article(&kept.id, "Stays", NOW)).await.expect("create");
    let llm = LlmRecord {
        bot_id: doomed.id.clone(),
        enabled: true,
        base_url: "https://llm.example.com/v1".to_owned(),
        model: "m".to_owned(),
        api_key_sealed: None,
        timeout_ms: 1_000,
        instructions: String::new(),
        updated_at: NOW,
    };
    h.store.put_llm(&llm, false).await.expect("put llm");

    h.execute(&format!("DELETE FROM bots WHERE id = '{}'", doomed.id)).await;
    assert_eq!(h.store.get_article(&gone.id).await.expect("get"), None);
    assert_eq!(h.store.list_articles(&doomed.id).await.expect("list"), []);
    assert_eq!(h.store.get_llm(&doomed.id).await.expect("get llm"), None);
    assert_eq!(h.store.get_article(&stays.id).await.expect("get"), Some(stays));
}
