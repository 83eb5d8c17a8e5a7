//! The ways an article is asked (`Article::asked_as`): found, judged as questions, kept
//! apart from one another and from the bodies.

use super::*;

fn ssl_articles(asked_as: &[&str]) -> Vec<Article> {
    vec![
        Article {
            asked_as: asked_as.iter().map(|a| (*a).to_owned()).collect(),
            ..article(
                "ssl",
                "Free SSL certificates",
                "Every domain on our hosting gets a certificate from Let's Encrypt, renewed automatically. Turn on \
                 HTTPS under Domains > Security.",
            )
        },
        article("dns", "Pointing your domain", "Set your domain's name servers to ours; changes take up to a day."),
        article("browsers", "Supported browsers", "The control panel works in the latest Chrome, Firefox and Safari."),
    ]
}

#[test]
fn a_question_asked_as_the_operator_taught_finds_its_article() {
    let question = "chrome says my site is not secure";
    // The article's own words and the visitor's differ: the browsers article, on "chrome".
    let before = KnowledgeIndex::build(&ssl_articles(&[])).expect("an index");
    assert_ne!(first(&before, question).map(|h| h.article_id), Some("ssl".to_owned()));

    let index =
        KnowledgeIndex::build(&ssl_articles(&["padlock is missing", "my site says not secure"])).expect("an index");
    let best = first(&index, question).expect("a match");
    assert_eq!(best.article_id, "ssl");
    // "chrome" is what another article is about, and the way of asking lacks it.
    assert!((0.35..0.75).contains(&best.lexical), "most of the question is the way it was taught: {best:?}");
    // It is about the whole article, through its second way of being asked.
    assert_eq!((best.passage, best.asked_as), (None, Some(1)));
    let reading = index.reading(question);
    let found: Vec<&str> = index.words_found(&reading, "ssl").iter().map(|(w, _)| w.word.as_str()).collect();
    assert_eq!(found, ["says", "site", "secure"]);
    // A question the body answers still finds the body.
    let renewed = first(&index, "is the certificate renewed automatically").expect("a match");
    assert_eq!((renewed.article_id.as_str(), renewed.asked_as), ("ssl", None));
}

#[test]
fn the_ways_an_article_is_asked_do_not_mix() {
    // "padlock" is in one way and "secure" in another: a question with both words has each
    // in a way of its own, never together, as it would in one way saying both.
    let question = "is the padlock secure";
    let apart = KnowledgeIndex::build(&ssl_articles(&["padlock is missing", "site not secure"])).expect("an index");
    let together = KnowledgeIndex::build(&ssl_articles(&["padlock is missing site not secure"])).expect("an index");
    let (apart, together) = (first(&apart, question).expect("a match"), first(&together, question).expect("a match"));
    assert_eq!((apart.article_id.as_str(), together.article_id.as_str()), ("ssl", "ssl"));
    assert!(
        apart.lexical < together.lexical,
        "judged on its best way, not on every way at once: {apart:?} {together:?}"
    );
}

#[test]
fn the_ways_an_article_is_asked_are_compared_in_meaning_too() {
    let articles = ssl_articles(&["site not secure"]);
    assert_eq!(crate::semantic::texts_of(&articles[0]).len(), 2, "one text for the body, one for the way");
    assert_eq!(crate::semantic::texts_of(&articles[0])[1], "Free SSL certificates\n\nsite not secure");
    // The body along one axis, the way it is asked along another.
    let vectors = vec![Some([towards(1.0, 0.0, 0.0), towards(0.0, 1.0, 0.0)].concat()), None, None];
    let index = KnowledgeIndex::build(&articles).expect("an index").with_vectors(vectors, hybrid::Scale::REFERENCE);
    let hits = index.search_with("a warning about my website in the browser", Some(&towards(0.0, 1.0, 0.1)), 1);
    assert_eq!((hits[0].article_id.as_str(), hits[0].passage, hits[0].asked_as), ("ssl", None, Some(0)), "{hits:?}");
    assert!(hits[0].semantic.is_some_and(|c| c > 0.99), "{hits:?}");
}

#[test]
fn everyday_words_alone_do_not_make_a_way_of_asking_match() {
    let mut articles = support_articles();
    articles[2].asked_as = vec!["how long do refunds take".to_owned()];
    let index = KnowledgeIndex::build(&articles).expect("an index");
    assert_eq!(
        first(&index, "how long do refunds take?").map(|h| (h.article_id, h.asked_as)),
        Some(("refunds".to_owned(), Some(0)))
    );
    // The same shape, about something else: "shipping" is what the articles are about, and
    // the way of asking lacks it.
    let shipping = first(&index, "how long does shipping take?").expect("a match");
    assert_eq!(shipping.article_id, "shipping", "{shipping:?}");
    let refunds = index.search("how long does shipping take?", 6).into_iter().find(|h| h.article_id == "refunds");
    assert!(refunds.as_ref().is_none_or(|h| h.lexical < 0.35), "{refunds:?}");
    // One everyday word of it is no question it answers.
    assert!(first(&index, "how long?").is_none_or(|h| h.confidence < 0.35));
}

#[test]
fn a_way_of_asking_changes_nothing_in_how_the_bodies_are_judged() {
    let question = "the password reset link expired yesterday";
    let before = first(&index(), question).expect("a match");
    let mut articles = support_articles();
    articles[2].asked_as = vec!["password reset and my money back".to_owned(), "link to a refund".to_owned()];
    let after = KnowledgeIndex::build(&articles).expect("an index");
    let hits = after.search(question, 6);
    let password = hits.iter().find(|h| h.article_id == "password").expect("the password article");
    assert_eq!((before.article_id.as_str(), before.lexical), ("password", password.lexical), "{hits:?}");
}

#[test]
fn a_slip_taught_with_a_way_reads_as_the_question_asked_again_and_corrects_nothing_else() {
    let mut articles = support_articles();
    // The visitor's slips, taught as they were written: the question asked again is read as
    // "tracking number", words of the shipping article, and so is the way.
    articles[3].asked_as = vec!["when do i get my trackng numbr".to_owned()];
    let index = KnowledgeIndex::build(&articles).expect("an index");
    let again = first(&index, "when do i get my trackng numbr").expect("a match");
    assert_eq!((again.article_id.as_str(), again.asked_as), ("shipping", Some(0)), "{again:?}");
    assert!(again.lexical > 0.9, "the same question asked again: {again:?}");
    // A slip in a way is no word to read other questions by: "numbra" is one letter from
    // "numbr", two from "number".
    assert_eq!(index.reading("my invoice numbra").text, "my invoice numbra");
}
