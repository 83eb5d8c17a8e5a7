//! Markdown to the plain text the chat widget shows.
//!
//! The widget shows text, not HTML, so nothing a template or a language model writes can
//! become markup on the visitor's page. Structure is kept where text can carry it: blank
//! lines between paragraphs, a line break where the writer ended a line, headings on their
//! own line, "• " and "1. " list items, links as "text (url)". Raw HTML stays as the
//! literal text it was written as: neither dropped (the operator would not know why their
//! text vanished) nor interpreted. Emphasis (`**strong**`, `*em*`) is what text cannot
//! carry: the same pass records it as ranges of the text, which the widget draws with
//! elements of its own.

use concierge_domain::{Emphasis, StyleRange, StyledText};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// What separates the next piece of text from the text before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Gap {
    Line,
    Blank,
}

#[derive(Default)]
struct PlainText {
    out: String,
    gap: Option<Gap>,
    /// One entry per open list: the next item's number, or None for a bullet list.
    lists: Vec<Option<u64>>,
    /// One entry per open link or image: where its text starts in `out`, and its target.
    links: Vec<(usize, String)>,
    /// Right after an item's marker, where the item's first paragraph needs no gap.
    item_fresh: bool,
    /// Right after a heading, whose text is followed by a line break only.
    after_heading: bool,
    /// Open emphasis: where its text starts in `out`.
    emphasis: Vec<(usize, Emphasis)>,
    /// Closed emphasis, as byte ranges of `out`.
    styles: Vec<(usize, usize, Emphasis)>,
}

impl PlainText {
    fn owe(&mut self, gap: Gap) {
        self.gap = Some(self.gap.map_or(gap, |owed| owed.max(gap)));
    }

    /// Between blocks: a blank line, or a line break inside a list or after a heading.
    fn block_gap(&self) -> Gap {
        if self.lists.is_empty() && !self.after_heading {
            Gap::Blank
        } else {
            Gap::Line
        }
    }

    fn owe_block(&mut self) {
        if !self.item_fresh {
            self.owe(self.block_gap());
        }
    }

    fn text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        if let Some(gap) = self.gap.take() {
            if !self.out.is_empty() {
                self.out.push_str(if gap == Gap::Blank { "\n\n" } else { "\n" });
            }
        }
        self.out.push_str(text);
        self.item_fresh = false;
        self.after_heading = false;
    }

    fn trim_trailing_newlines(&mut self) {
        let kept = self.out.trim_end_matches('\n').len();
        self.out.truncate(kept);
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph | Tag::BlockQuote(_) | Tag::CodeBlock(_) | Tag::HtmlBlock => self.owe_block(),
            Tag::Heading { .. } => self.owe(self.block_gap()),
            Tag::List(first) => {
                self.owe(self.block_gap());
                self.lists.push(first);
            }
            Tag::Item => {
                self.owe(Gap::Line);
                let indent = "  ".repeat(self.lists.len().saturating_sub(1));
                let marker = match self.lists.last_mut() {
                    Some(Some(number)) => {
                        let marker = format!("{indent}{number}. ");
                        *number += 1;
                        marker
                    }
                    _ => format!("{indent}• "),
                };
                self.text(&marker);
                self.item_fresh = true;
            }
            Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => {
                self.links.push((self.out.len(), dest_url.into_string()));
            }
            Tag::Strong => self.emphasis.push((self.out.len(), Emphasis::Strong)),
            Tag::Emphasis => self.emphasis.push((self.out.len(), Emphasis::Em)),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::BlockQuote(_) => self.owe_block(),
            TagEnd::CodeBlock | TagEnd::HtmlBlock => {
                self.trim_trailing_newlines();
                self.owe_block();
            }
            TagEnd::Heading(_) => {
                self.owe(Gap::Line);
                self.after_heading = true;
            }
            TagEnd::Item => self.owe(Gap::Line),
            TagEnd::List(_) => {
                self.lists.pop();
                self.owe(self.block_gap());
            }
            TagEnd::Link | TagEnd::Image => {
                if let Some((start, url)) = self.links.pop() {
                    let label = self.out.get(start..).unwrap_or_default().trim();
                    if label.is_empty() {
                        self.text(&url);
                    } else if label != url && url.strip_prefix("mailto:") != Some(label) {
                        self.text(&format!(" ({url})"));
                    }
                }
            }
            TagEnd::Strong | TagEnd::Emphasis => {
                if let Some((start, style)) = self.emphasis.pop() {
                    self.styles.push((start, self.out.len(), style));
                }
            }
            _ => {}
        }
    }
}

/// Markdown → plain text for the widget (also used for text that is not a template, such
/// as a language model's answer).
pub fn markdown_to_text(markdown: &str) -> String {
    markdown_to_styled(markdown).text
}

/// Markdown → the plain text of [`markdown_to_text`] and its emphasis.
pub fn markdown_to_styled(markdown: &str) -> StyledText {
    let mut text = PlainText::default();
    for event in Parser::new_ext(markdown, Options::empty()) {
        match event {
            Event::Start(tag) => text.start(tag),
            Event::End(tag) => text.end(tag),
            Event::Text(s) | Event::Code(s) | Event::Html(s) | Event::InlineHtml(s) => text.text(&s),
            // Operators type articles in a text box, where a line ends where they pressed
            // Enter (a heading line above its text, an address): as in chat and in GitHub's
            // comments, it ends there in the widget too.
            Event::SoftBreak | Event::HardBreak => text.text("\n"),
            Event::Rule => text.owe(Gap::Blank),
            _ => {}
        }
    }
    let lead = text.out.len() - text.out.trim_start().len();
    let out = text.out.trim();
    let styles = text.styles.iter().filter_map(|&(start, end, style)| {
        // An emphasis that opened a paragraph started before the paragraph's gap, and
        // emphasised spaces show nothing: each range covers its visible text only.
        let end = end.saturating_sub(lead).min(out.len());
        let start = start.saturating_sub(lead).min(end);
        let inner = &out[start..end];
        let start = start + (inner.len() - inner.trim_start().len());
        let end = start + inner.trim().len();
        (start < end).then_some((start, end, style))
    });
    StyledText { styles: utf16_ranges(out, styles), text: out.to_owned() }
}

/// Byte ranges of `text` as ranges of UTF-16 code units, outer ranges first.
fn utf16_ranges(text: &str, ranges: impl Iterator<Item = (usize, usize, Emphasis)>) -> Vec<StyleRange> {
    let mut units = vec![0u32; text.len() + 1];
    let mut count = 0u32;
    for (at, c) in text.char_indices() {
        units[at] = count;
        count += u32::try_from(c.len_utf16()).unwrap_or(2);
    }
    units[text.len()] = count;
    let mut styles: Vec<StyleRange> =
        ranges.map(|(start, end, style)| StyleRange { start: units[start], end: units[end], style }).collect();
    styles.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    styles
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_are_separated_by_a_blank_line_and_a_line_ends_where_it_was_typed() {
        assert_eq!(markdown_to_text("One\ntwo.\n\nThree  \nfour\\\nfive"), "One\ntwo.\n\nThree\nfour\nfive");
        assert_eq!(
            markdown_to_text("Water and heat\nKeep it out of saunas."),
            "Water and heat\nKeep it out of saunas."
        );
    }

    #[test]
    fn headings_stand_on_their_own_line() {
        assert_eq!(
            markdown_to_text("Intro\n\n## Billing\nInvoices come monthly."),
            "Intro\n\nBilling\nInvoices come monthly."
        );
    }

    #[test]
    fn lists_get_bullets_or_numbers() {
        assert_eq!(markdown_to_text("Steps:\n\n- open\n- click *Save*\n"), "Steps:\n\n• open\n• click Save");
        assert_eq!(markdown_to_text("3. three\n4. four\n\nAfter"), "3. three\n4. four\n\nAfter");
        assert_eq!(markdown_to_text("- a\n\n- b\n  - b1\n"), "• a\n• b\n  • b1");
    }

    #[test]
    fn links_show_their_target() {
        assert_eq!(
            markdown_to_text("See [the docs](https://docs.example/a)."),
            "See the docs (https://docs.example/a)."
        );
        assert_eq!(markdown_to_text("<https://example.com>"), "https://example.com");
        assert_eq!(markdown_to_text("[https://x.example](https://x.example)"), "https://x.example");
        assert_eq!(markdown_to_text("Mail <help@example.com>"), "Mail help@example.com");
        assert_eq!(markdown_to_text("![logo](https://x.example/l.png)"), "logo (https://x.example/l.png)");
    }

    #[test]
    fn code_and_emphasis_become_their_text() {
        assert_eq!(markdown_to_text("Run `concierge serve` **now**, _please_."), "Run concierge serve now, please.");
        assert_eq!(
            markdown_to_text("Before\n\n```\nline 1\nline 2\n```\n\nAfter"),
            "Before\n\nline 1\nline 2\n\nAfter"
        );
    }

    /// What each range of `markdown`'s emphasis covers, as text.
    fn emphasised(markdown: &str) -> Vec<(String, Emphasis)> {
        let styled = markdown_to_styled(markdown);
        let units: Vec<u16> = styled.text.encode_utf16().collect();
        let slice = |r: &StyleRange| String::from_utf16(&units[r.start as usize..r.end as usize]).expect("whole chars");
        styled.styles.iter().map(|r| (slice(r), r.style)).collect()
    }

    #[test]
    fn emphasis_becomes_ranges_of_the_same_text() {
        let styled = markdown_to_styled("Run `concierge serve` **now**, _please_.");
        assert_eq!(styled.text, markdown_to_text("Run `concierge serve` **now**, _please_."));
        assert_eq!(
            styled.styles,
            [
                StyleRange { start: 20, end: 23, style: Emphasis::Strong },
                StyleRange { start: 25, end: 31, style: Emphasis::Em },
            ]
        );
        assert_eq!(markdown_to_styled("No emphasis, * not even this *.").styles, []);
    }

    #[test]
    fn emphasis_covers_its_words_wherever_it_stands() {
        use Emphasis::{Em, Strong};
        let strong = |s: &str| (s.to_owned(), Strong);
        let em = |s: &str| (s.to_owned(), Em);
        assert_eq!(emphasised("Intro\n\n**Opening words** of a paragraph"), [strong("Opening words")]);
        assert_eq!(emphasised("## **Billing**\nSee *below*"), [strong("Billing"), em("below")]);
        assert_eq!(emphasised("- **one**\n- two *2*\n"), [strong("one"), em("2")]);
        assert_eq!(emphasised("**a *b* c** and ***both***"), [strong("a b c"), em("b"), strong("both"), em("both")]);
        assert_eq!(emphasised("**[docs](https://d.example)**"), [strong("docs (https://d.example)")]);
        assert_eq!(emphasised("**  **"), []);
    }

    #[test]
    fn emphasis_is_counted_in_utf16_code_units() {
        // "é" is one unit (two bytes), "😀" two units (four bytes).
        let styled = markdown_to_styled("Café 😀 **naïve 😀** *x*");
        assert_eq!(styled.text, "Café 😀 naïve 😀 x");
        assert_eq!(
            styled.styles,
            [
                StyleRange { start: 8, end: 16, style: Emphasis::Strong },
                StyleRange { start: 17, end: 18, style: Emphasis::Em },
            ]
        );
    }

    #[test]
    fn raw_html_is_kept_as_literal_text() {
        assert_eq!(markdown_to_text("Hi <b>there</b>"), "Hi <b>there</b>");
        assert_eq!(markdown_to_text("<script>alert(1)</script>\n\nText"), "<script>alert(1)</script>\n\nText");
        assert_eq!(markdown_to_text("<img src=x onerror=alert(1)>"), "<img src=x onerror=alert(1)>");
    }

    #[test]
    fn escaped_characters_appear_literally() {
        assert_eq!(markdown_to_text(r"\*\*bold\*\* \[x\]\(y\) \<b\>"), "**bold** [x](y) <b>");
    }
}
