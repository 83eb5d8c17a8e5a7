use concierge_store::{Article, ArticleChange, Error, LlmRecord, NewArticle, Store, StoredEmbedding};

use super::support::{bot, Harness, NOW};

pub const NOT_ASKED: &Vec<String> = &Vec::new();

fn article<'a>(bot_id: &'a str, title: &'a str, now: i64) -> NewArticle<'a> {
    NewArticle { bot_id, title, body: "Refunds take 5 to 10 business days.", asked_as: NOT_ASKED, at_most: 1_000, now }
}

fn change<'a>(title: &'a str, body: &'a str, asked_as: Option<&'a Vec<String>>, now: i64) -> ArticleChange<'a> {
    ArticleChange { title, body, asked_as, shown: None, max_asked_as: 50, now }
}

pub async fn revision(store: &dyn Store, bot_id: &str) -> i64 {
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
    assert_eq!(refunds.asked_as, Vec::<String>::new());
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

    let asked_as = vec!["can I send it back?".to_owned(), "money back".to_owned()];
    let updated = store
        .update_article(&refunds.id, change("Refunds and returns", "Within 30 days.", Some(&asked_as), NOW + 3))
        .await
        .expect("update")
        .expect("the article exists");
    let expected = Article {
        title: "Refunds and returns".to_owned(),
        body: "Within 30 days.".to_owned(),
        asked_as: asked_as.clone(),
        updated_at: NOW + 3,
        ..refunds
    };
    assert_eq!(updated, expected);
    assert_eq!(store.get_article(&updated.id).await.expect("get"), Some(updated.clone()));
    assert_eq!(revision(store, &ours.id).await, 3);
    // A change that does not name the ways the article is asked keeps them.
    let updated = store
        .update_article(&updated.id, change("Refunds and returns", "Within 60 days.", None, NOW + 4))
        .await
        .expect("update")
        .expect("the article exists");
    assert_eq!((updated.body.as_str(), &updated.asked_as), ("Within 60 days.", &asked_as));
    assert_eq!(store.get_article(&updated.id).await.expect("get"), Some(updated.clone()));
    assert_eq!(revision(store, &ours.id).await, 4);

    assert!(store.delete_article(&shipping.id).await.expect("delete"));
    assert_eq!(store.get_article(&shipping.id).await.expect("get"), None);
    assert_eq!(store.list_articles(&ours.id).await.expect("list"), std::slice::from_ref(&updated));
    assert_eq!(revision(store, &ours.id).await, 5);
    assert_eq!(revision(store, &theirs.id).await, 1);

    // A writer that says which ways it was shown keeps those the article gained since, and
    // not one it removed; past the most an article takes, nothing is written.
    let shown = vec!["can I send it back?".to_owned(), "money back".to_owned()];
    let written = vec!["Money back".to_owned(), "refund please".to_owned()];
    let gained_since =
        ArticleChange { shown: Some(&shown), ..change("Refunds", "Within 60 days.", Some(&written), NOW + 5) };
    store
        .update_article(
            &updated.id,
            change(
                "Refunds",
                "Within 60 days.",
                Some(&vec!["can I send it back?".to_owned(), "money back".to_owned(), "taught meanwhile".to_owned()]),
                NOW + 4,
            ),
        )
        .await
        .expect("update")
        .expect("the article exists");
    let too_many = ArticleChange { max_asked_as: 2, ..gained_since };
    let err = store.update_article(&updated.id, too_many).await.expect_err("three ways, at most two");
    assert!(matches!(err, Error::Conflict("asked_as")), "{err:?}");
    let merged = store.update_article(&updated.id, gained_since).await.expect("update").expect("the article exists");
    assert_eq!(merged.asked_as, ["Money back", "refund please", "taught meanwhile"]);
    assert_eq!(revision(store, &ours.id).await, 7);

    // Writes that find no article change nothing, the revision included.
    assert!(!store.delete_article(&shipping.id).await.expect("delete again"));
    assert_eq!(store.update_article(&shipping.id, change("t", "b", None, NOW + 5)).await.expect("update"), None);
    assert_eq!(revision(store, &ours.id).await, 7);

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

/// Two instances adding articles to a bot near its cap at once: the cap holds, and each
/// refused write leaves nothing behind.
pub async fn concurrent_article_writes_stop_at_the_cap(h: &Harness) {
    let bot = bot(h.store.as_ref()).await;
    let writes = h
        .race(12, |store, i| {
            let bot_id = bot.id.clone();
            async move {
                let title = format!("Article {i}");
                store.create_article(NewArticle { at_most: 5, ..article(&bot_id, &title, NOW) }).await
            }
        })
        .await;
    let (written, refused): (Vec<_>, Vec<_>) = writes.into_iter().partition(Result::is_ok);
    assert_eq!((written.len(), refused.len()), (5, 7));
    for refused in refused {
        assert!(matches!(refused, Err(Error::Conflict("article_limit"))), "{refused:?}");
    }
    assert_eq!(h.store.list_articles(&bot.id).await.expect("list").len(), 5);
    assert_eq!(revision(h.store.as_ref(), &bot.id).await, 5, "a refused write does not bump the revision");
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

const MINILM: &str = "all-MiniLM-L6-v2";
const MPNET: &str = "all-mpnet-base-v2";

/// The embedding of `values` as the caller stores it, little-endian f32s.
fn embedding(article_id: &str, content_hash: &str, values: &[f32]) -> StoredEmbedding {
    StoredEmbedding {
        article_id: article_id.to_owned(),
        content_hash: content_hash.to_owned(),
        vector: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
    }
}

/// Puts the article's row back behind the store's back, with its old id: an embedding that
/// outlived the article, or was written for it while it was gone, would show again.
async fn restore(h: &Harness, bot_id: &str, article_id: &str) {
    h.execute(&format!(
        "INSERT INTO articles (id, bot_id, title, body, created_at, updated_at)
         VALUES ('{article_id}', '{bot_id}', 't', 'b', 1, 1)"
    ))
    .await;
}

pub async fn article_embeddings_round_trip_per_bot_and_model(h: &Harness) {
    let store = h.store.as_ref();
    let ours = bot(store).await;
    let theirs = bot(store).await;
    let refunds = store.create_article(article(&ours.id, "Refunds", NOW)).await.expect("create");
    let shipping = store.create_article(article(&ours.id, "Shipping", NOW)).await.expect("create");
    let returns = store.create_article(article(&ours.id, "Returns", NOW)).await.expect("create");
    let elsewhere = store.create_article(article(&theirs.id, "Elsewhere", NOW)).await.expect("create");
    assert_eq!(store.article_embeddings(&ours.id, MINILM).await.expect("read"), []);
    let (ours_before, theirs_before) = (revision(store, &ours.id).await, revision(store, &theirs.id).await);

    // Every byte as given: NaN, infinities, -0.0, zero bytes and bytes that are not UTF-8.
    let odd = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0, 0.0, f32::MIN_POSITIVE, 1.0e-45, -1.5];
    let refunds_vector = embedding(&refunds.id, "hash-refunds", &odd);
    let shipping_vector = embedding(&shipping.id, "hash-shipping", &[0.25; 384]);
    assert!(store.put_article_embedding(MINILM, &shipping_vector).await.expect("put"));
    assert!(store.put_article_embedding(MINILM, &refunds_vector).await.expect("put"));
    assert!(store
        .put_article_embedding(MPNET, &embedding(&returns.id, "hash-returns", &[1.0; 768]))
        .await
        .expect("put"));
    let elsewhere_vector = embedding(&elsewhere.id, "hash-elsewhere", &[0.5; 384]);
    assert!(store.put_article_embedding(MINILM, &elsewhere_vector).await.expect("put"));

    let read = store.article_embeddings(&ours.id, MINILM).await.expect("read");
    assert_eq!(read, [refunds_vector, shipping_vector], "in the order articles are listed, by one model");
    assert_eq!(store.article_embeddings(&theirs.id, MINILM).await.expect("read"), [elsewhere_vector]);
    assert_eq!(store.article_embeddings(&ours.id, MPNET).await.expect("read").len(), 1);
    assert_eq!(store.article_embeddings(&ours.id, "another-model").await.expect("read"), []);
    assert_eq!(store.article_embeddings("no-such-bot", MINILM).await.expect("read"), []);

    // The text did not change, so the search index built from it need not be rebuilt.
    assert_eq!(revision(store, &ours.id).await, ours_before);
    assert_eq!(revision(store, &theirs.id).await, theirs_before);
}

/// One embedding per article: a new text's or a new model's replaces the old one.
pub async fn a_new_article_embedding_replaces_the_old(h: &Harness) {
    let store = h.store.as_ref();
    let ours = bot(store).await;
    let refunds = store.create_article(article(&ours.id, "Refunds", NOW)).await.expect("create");
    let before = revision(store, &ours.id).await;
    assert!(store.put_article_embedding(MINILM, &embedding(&refunds.id, "old-text", &[1.0, 2.0])).await.expect("put"));

    let new_text = embedding(&refunds.id, "new-text", &[3.0, 4.0, 5.0]);
    assert!(store.put_article_embedding(MINILM, &new_text).await.expect("put the new text's"));
    assert_eq!(store.article_embeddings(&ours.id, MINILM).await.expect("read"), std::slice::from_ref(&new_text));

    let new_model = embedding(&refunds.id, "new-text", &[6.0]);
    assert!(store.put_article_embedding(MPNET, &new_model).await.expect("put the new model's"));
    assert_eq!(store.article_embeddings(&ours.id, MPNET).await.expect("read"), [new_model]);
    assert_eq!(store.article_embeddings(&ours.id, MINILM).await.expect("read"), [], "the old model's is gone");

    // Putting the same one again is no conflict either.
    assert!(store.put_article_embedding(MINILM, &new_text).await.expect("put"));
    assert!(store.put_article_embedding(MINILM, &new_text).await.expect("put again"));
    assert_eq!(store.article_embeddings(&ours.id, MINILM).await.expect("read"), [new_text]);
    assert_eq!(revision(store, &ours.id).await, before);
}

/// An embedding made while its article was deleted is dropped without an error, and
/// deleting an article takes its embedding along.
pub async fn article_embeddings_go_with_their_article(h: &Harness) {
    let store = h.store.as_ref();
    let ours = bot(store).await;
    let refunds = store.create_article(article(&ours.id, "Refunds", NOW)).await.expect("create");
    let shipping = store.create_article(article(&ours.id, "Shipping", NOW)).await.expect("create");
    let shipping_vector = embedding(&shipping.id, "hash-shipping", &[0.5; 4]);
    assert!(store.put_article_embedding(MINILM, &shipping_vector).await.expect("put"));

    assert!(store.delete_article(&refunds.id).await.expect("delete"));
    let before = revision(store, &ours.id).await;
    let late = embedding(&refunds.id, "hash-refunds", &[1.0; 4]);
    assert!(!store.put_article_embedding(MINILM, &late).await.expect("put for a deleted article"));
    let never = embedding("no-such-article", "hash", &[1.0; 4]);
    assert!(!store.put_article_embedding(MINILM, &never).await.expect("put for an unknown article"));
    assert_eq!(revision(store, &ours.id).await, before);
    restore(h, &ours.id, &refunds.id).await;
    assert_eq!(store.article_embeddings(&ours.id, MINILM).await.expect("read"), [shipping_vector], "nothing written");

    assert!(store.delete_article(&shipping.id).await.expect("delete"));
    assert_eq!(store.article_embeddings(&ours.id, MINILM).await.expect("read"), []);
    restore(h, &ours.id, &shipping.id).await;
    assert_eq!(store.article_embeddings(&ours.id, MINILM).await.expect("read"), [], "the embedding went with it");
}

/// Two instances, one embedding each article anew while the other deletes it: each put
/// either lands before the delete (which takes it along) or answers `false`, never an error.
pub async fn article_embeddings_race_their_articles_deletion(h: &Harness) {
    let store = h.store.as_ref();
    let ours = bot(store).await;
    let mut ids = Vec::new();
    for i in 0..10 {
        let created = store.create_article(article(&ours.id, &format!("Article {i}"), NOW)).await.expect("create");
        assert!(store.put_article_embedding(MINILM, &embedding(&created.id, "old", &[1.0; 4])).await.expect("put"));
        ids.push(created.id);
    }

    let outcomes = h
        .race(20, |store, i| {
            let article_id = ids[usize::try_from(i / 2).expect("small")].clone();
            async move {
                if i % 2 == 0 {
                    store.put_article_embedding(MPNET, &embedding(&article_id, "new", &[2.0; 4])).await
                } else {
                    store.delete_article(&article_id).await
                }
            }
        })
        .await;
    for (i, outcome) in outcomes.into_iter().enumerate() {
        let done = outcome.expect("no error either way");
        assert!(done || i % 2 == 0, "every delete finds its article");
    }
    assert_eq!(store.list_articles(&ours.id).await.expect("list"), []);
    for article_id in &ids {
        restore(h, &ours.id, article_id).await;
    }
    for model in [MINILM, MPNET] {
        assert_eq!(
            store.article_embeddings(&ours.id, model).await.expect("read"),
            [],
            "{model}: none outlived its article"
        );
    }
}
