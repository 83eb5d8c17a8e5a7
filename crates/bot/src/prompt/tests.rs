use serde_json::json;

use super::*;

fn article(id: &str, title: &str, body: &str) -> Article {
    Article { id: id.to_owned(), title: title.to_owned(), body: body.to_owned(), asked_as: Vec::new() }
}

fn input<'a>(
    passages: &'a [&'a Article],
    contact: Option<&'a ContactFacts>,
    history: &'a [(&'a str, &'a str)],
) -> PromptInput<'a> {
    PromptInput {
        bot_name: "Penny",
        instructions: "Be brief. Use British spelling.",
        passages,
        contact,
        history,
        question: "How do I reset my password?",
    }
}

fn json_block(system: &str) -> Value {
    let start = system.find("```json\n").expect("a JSON block") + "```json\n".len();
    let end = system[start..].find("\n```").expect("the block's end") + start;
    serde_json::from_str(&system[start..end]).expect("valid JSON")
}

#[test]
fn the_system_message_carries_identity_rules_passages_and_profile() {
    let reset = article("a", "Resetting your password", "Choose 'Forgot password' on the sign-in page.");
    let sso = article("b", "Single sign-on", "Ask your admin.");
    let contact = ContactFacts {
        name: Some("Ada".to_owned()),
        email: Some("ada@example.com".to_owned()),
        metadata: json!({"plan": "pro"}).as_object().cloned().unwrap_or_default(),
        ..ContactFacts::default()
    };
    let passages = [&reset, &sso];
    let messages = build(&input(&passages, Some(&contact), &[]));

    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].role, "system");
    let system = &messages[0].content;
    assert!(system.starts_with("You are Penny,"), "{system}");
    assert!(system.contains("Be brief. Use British spelling."), "{system}");
    assert!(system.contains("Answer only from the knowledge base passages"), "{system}");
    assert!(system.contains("say you are not sure and offer to bring in a person"), "{system}");
    let first = system.find("[1] Resetting your password\nChoose 'Forgot password'").expect("first passage");
    let second = system.find("[2] Single sign-on\nAsk your admin.").expect("second passage");
    assert!(first < second);
    assert!(system.contains("verified by the customer's own system"), "{system}");
    assert_eq!(json_block(system), json!({"name": "Ada", "email": "ada@example.com", "metadata": {"plan": "pro"}}));

    assert_eq!(messages[1], ChatMessage { role: "user".to_owned(), content: "How do I reset my password?".to_owned() });
}

#[test]
fn an_anonymous_visitor_is_not_signed_in() {
    let messages = build(&input(&[], None, &[]));
    let system = &messages[0].content;
    assert!(system.contains("The visitor is not signed in"), "{system}");
    assert!(!system.contains("```json"), "{system}");
    assert!(system.contains("none matched"), "{system}");
}

#[test]
fn passages_are_cut_to_fit_on_a_char_boundary() {
    let long = article("a", "Long", &"é".repeat(MAX_PASSAGES_CHARS));
    let never = article("b", "Never shown", "x");
    let text = passages(&[&long, &never]);
    assert_eq!(text.chars().count(), MAX_PASSAGES_CHARS);
    assert!(text.starts_with("[1] Long\néé"));
    assert!(!text.contains("Never shown"));

    let short = article("c", "Short", "fits");
    assert_eq!(passages(&[&short, &short]), "[1] Short\nfits\n\n[2] Short\nfits");
}

#[test]
fn the_profile_drops_metadata_keys_from_the_end_and_stays_valid_json() {
    let mut metadata = Map::new();
    for key in ["a_plan", "b_notes", "c_history"] {
        metadata.insert(key.to_owned(), json!("v".repeat(1000)));
    }
    metadata.insert("a_plan".to_owned(), json!("pro"));
    let contact = ContactFacts { user_id: Some("u1".to_owned()), metadata, ..ContactFacts::default() };
    let block = profile(&contact);
    assert!(block.chars().count() <= MAX_PROFILE_CHARS);
    let value: Value = serde_json::from_str(&block).expect("valid JSON");
    assert_eq!(value["user_id"], "u1");
    assert_eq!(value["metadata"]["a_plan"], "pro");
    assert!(value["metadata"].get("b_notes").is_some());
    assert!(value["metadata"].get("c_history").is_none());

    let huge = ContactFacts { name: Some("n".repeat(MAX_PROFILE_CHARS * 2)), ..ContactFacts::default() };
    assert_eq!(profile(&huge), "{}");
}

#[test]
fn history_keeps_the_newest_messages_that_fit() {
    let old = "o".repeat(MAX_HISTORY_CHARS / 2);
    let history = [
        ("visitor", old.as_str()),
        ("bot", "first answer"),
        ("system", "not part of the conversation"),
        ("agent", "I have refunded you."),
        ("visitor", "thanks, one more thing"),
    ];
    let messages = build(&input(&[], None, &history));
    let roles: Vec<&str> = messages.iter().map(|m| m.role.as_str()).collect();
    assert_eq!(roles, ["system", "user", "assistant", "assistant", "user", "user"]);
    assert_eq!(messages[1].content, old);
    assert!(messages[3].content.ends_with("I have refunded you."));
    assert_eq!(messages[4].content, "thanks, one more thing");

    let big = "b".repeat(MAX_HISTORY_CHARS - 10);
    let history = [("visitor", "dropped"), ("bot", "dropped too"), ("visitor", big.as_str())];
    let messages = build(&input(&[], None, &history));
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[1].content, big);
    let total: usize = messages[1..messages.len() - 1].iter().map(|m| m.content.chars().count()).sum();
    assert!(total <= MAX_HISTORY_CHARS);

    let too_big = "z".repeat(MAX_HISTORY_CHARS * 2);
    let messages = build(&input(&[], None, &[("visitor", too_big.as_str())]));
    assert_eq!(messages[1].content.chars().count(), MAX_HISTORY_CHARS);
}
