//! What the bot says from the article that answers: the whole article when it is short or
//! when the question is about all of it (its title has as much of the question as any
//! passage), else the passage of it that answers (`Hit::passage`), under the article's
//! title in strong type. A language model reads the same passage of each article it is
//! given.
//!
//! A help-centre article of 500 words covers pairing, errors on Android and moving to a
//! new phone; a visitor who asked why pairing fails on Android reads the section on it,
//! not the whole page in a chat bubble. The title says where the section comes from.
//!
//! An article is answered whole when a passage could hold it ([`MAX_WORDS`]), and when its
//! template has block tags (`{% if %}`, `{% set %}`, …): a block may open in one passage
//! and close in another, or set what a later one prints, so its passages are not
//! templates of their own. Expressions (`{{ contact.name }}`) read the contact, not the
//! rest of the article, and render alike in a passage.

use concierge_domain::StyledText;

use crate::knowledge::passages::{passages, MAX_WORDS};
use crate::template::{render, without_tags, ContactFacts, TemplateError};

/// The bot's answer from an article (`title` and `body` as the operator wrote them), its
/// passage at `passage` answering when the article is long (`None`: the question is about
/// the whole article); rendered for `contact`.
pub fn from_article(
    title: &str,
    body: &str,
    passage: Option<usize>,
    contact: Option<&ContactFacts>,
) -> Result<StyledText, TemplateError> {
    match section(body, passage, contact) {
        Some(section) => {
            let heading = render(title, contact).map_or_else(|_| without_tags(title), |t| t.text);
            Ok(section.under_heading(heading.trim()))
        }
        None => render(body, contact),
    }
}

/// The passage at `passage` of a long article's `body`, rendered for `contact`; `None`
/// when the article is answered whole.
pub fn section(body: &str, passage: Option<usize>, contact: Option<&ContactFacts>) -> Option<StyledText> {
    if body.contains("{%") || body.split_whitespace().count() <= MAX_WORDS {
        return None;
    }
    let pieces = passages(body);
    let text = render(pieces.get(passage?).filter(|_| pieces.len() > 1)?, contact).ok()?;
    (!text.text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests;
