//! Mistyped words: "projct" for "project", "certficate" for "certificate". A question word
//! that no article uses and that is no English word is read as the articles' word one edit
//! away (a letter missing, extra, wrong or two swapped), so one slip of the finger does not
//! cost the visitor the word that says what they ask about.
//!
//! Only words of [`MIN_LETTERS`] or more are read so, and only when exactly one of the
//! articles' words is that close: short words and real words have too many neighbours
//! ("plane" is not a typo of "plan", "card" not of "cart"), and a guess between two words
//! would be a guess.

use std::collections::{HashMap, HashSet};

use super::english;
use crate::words;

/// Shorter words are left as typed.
const MIN_LETTERS: usize = 5;

/// The words of a knowledge base's articles, as written (lower-cased), filed by length and
/// first letter and by length and last letter: one edit leaves one of the two letters
/// where it was, so a slip's candidates are in six short lists, not among every word.
#[derive(Debug, Default)]
pub(super) struct Vocabulary {
    by_first: HashMap<(usize, u8), Vec<String>>,
    by_last: HashMap<(usize, u8), Vec<String>>,
    known: HashSet<String>,
}

impl Vocabulary {
    pub(super) fn add(&mut self, text: &str) {
        for word in words(text) {
            let word = word.to_lowercase();
            let letters = word.chars().count();
            if letters >= MIN_LETTERS - 1 && !self.known.contains(&word) {
                let bytes = word.as_bytes();
                self.by_first.entry((letters, bytes[0])).or_default().push(word.clone());
                self.by_last.entry((letters, bytes[bytes.len() - 1])).or_default().push(word.clone());
                self.known.insert(word);
            }
        }
    }

    /// `text` (lower-cased by the caller) with each mistyped word replaced by the one
    /// article word it is a slip away from.
    pub(super) fn corrected(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        for word in words(text) {
            let Some(at) = rest.find(word) else { continue };
            out.push_str(&rest[..at]);
            out.push_str(self.correction(word).unwrap_or(word));
            rest = &rest[at + word.len()..];
        }
        out.push_str(rest);
        out
    }

    fn correction(&self, word: &str) -> Option<&str> {
        let letters = word.chars().count();
        if letters < MIN_LETTERS
            || self.known.contains(word)
            || english::is_word(word)
            || word.chars().any(|c| c.is_ascii_digit())
        {
            return None;
        }
        let (first, last) = (word.as_bytes()[0], word.as_bytes()[word.len() - 1]);
        let mut close: Vec<&str> = (letters - 1..=letters + 1)
            .flat_map(|length| {
                let by_first = self.by_first.get(&(length, first)).into_iter().flatten();
                by_first.chain(self.by_last.get(&(length, last)).into_iter().flatten())
            })
            .filter(|known| within_one_edit(word, known) && strsim::osa_distance(word, known) == 1)
            .map(String::as_str)
            .collect();
        close.sort_unstable();
        close.dedup();
        match close[..] {
            [only] => Some(only),
            _ => None,
        }
    }
}

/// Whether `a` and `b` agree everywhere but in two letters at most, around one place: what
/// they have in common at the start and at the end leaves no more than one edit's room.
/// Cheap and allocation-free, so the exact distance is only computed for near words.
fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let shorter = a.len().min(b.len());
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a.iter().rev().zip(b.iter().rev()).take(shorter - prefix).take_while(|(x, y)| x == y).count();
    prefix + suffix + 2 >= shorter
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary(text: &str) -> Vocabulary {
        let mut vocabulary = Vocabulary::default();
        vocabulary.add(text);
        vocabulary
    }

    #[test]
    fn a_slip_reads_as_the_articles_word() {
        let v = vocabulary("Delete a project. Download your certificate from My Learning.");
        assert_eq!(v.corrected("how do i get rid of an old projct"), "how do i get rid of an old project");
        assert_eq!(v.corrected("where is my certficate?"), "where is my certificate?");
        assert_eq!(v.corrected("delte my projetc"), "delete my project");
    }

    #[test]
    fn words_short_real_or_ambiguous_stay() {
        let v = vocabulary("Change your plan. Add to cart. Archive tasks; fill the tanks.");
        assert_eq!(v.corrected("work on a plane"), "work on a plane", "an English word is no typo");
        assert_eq!(v.corrected("my cark"), "my cark", "four letters have too many neighbours");
        assert_eq!(v.corrected("old taaks"), "old taaks", "two words as close: no guess");
        assert_eq!(v.corrected("error 40401"), "error 40401", "numbers are not words");
    }
}
