//! Emphasis in a bot message: its text stays plain (nothing in it can become markup on the
//! visitor's page), and what the Markdown source emphasised travels beside it as ranges.

use serde::{Deserialize, Serialize};

/// How a range of text is emphasised: `strong` (Markdown `**…**`) or `em` (`*…*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Emphasis {
    Strong,
    Em,
}

/// `text[start..end]` is emphasised. Offsets count UTF-16 code units, as JavaScript's string
/// indices do, so a browser can slice the text with them as they are. Ranges are either
/// disjoint or nested (one inside the other), never empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StyleRange {
    /// The first UTF-16 code unit of `text` in the range.
    pub start: u32,
    /// One past the range's last UTF-16 code unit.
    pub end: u32,
    pub style: Emphasis,
}

/// Plain text with its emphasis.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StyledText {
    pub text: String,
    /// Ordered by `start`, an outer range before the ranges nested in it.
    pub styles: Vec<StyleRange>,
}

impl StyledText {
    pub fn plain(text: impl Into<String>) -> Self {
        Self { text: text.into(), styles: Vec::new() }
    }
}
