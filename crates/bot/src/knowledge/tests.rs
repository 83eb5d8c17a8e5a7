use super::*;

fn article(id: &str, title: &str, body: &str) -> Article {
    Article { id: id.to_owned(), title: title.to_owned(), body: body.to_owned(), asked_as: Vec::new() }
}

fn support_articles() -> Vec<Article> {
    vec![
        article(
            "password",
            "Resetting your password",
            "Forgot your password? On the sign-in page choose 'Forgot password', enter the email address of your \
             account and follow the link we send you. The link expires after one hour.",
        ),
        article(
            "invoices",
            "Billing and invoices",
            "Invoices are issued on the first day of every month. Download past invoices from Settings > Billing. \
             To change the billing address or VAT number, edit the billing profile.",
        ),
        article(
            "refunds",
            "Refund policy",
            "We refund annual plans within 30 days of purchase. A refund is paid back to the original card and \
             takes five to ten business days to appear.",
        ),
        article(
            "shipping",
            "Shipping times and tracking",
            "Orders ship within two business days. Every parcel has a tracking number, which we email once the \
             courier collects it. International delivery takes up to two weeks.",
        ),
        article(
            "sso",
            "Single sign-on (SSO) with SAML",
            "Enterprise workspaces can require single sign-on through any SAML 2.0 identity provider such as Okta \
             or Azure AD. Upload the metadata XML under Settings > Security.",
        ),
        article(
            "api-keys",
            "Creating and rotating API keys",
            "Create an API key under Settings > Developers. Keys are shown once; store them safely. Rotate a key \
             by creating a new one and revoking the old key.",
        ),
    ]
}

fn index() -> KnowledgeIndex {
    KnowledgeIndex::build(&support_articles()).expect("an index")
}

fn first(index: &KnowledgeIndex, question: &str) -> Option<Hit> {
    index.search(question, 3).into_iter().next()
}

#[test]
fn the_right_article_ranks_first() {
    let index = index();
    for (question, expected) in [
        ("How do I reset my password?", "password"),
        ("Where can I download my invoice?", "invoices"),
        ("Can I get my money back? I want a refund", "refunds"),
        ("When will my order ship, and is there tracking?", "shipping"),
        ("Do you support SAML single sign-on with Okta?", "sso"),
        ("how to rotate an api key", "api-keys"),
    ] {
        let hit = first(&index, question).unwrap_or_else(|| panic!("no hit for {question:?}"));
        assert_eq!(hit.article_id, expected, "{question}");
    }
}

#[test]
fn hits_are_best_first_and_limited() {
    let hits = index().search("billing invoices refund shipping key password", 2);
    assert_eq!(hits.len(), 2);
    assert!(hits[0].score >= hits[1].score, "{hits:?}");
    assert!(index().search("password", 0).is_empty());
}

#[test]
fn stemming_matches_other_forms_of_a_word() {
    let index = index();
    for question in ["refunds", "refunded", "Refunding"] {
        assert_eq!(first(&index, question).map(|h| h.article_id).as_deref(), Some("refunds"), "{question}");
    }
}

#[test]
fn a_question_of_only_stop_words_finds_nothing() {
    assert!(index().search("How do I do this? What is it?", 5).is_empty());
    assert!(index().search("", 5).is_empty());
    assert!(index().search("?!  ...", 5).is_empty());
}

#[test]
fn query_syntax_characters_are_just_words() {
    let index = index();
    for question in [
        "\"password",
        "password: AND OR NOT (reset",
        "title:password^10 body:[a TO z]",
        "reset* ~password! {}[]()<>+-&&||\\/",
        "password'; DROP TABLE articles; --",
    ] {
        assert_eq!(first(&index, question).map(|h| h.article_id).as_deref(), Some("password"), "{question}");
    }
    assert!(index.search(":::\"\"\"(((", 5).is_empty());
}

#[test]
fn confidence_is_high_for_a_good_match_and_low_for_an_unrelated_question() {
    let index = index();
    let good = first(&index, "How do I reset my password?").expect("a hit");
    assert!(good.confidence > 0.95, "{good:?}");

    assert!(index.search("what's the weather on Mars", 5).is_empty());
    // "account" is in the password article, the rest is nowhere.
    let weak = index.search("Is my account covered by the hurricane insurance clause?", 5);
    assert!(weak.iter().all(|h| h.confidence < 0.4), "{weak:?}");
    assert!(weak.iter().all(|h| (0.0..=1.0).contains(&h.confidence)), "{weak:?}");
}

#[test]
fn one_unknown_word_does_not_sink_a_covered_question() {
    let index = index();
    let hit = first(&index, "I forgot my password, what now?").expect("a hit");
    assert_eq!(hit.article_id, "password");
    assert!(hit.confidence >= 0.35, "{hit:?}");
}

#[test]
fn a_term_in_every_article_weighs_less_than_a_rare_one() {
    let articles = [
        article("a", "Widget setup", "Install the widget snippet."),
        article("b", "Widget colours", "Pick the widget colour."),
        article("c", "Widget languages", "Translate the widget."),
    ];
    let index = KnowledgeIndex::build(&articles).expect("an index");
    let hits = index.search("widget snippet", 3);
    assert_eq!(hits[0].article_id, "a");
    assert!((hits[0].confidence - 1.0).abs() < 1e-6, "{hits:?}");
    assert!(hits[1].confidence < 0.5, "{hits:?}");
}

#[test]
fn an_empty_index_answers_nothing() {
    let index = KnowledgeIndex::build(&[]).expect("an index");
    assert!(index.search("How do I reset my password?", 5).is_empty());
}

#[test]
fn the_index_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<KnowledgeIndex>();
}

#[test]
fn an_article_that_covers_the_question_beats_one_that_repeats_one_of_its_words() {
    let index = KnowledgeIndex::build(&[
        article("tracking", "Track your order", "Once your order ships we email a tracking link for the order."),
        article("times", "Shipping times", "Orders ship within two days. Delivery then takes three to five days."),
    ])
    .expect("an index");
    let hits = index.search("when will my order arrive", 2);
    assert_eq!(hits[0].article_id, "times", "{hits:?}");
    assert!(hits[0].confidence > hits[1].confidence, "{hits:?}");
}

#[test]
fn the_wordings_support_people_use_for_one_thing_find_each_other() {
    let index = index();
    for (question, expected) in [
        ("I want to return my annual plan", "refunds"),
        ("can't log in", "password"),
        ("how do I get my money back", "refunds"),
    ] {
        let hit = first(&index, question).unwrap_or_else(|| panic!("{question}: nothing found"));
        assert_eq!(hit.article_id, expected, "{question}: {hit:?}");
        assert!(hit.confidence >= 0.5, "{question}: {hit:?}");
    }
}

/// Made-up three-number vectors stand in for a model's: each axis one subject.
fn towards(x: f32, y: f32, z: f32) -> Vec<f32> {
    crate::semantic::normalize(vec![x, y, z])
}

fn index_with_meanings() -> KnowledgeIndex {
    let articles = vec![
        article("track", "Tracking your order", "We email you a tracking link as soon as your order ships."),
        article("refund", "Refunds", "Send the item back within 30 days and we refund the full price."),
        article("password", "Resetting your password", "Choose Forgot password on the sign-in page."),
    ];
    // The password article has no vector (its embedding could not be made).
    let vectors = vec![Some(towards(1.0, 0.0, 0.0)), Some(towards(0.0, 1.0, 0.0)), None];
    KnowledgeIndex::build(&articles).expect("an index").with_vectors(vectors, hybrid::Scale::REFERENCE)
}

#[test]
fn meaning_finds_an_article_that_shares_no_word_with_the_question() {
    let index = index_with_meanings();
    assert!(index.search("has it been sent out yet", 3).is_empty(), "no word in common");
    let hits = index.search_with("has it been sent out yet", Some(&towards(0.9, 0.1, 0.0)), 3);
    assert_eq!(hits[0].article_id, "track");
    assert_eq!(hits[0].lexical, 0.0);
    assert!(hits[0].semantic.is_some_and(|c| c > 0.95) && hits[0].confidence > 0.35, "{hits:?}");
    assert!(hits.iter().all(|h| h.article_id != "password"), "no word, no vector: no candidate: {hits:?}");
}

#[test]
fn an_article_without_a_vector_or_with_another_models_is_judged_on_its_words() {
    let index = index_with_meanings();
    let hits = index.search_with("how do I reset my password", Some(&towards(0.0, 0.0, 1.0)), 3);
    assert_eq!(hits[0].article_id, "password");
    assert_eq!((hits[0].semantic, hits[0].confidence), (None, hits[0].lexical));
    assert_eq!(hits[0].confidence, 1.0);
    let hits = index.search_with("how do I reset my password", Some(&[1.0, 0.0]), 3);
    assert!(hits.iter().all(|h| h.semantic.is_none() && h.confidence == h.lexical), "{hits:?}");
}

#[test]
fn a_question_close_to_nothing_finds_nothing() {
    let index = index_with_meanings();
    let hits = index.search_with("can you help me file my taxes in Portugal", Some(&towards(0.0, 0.0, 1.0)), 3);
    assert!(hits.is_empty(), "{hits:?}");
    // Words that match with a meaning that does not: the words alone weigh 0.4.
    let hits = index.search_with("refund", Some(&towards(0.0, 0.0, 1.0)), 3);
    assert_eq!(hits.iter().map(|h| h.article_id.as_str()).collect::<Vec<_>>(), ["refund"]);
    assert!((hits[0].confidence - 0.4).abs() < 1e-6, "{hits:?}");
}

#[test]
fn a_typo_in_the_subject_still_finds_its_article() {
    let index = index();
    let typed = first(&index, "how do I rotat my api keys").expect("a hit despite the typo");
    let spelt = first(&index, "how do I rotate my api keys").expect("a hit");
    assert_eq!(typed.article_id, "api-keys");
    assert_eq!(typed.lexical, spelt.lexical, "the slips cost nothing");
    let courier = first(&index, "does the courrier tip matter").map(|hit| hit.article_id);
    assert_eq!(courier.as_deref(), Some("shipping"));
    assert!(first(&index, "can I get a refunt").is_some_and(|hit| hit.article_id == "refunds"));
}

#[test]
fn the_reading_shows_what_was_compared_and_explains_the_confidence() {
    let index = index();
    let reading = index.reading("I want to RETURN my ordres, how do I get my money back?");
    assert_eq!(reading.text, "i want to refund my orders, how do i get my refund?", "synonyms and a typo read");
    let words: Vec<&str> = reading.words.iter().map(|w| w.word.as_str()).collect();
    assert_eq!(words, ["refund", "orders"], "stop words left out, a repeated word counted once");
    let total: f32 = reading.words.iter().map(|w| w.weight).sum();
    assert!((total - 1.0).abs() < 1e-5, "the shares make the whole question: {total}");

    assert!(reading.rewritten);
    // Each is in one article of six, so each is half the question, and each article that
    // has one of them scores that half.
    for word in &reading.words {
        assert!((word.weight - 0.5).abs() < 1e-5, "{word:?}");
    }
    let hits = index.search("I want to RETURN my ordres, how do I get my money back?", 6);
    let scored: Vec<(&str, f32)> = hits.iter().map(|h| (h.article_id.as_str(), h.lexical)).collect();
    assert_eq!(scored.len(), 2, "{scored:?}");
    assert!(scored.iter().all(|(_, lexical)| (lexical - 0.5).abs() < 1e-5), "{scored:?}");
    let refunds = index.words_found(&reading, "refunds");
    assert_eq!(refunds.iter().map(|(w, how)| (w.word.as_str(), *how)).collect::<Vec<_>>(), [("refund", Match::Itself)]);
    assert!(index.words_found(&reading, "no-such-article").is_empty());
}

#[test]
fn a_reading_without_articles_or_in_other_scripts_still_adds_up() {
    let empty = KnowledgeIndex::build(&[]).expect("an empty index");
    let reading = empty.reading("refund my order");
    assert_eq!(reading.words.iter().map(|w| w.weight).collect::<Vec<_>>(), [0.5, 0.5], "evenly: {reading:?}");
    assert!(!reading.rewritten);

    let reading = index().reading("Ünïcode Straße 🚀 résumé");
    let words: Vec<&str> = reading.words.iter().map(|w| w.word.as_str()).collect();
    assert_eq!(words, ["ünïcode", "straße", "résumé"], "{reading:?}");
    assert!(!reading.rewritten, "lower-casing is no rewriting");
}

#[test]
fn a_word_related_to_an_articles_title_counts_for_most_of_its_weight() {
    let index = KnowledgeIndex::build(&[
        article("instructor", "Become an instructor", "Apply to publish your own courses; we review it within a week."),
        article("gift", "Give a gift", "Buy a course for a friend or a teacher and we email them a code."),
        article("subtitles", "Subtitles and playback speed", "Turn them on from the CC button under the video."),
    ])
    .expect("an index");
    let question = "can i teach courses here?";
    let hits = index.search(question, 3);
    assert_eq!(hits.iter().map(|h| h.article_id.as_str()).collect::<Vec<_>>(), ["instructor", "gift"], "{hits:?}");
    let reading = index.reading(question);
    let found = index.words_found(&reading, "instructor");
    let how: Vec<(&str, Match)> = found.iter().map(|(w, how)| (w.word.as_str(), *how)).collect();
    assert_eq!(how, [("teach", Match::TitleRelative), ("courses", Match::Itself)]);
    let expected: f32 = found.iter().map(|(w, how)| w.weight * how.credit()).sum();
    assert!((hits[0].lexical - expected).abs() < 1e-5 && hits[0].lexical < 1.0, "teach at 80 %: {hits:?}");
    let gift = index.words_found(&reading, "gift");
    assert_eq!(
        gift.iter().map(|(w, _)| w.word.as_str()).collect::<Vec<_>>(),
        ["courses"],
        "a body's teacher is no title"
    );

    let captions = first(&index, "are there captions on the videos").expect("a hit");
    assert_eq!(captions.article_id, "subtitles", "{captions:?}");
    assert!(captions.lexical > first(&index, "are there emojis on the videos").map_or(0.0, |h| h.lexical));
}

#[test]
fn a_relative_alone_makes_no_answer() {
    let index = KnowledgeIndex::build(&[
        article("instructor", "Become an instructor", "Apply to publish your own courses."),
        article("card", "Freeze your card", "Tap Freeze in the app."),
    ])
    .expect("an index");
    assert!(index.search("can i teach here?", 3).is_empty(), "teach is only a relative of the title");
    let reading = index.reading("can i teach here?");
    assert!(index.words_found(&reading, "instructor").is_empty());
}

/// A help-centre article of several sections, as real ones are, beside short ones.
fn watch_articles() -> Vec<Article> {
    let pairing = "Before you start\n\
        Your phone needs iOS 15 or Android 9 or later. Charge the watch to at least 20 percent first: pairing \
        can fail when its battery is low. Wake the watch by pressing the side button, and a six-digit code \
        appears on its screen.\n\n\
        Pairing fails on Android\n\
        Android asks for extra permissions. Open Settings, then Apps, then Permissions, and allow Nearby \
        devices. Turn Bluetooth off and on again, restart the phone and try once more from the app. A blue \
        light blinks on the watch while it waits.\n\n\
        Move your watch to a new phone\n\
        Sign in on the new phone with the same account: your workouts and sleep history stay with it. If the \
        old phone is lost or broken, remove the watch under Profile and Devices on our website.\n\n\
        Smart notifications\n\
        The watch shows calls and messages while it is connected to your phone, and only those from the apps \
        you choose under Profile and Notifications. Turn them off at night with Do not disturb.";
    vec![
        article("pairing", "Pair your watch with your phone", pairing),
        article(
            "charging",
            "Charging your watch",
            "Clip the charger to the back of the watch. A full charge takes two hours.",
        ),
        article("refunds", "Refunds", "Return the watch within 30 days and we refund the full price to your card."),
    ]
}

#[test]
fn a_long_article_answers_with_its_section_not_with_words_scattered_over_it() {
    let index = KnowledgeIndex::build(&watch_articles()).expect("an index");
    // Every word but "alarm" is somewhere in the pairing article, each in another section:
    // no section is about this, and no article answers it.
    let scattered = "Is there a smart alarm that wakes me up in light sleep?";
    let best = first(&index, scattered).expect("the pairing article shares words");
    assert_eq!(best.article_id, "pairing");
    assert!(best.lexical < 0.35, "judged by its best section, not the whole: {best:?}");

    // A question that one section answers is judged on that section with the title.
    let question = "pairing keeps failing on my android phone";
    let best = first(&index, question).expect("a match");
    assert_eq!(best.article_id, "pairing");
    assert!(best.lexical >= 0.35, "answered: {best:?}");
    let reading = index.reading(question);
    let found: Vec<&str> = index.words_found(&reading, "pairing").iter().map(|(w, _)| w.word.as_str()).collect();
    assert_eq!(found, ["pairing", "failing", "android", "phone"]);
    // Both the first section and the one on Android have every word: the first of equals.
    assert_eq!(best.passage, Some(0));
    let permissions = first(&index, "which permissions does android want").expect("a match");
    assert_eq!((permissions.article_id.as_str(), permissions.passage), ("pairing", Some(1)), "the section on Android");
    let moving = first(&index, "I got a new phone, how do I move my watch to it").expect("a match");
    assert_eq!((moving.article_id.as_str(), moving.passage), ("pairing", Some(2)));
    // Its title has all of this question: it is about the whole article.
    let whole = first(&index, "how do I pair the watch with my phone").expect("a match");
    assert_eq!((whole.article_id.as_str(), whole.passage), ("pairing", None));
}

#[test]
fn the_passage_closest_in_meaning_answers_when_the_words_do_not_tell() {
    let mut articles = watch_articles();
    articles.truncate(1);
    // The four sections, each along its own axis; the question's words ("watch") are in the
    // title, so every section has them alike.
    let sections = [towards(1.0, 0.0, 0.0), towards(0.0, 1.0, 0.0), towards(0.0, 0.0, 1.0), towards(1.0, 1.0, 1.0)];
    let index = KnowledgeIndex::build(&articles)
        .expect("an index")
        .with_vectors(vec![Some(sections.concat())], hybrid::Scale::REFERENCE);
    let hits = index.search_with("my watch keeps buzzing", Some(&towards(0.9, 1.0, 1.0)), 1);
    assert_eq!((hits[0].article_id.as_str(), hits[0].passage), ("pairing", Some(3)), "{hits:?}");
    assert!(hits[0].semantic.is_some_and(|c| c > 0.99), "the article takes its closest passage's cosine: {hits:?}");
    // Without the question's vector, its words are all in the title: the whole article.
    assert_eq!(first(&index, "my watch keeps buzzing").map(|h| h.passage), Some(None), "its title has all its words");
}

mod asked;
