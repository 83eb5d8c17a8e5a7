//! Words support questions and support articles use for the same thing: "return" and
//! "refund", "log in" and "sign in", "2FA" and "two-factor", "voucher" and "promo code".
//! Both the articles and the question are rewritten to one word per group before they are
//! analysed, so either wording finds the other. The groups are data
//! (`data/support-synonyms.txt`), general support vocabulary rather than any one knowledge
//! base's words.

use std::sync::LazyLock;

/// (pattern, replacement), phrases before single words so that "log in" is caught before
/// "in" could be.
static RULES: LazyLock<Vec<(String, String)>> =
    LazyLock::new(|| rules(include_str!("../../data/support-synonyms.txt")));

/// One group a line, its first entry the word the others become; `#` starts a comment.
fn rules(groups: &str) -> Vec<(String, String)> {
    let mut rules: Vec<(String, String)> = groups
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .flat_map(|line| {
            let mut entries = line.split('|').map(|entry| entry.trim().to_lowercase()).filter(|e| !e.is_empty());
            let head = entries.next().unwrap_or_default();
            entries.map(move |entry| (entry, head.clone()))
        })
        .collect();
    rules.sort_by_key(|(pattern, _)| std::cmp::Reverse(pattern.len()));
    rules
}

/// `text` lower-cased, each group member replaced by its group's word.
pub(super) fn canonical(text: &str) -> String {
    let mut text = format!(" {} ", text.to_lowercase());
    for (pattern, word) in RULES.iter() {
        if !text.contains(pattern.as_str()) {
            continue;
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(at) = rest.find(pattern.as_str()) {
            let before = rest[..at].chars().next_back();
            let after = rest[at + pattern.len()..].chars().next();
            let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
            out.push_str(&rest[..at]);
            out.push_str(if boundary(before) && boundary(after) { word.as_str() } else { pattern.as_str() });
            rest = &rest[at + pattern.len()..];
        }
        out.push_str(rest);
        text = out;
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wordings_meet_on_one_word() {
        assert_eq!(canonical("I want to return it").trim(), "i want to refund it");
        assert_eq!(canonical("Can't log in").trim(), "can't login");
        assert_eq!(canonical("On the sign-in page").trim(), "on the login page");
        assert_eq!(canonical("Set up 2FA?").trim(), "set up twofactor?");
        assert_eq!(canonical("Turn on two-factor authentication").trim(), "turn on twofactor authentication");
    }

    #[test]
    fn every_line_of_the_data_is_a_group() {
        let rules = rules("# a comment\n\nrefund | money back | Reimburse\ncoupon | promo code\n");
        assert_eq!(rules.len(), 3);
        assert!(rules.contains(&("reimburse".to_owned(), "refund".to_owned())), "entries are lower-cased");
        assert_eq!(rules[0].0, "money back", "longest first");
        assert_eq!(canonical("Where do I put a voucher?").trim(), "where do i put a coupon?");
    }

    #[test]
    fn only_whole_words_are_replaced() {
        assert_eq!(canonical("the billing page").trim(), "the billing page", "bill inside billing stays");
        assert_eq!(canonical("recall").trim(), "recall", "call inside recall stays");
        assert_eq!(canonical("login").trim(), "login");
    }
}
