//! What a visitor's message is, before any search: a request for a person, a greeting,
//! thanks, or a question.
//!
//! Word-based and deliberately cautious, because a false "human" hands a conversation off
//! that the bot could have answered, and a false greeting swallows a question. Long
//! messages count as a request for a person only through phrases ("talk to a human",
//! "speak with someone", "real person"); the single words ("agent", "operator", "human")
//! count only when the whole message is a few words that say nothing else ("human
//! please"). So "agent-based pricing: how does it work?" and "humane society hours" are
//! questions. Greetings and thanks are short messages made only of such words.

/// What a visitor's message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    Human,
    Greeting,
    Thanks,
    Question,
}

/// Who a visitor may ask for.
const PEOPLE: &[&str] = &[
    "human",
    "humans",
    "person",
    "people",
    "agent",
    "agents",
    "someone",
    "somebody",
    "anyone",
    "anybody",
    "representative",
    "rep",
    "operator",
    "staff",
    "support",
    "service",
    "team",
];
/// Words allowed between "talk to" and the person: "talk to a real live person".
const BETWEEN: &[&str] = &[
    "a", "an", "the", "some", "real", "live", "actual", "your", "human", "customer", "service", "support", "sales",
    "one", "of",
];
/// Words a short request for a person may be made of, besides [`PEOPLE`].
const REQUEST_WORDS: &[&str] = &[
    "please", "pls", "plz", "a", "an", "the", "me", "i", "want", "need", "can", "could", "get", "give", "talk",
    "speak", "to", "with", "now", "real", "live", "actual", "just", "d", "like", "would", "connect", "transfer", "let",
];
/// Descriptions that mean a person on their own, wherever they stand.
const PERSON_PHRASES: &[[&str; 2]] = &[
    ["real", "person"],
    ["real", "human"],
    ["actual", "person"],
    ["actual", "human"],
    ["live", "agent"],
    ["live", "person"],
    ["live", "human"],
    ["human", "agent"],
    ["human", "being"],
];
const GREETINGS: &[&str] =
    &["hi", "hello", "hey", "heya", "hiya", "howdy", "hallo", "greetings", "yo", "morning", "afternoon", "evening"];
const GREETING_WORDS: &[&str] = &["good", "there", "all", "everyone", "folks", "team", "again", "day"];
const THANKS: &[&str] = &["thanks", "thank", "thx", "ty", "cheers", "appreciated", "appreciate"];
const THANKS_WORDS: &[&str] = &[
    "you", "so", "very", "much", "a", "lot", "many", "loads", "tons", "again", "that", "it", "this", "helps", "helped",
    "great", "perfect", "awesome", "ok", "okay", "bye", "all", "for", "the", "help", "really", "i",
];
/// A short request for a person, a greeting or thanks has at most this many words.
const SHORT_WORDS: usize = 6;
const SHORT_THANKS_WORDS: usize = 8;

fn words(message: &str) -> Vec<String> {
    crate::words(message).map(str::to_lowercase).collect()
}

fn is_in(word: &str, list: &[&str]) -> bool {
    list.contains(&word)
}

/// "talk to (a real) human", "speak with someone", "connect me to an agent".
fn asks_to_talk(words: &[String]) -> bool {
    words.iter().enumerate().any(|(i, verb)| {
        let rest = &words[i + 1..];
        let after_preposition = match verb.as_str() {
            "talk" | "speak" | "chat" => rest.first().filter(|w| is_in(w, &["to", "with"])).map(|_| &rest[1..]),
            "connect" | "transfer" | "put" => match rest {
                [me, to, tail @ ..] if me == "me" && is_in(to, &["to", "with", "through"]) => Some(tail),
                _ => None,
            },
            _ => None,
        };
        let Some(tail) = after_preposition else { return false };
        // The person, after at most a few describing words: "a real live person".
        tail.iter().take(4).find(|w| is_in(w, PEOPLE) || !is_in(w, BETWEEN)).is_some_and(|w| is_in(w, PEOPLE))
    })
}

fn names_a_person(words: &[String]) -> bool {
    words.windows(2).any(|pair| PERSON_PHRASES.iter().any(|phrase| pair[0] == phrase[0] && pair[1] == phrase[1]))
}

/// "human please", "get me an agent": only request words, and a person named by a word that
/// means one on its own ("support" alone is as likely the topic of a question).
fn short_request(words: &[String]) -> bool {
    words.len() <= SHORT_WORDS
        && words.iter().any(|w| is_in(w, PEOPLE) && !is_in(w, &["support", "service", "team", "people"]))
        && words.iter().all(|w| is_in(w, PEOPLE) || is_in(w, REQUEST_WORDS))
}

fn only(words: &[String], core: &[&str], filler: &[&str], max: usize) -> bool {
    words.len() <= max
        && words.iter().any(|w| is_in(w, core))
        && words.iter().all(|w| is_in(w, core) || is_in(w, filler))
}

/// Case- and punctuation-insensitive; see the module documentation.
pub fn intent(message: &str) -> Intent {
    let words = words(message);
    if asks_to_talk(&words) || names_a_person(&words) || short_request(&words) {
        Intent::Human
    } else if only(&words, THANKS, THANKS_WORDS, SHORT_THANKS_WORDS) {
        Intent::Thanks
    } else if only(&words, GREETINGS, GREETING_WORDS, SHORT_WORDS) {
        Intent::Greeting
    } else {
        Intent::Question
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(expected: Intent, messages: &[&str]) {
        for message in messages {
            assert_eq!(intent(message), expected, "{message:?}");
        }
    }

    #[test]
    fn requests_for_a_person() {
        check(
            Intent::Human,
            &[
                "talk to a human",
                "Can I speak to an agent?",
                "I want a REAL PERSON!!",
                "representative",
                "Operator.",
                "can I talk to someone",
                "human please",
                "agent",
                "get me a human",
                "Hi, I'd like to speak with a customer service representative about my invoice",
                "This bot is useless, connect me to an agent now",
                "Is there a live agent available? My order never arrived and I need help today",
                "could I chat with your support team",
                "I'd like to talk to the sales team about an enterprise plan",
            ],
        );
    }

    #[test]
    fn words_that_only_look_like_a_request_are_questions() {
        check(
            Intent::Question,
            &[
                "humane society hours",
                "agent-based pricing question about the enterprise plan and seats",
                "How do I add a new agent to my workspace?",
                "Which operator should I use in a rule?",
                "Are your reviews written by real people?",
                "Do you offer human support on weekends and holidays?",
                "Can I talk about my invoice?",
                "How do I connect to the support API?",
                "agent-based pricing",
                "",
                "?!",
            ],
        );
    }

    #[test]
    fn greetings() {
        check(
            Intent::Greeting,
            &["hi", "Hello there", "good morning!", "Hey team :)", "hiya", "Good evening, everyone"],
        );
        check(Intent::Question, &["good", "hi, how do I reset my password?", "hello, is shipping free?"]);
    }

    #[test]
    fn thanks() {
        check(Intent::Thanks, &["thanks", "Thank you!", "cheers", "thanks a lot, that helps", "ok thank you so much"]);
        check(Intent::Question, &["thanks, but how do I get a refund?", "thank you. Where is my invoice?"]);
    }
}
