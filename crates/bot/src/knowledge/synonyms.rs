//! Words support questions and support articles use for the same thing: "return" and
//! "refund", "log in" and "sign in", "2FA" and "two-factor". Both the articles and the
//! question are rewritten to one word per group before they are analysed, so either
//! wording finds the other. Groups are general support vocabulary, not any one knowledge
//! base's words; a word with other everyday meanings ("change", "open", "charge") is left
//! out rather than risk joining unrelated questions to articles.

use std::sync::LazyLock;

/// Phrases first (longest first within a group), then single words; each group's first
/// entry is the word everything in it becomes. Matched on whole words, case-insensitively.
const GROUPS: &[&[&str]] = &[
    &["refund", "money back", "return", "returns", "returned", "returning", "reimburse", "reimbursement", "refunds"],
    &[
        "login",
        "log in",
        "log into",
        "log on",
        "logon",
        "sign in",
        "sign into",
        "signin",
        "sign-in",
        "logging in",
        "signing in",
        "logged in",
        "signed in",
        "log-in",
    ],
    &[
        "twofactor",
        "two-factor",
        "two factor",
        "2fa",
        "2-fa",
        "mfa",
        "multi-factor",
        "multifactor",
        "two-step",
        "2-step",
        "2sv",
    ],
    &["cancel", "unsubscribe", "terminate", "stop my subscription", "end my subscription", "stop paying"],
    &[
        "delete",
        "close my account",
        "close the account",
        "closing my account",
        "remove my account",
        "erase",
        "deactivate",
    ],
    &["delivery", "deliver", "delivered", "arrive", "arrives", "arrival", "arriving"],
    &["parcel", "package", "packages", "parcels"],
    &["invoice", "invoices", "receipt", "receipts", "bill", "bills"],
    &["downgrade", "cheaper", "less expensive", "smaller plan", "lower plan", "downgrades", "downgrading"],
    &["upgrade", "bigger plan", "larger plan", "higher plan", "upgrades", "upgrading"],
    &["phone", "telephone", "call", "ring", "hotline"],
    &["email", "e-mail", "mail address"],
    &["password", "passwd", "passphrase"],
];

/// (pattern, replacement), phrases before single words so that "log in" is caught before
/// "in" could be.
static RULES: LazyLock<Vec<(String, &'static str)>> = LazyLock::new(|| {
    let mut rules: Vec<(String, &'static str)> =
        GROUPS.iter().flat_map(|group| group[1..].iter().map(move |w| (w.to_string(), group[0]))).collect();
    rules.sort_by_key(|(pattern, _)| std::cmp::Reverse(pattern.len()));
    rules
});

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
            out.push_str(if boundary(before) && boundary(after) { word } else { pattern });
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
    fn only_whole_words_are_replaced() {
        assert_eq!(canonical("the billing page").trim(), "the billing page", "bill inside billing stays");
        assert_eq!(canonical("recall").trim(), "recall", "call inside recall stays");
        assert_eq!(canonical("login").trim(), "login");
    }
}
