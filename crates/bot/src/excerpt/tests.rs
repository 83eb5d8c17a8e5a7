use concierge_domain::{Emphasis, StyleRange};

use super::*;

fn section(topic: &str, words: usize) -> String {
    format!("{topic}\n{}.", vec![topic.to_lowercase(); words].join(" "))
}

/// Four sections of 60 words under headings: 244 words, more than a passage holds.
fn long_body() -> String {
    ["Pairing", "Android", "Moving", "Notifications"].map(|t| section(t, 60)).join("\n\n")
}

#[test]
fn a_short_article_is_answered_whole() {
    let body = "Clip the charger to the back of the watch.\n\nA full charge takes two hours.";
    let answer = from_article("Charging", body, Some(1), None).expect("renders");
    assert_eq!(answer.text, "Clip the charger to the back of the watch.\n\nA full charge takes two hours.");
    assert!(answer.styles.is_empty(), "no heading: the article is all there");
}

#[test]
fn a_long_article_answers_with_its_passage_under_its_title() {
    let body = long_body();
    let answer = from_article("Pair your watch", &body, Some(1), None).expect("renders");
    let android = section("Android", 60);
    assert_eq!(answer.text, format!("Pair your watch\n\n{android}"));
    assert_eq!(answer.styles, [StyleRange { start: 0, end: 15, style: Emphasis::Strong }]);
    assert!(!answer.text.contains("pairing") && !answer.text.contains("moving"), "only the section");
}

#[test]
fn a_passage_prints_the_contact_and_keeps_its_emphasis_after_the_title() {
    let body = format!("{}\n\nHi {{{{ contact.name }}}}, **tap** Android.\n{}", long_body(), section("Android", 40));
    let contact = ContactFacts { name: Some("Zoë".into()), ..ContactFacts::default() };
    let answer = from_article("Ünïcode ✓", &body, Some(4), Some(&contact)).expect("renders");
    assert!(answer.text.starts_with("Ünïcode ✓\n\nHi Zoë, tap Android."), "{}", answer.text);
    let tap = answer.text.encode_utf16().collect::<Vec<_>>();
    let strong: Vec<String> =
        answer.styles.iter().map(|r| String::from_utf16_lossy(&tap[r.start as usize..r.end as usize])).collect();
    assert_eq!(strong, ["Ünïcode ✓", "tap"]);
}

#[test]
fn an_article_with_block_tags_is_answered_whole() {
    // The condition opens in the first passage and closes in the last.
    let body = format!(
        "{{% if contact.verified %}}\n{}\n\n{}{{% else %}}\nSign in first.{{% endif %}}",
        section("Pairing", 60),
        section("Android", 60),
    );
    let answer = from_article("Pair your watch", &body, Some(1), None).expect("renders");
    assert_eq!(answer.text, "Sign in first.", "rendered whole for this visitor");
}

#[test]
fn a_passage_that_is_not_there_gives_the_whole_article() {
    let body = long_body();
    let answer = from_article("Pair your watch", &body, Some(9), None).expect("renders");
    assert_eq!(answer.text, render(&body, None).expect("renders").text);
}

#[test]
fn a_question_about_the_whole_article_gets_all_of_it() {
    let body = long_body();
    let answer = from_article("Pair your watch", &body, None, None).expect("renders");
    assert_eq!(answer.text, render(&body, None).expect("renders").text);
}
