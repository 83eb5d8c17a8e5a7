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

    /// `heading` in strong type, a blank line, then this text; this text alone when
    /// `heading` is empty.
    pub fn under_heading(self, heading: &str) -> Self {
        if heading.is_empty() {
            return self;
        }
        let units = u32::try_from(heading.encode_utf16().count()).unwrap_or(u32::MAX);
        let shift = units.saturating_add(2);
        let mut styles = Vec::with_capacity(self.styles.len() + 1);
        styles.push(StyleRange { start: 0, end: units, style: Emphasis::Strong });
        styles.extend(self.styles.into_iter().map(|r| StyleRange {
            start: r.start.saturating_add(shift),
            end: r.end.saturating_add(shift),
            style: r.style,
        }));
        Self { text: format!("{heading}\n\n{}", self.text), styles }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heading_goes_first_in_strong_type_and_the_ranges_after_it_move() {
        let body = StyledText {
            text: "Tap 𝄞 here".into(),
            styles: vec![StyleRange { start: 4, end: 6, style: Emphasis::Em }],
        };
        let headed = body.clone().under_heading("Café ☕");
        assert_eq!(headed.text, "Café ☕\n\nTap 𝄞 here");
        assert_eq!(
            headed.styles,
            [
                StyleRange { start: 0, end: 6, style: Emphasis::Strong },
                StyleRange { start: 12, end: 14, style: Emphasis::Em }
            ]
        );
        let units: Vec<u16> = headed.text.encode_utf16().collect();
        assert_eq!(String::from_utf16_lossy(&units[12..14]), "𝄞");
        assert_eq!(body.clone().under_heading(""), body);
    }
}
