//! The dictionary's relatives of an article's title words: "Become an instructor" is also
//! about teachers and teaching, "Subtitles and playback speed" about captions, "Enrol in a
//! course" about a class. A question word that the article does not contain but that is
//! such a relative counts for the article at [`CREDIT`] of its weight, beside at least one
//! word the article has itself (`reading`).
//!
//! Only the title's words are widened, because the title says what the article is about
//! while its body mentions much in passing: widening the bodies too, or every question word
//! that no article has, answered as many more questions wrongly as rightly
//! (docs/benchmarks.md, "a general thesaurus"). A relative is a word of the title word's
//! most frequent sense or derived from it, or derived from one of those (instructor →
//! teacher → teach); a synonym's synonym has usually left the sense.
//!
//! The relatives are WordNet's (`data/wordnet-relatives.txt`), without English's most
//! common words ("say", "take", "place"), which are in every question and bridge nothing.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use tantivy::tokenizer::TextAnalyzer;

use super::analyse;

/// The share of a question word's weight that an article gets when its title has the word's
/// relative rather than the word.
pub(super) const CREDIT: f32 = 0.8;

/// A common word's relatives in WordNet, as written there.
#[derive(Debug, Default)]
struct Relatives {
    /// The other words of its most frequent sense.
    synonyms: Vec<&'static str>,
    /// The words derived from that sense.
    derived: Vec<&'static str>,
}

static RELATIVES: LazyLock<HashMap<&'static str, Relatives>> =
    LazyLock::new(|| parse(include_str!("../../data/wordnet-relatives.txt")));

/// "word synonym… | derived…" a line; `#` starts a comment.
fn parse(data: &'static str) -> HashMap<&'static str, Relatives> {
    let mut relatives = HashMap::new();
    for line in data.lines().filter(|line| !line.starts_with('#')) {
        let (same, derived) = line.split_once('|').unwrap_or((line, ""));
        let mut same = same.split_whitespace();
        let Some(word) = same.next() else { continue };
        relatives.insert(word, Relatives { synonyms: same.collect(), derived: derived.split_whitespace().collect() });
    }
    relatives
}

/// The word WordNet files `word` under: itself, or itself without a plural's or a past's
/// ending ("subtitles", "settings", "created").
fn lemma(word: &str) -> Option<&'static str> {
    let stripped = |ending: &str, then: &str| word.strip_suffix(ending).map(|stem| format!("{stem}{then}"));
    // The shorter cut first, so that "uses" and "using" are "use", not "us".
    let forms = [
        Some(word.to_owned()),
        stripped("s", ""),
        stripped("es", ""),
        stripped("ies", "y"),
        stripped("ing", "e"),
        stripped("ing", ""),
        stripped("d", ""),
        stripped("ed", ""),
    ];
    forms.into_iter().flatten().find_map(|form| RELATIVES.get_key_value(form.as_str()).map(|(lemma, _)| *lemma))
}

/// The analysed terms of the relatives of `title`'s words (its synonyms and derived words,
/// and theirs: "instructor" → teacher → teach), leaving out `contained`, the article's own
/// terms, which count in full.
pub(super) fn of_title(analyzer: &mut TextAnalyzer, title: &str, contained: &HashSet<String>) -> HashSet<String> {
    let mut reached: HashSet<&'static str> = HashSet::new();
    let mut frontier: Vec<&'static str> = crate::words(title).filter_map(|w| lemma(&w.to_lowercase())).collect();
    for step in 0..2 {
        let mut next = Vec::new();
        for word in frontier {
            let Some(relatives) = RELATIVES.get(word) else { continue };
            // The second step follows derivations only: a synonym's synonym has left the
            // title's sense ("card" → tease → bug), its derived words have not (teacher → teach).
            let synonyms = if step == 0 { &relatives.synonyms[..] } else { &[] };
            for relative in synonyms.iter().chain(&relatives.derived) {
                if reached.insert(relative) {
                    next.push(*relative);
                }
            }
        }
        frontier = next;
    }
    let mut terms: HashSet<String> = reached.into_iter().filter_map(|word| analyse(analyzer, word).pop()).collect();
    terms.retain(|term| !contained.contains(term));
    terms
}

#[cfg(test)]
mod tests {
    use super::super::analyzer;
    use super::*;

    fn relatives(title: &str) -> HashSet<String> {
        let mut analyzer = analyzer();
        let contained = analyse(&mut analyzer, title).into_iter().collect();
        of_title(&mut analyzer, title, &contained)
    }

    fn term(word: &str) -> String {
        analyse(&mut analyzer(), word).pop().unwrap_or_default()
    }

    #[test]
    fn a_title_reaches_its_words_synonyms_and_what_derives_from_them() {
        let instructor = relatives("Become an instructor");
        for word in ["teacher", "teach", "instruct"] {
            assert!(instructor.contains(&term(word)), "{word} in {instructor:?}");
        }
        assert!(relatives("Subtitles and playback speed").contains(&term("caption")), "a plural title word");
        assert!(relatives("Enrol in a course").contains(&term("class")));
    }

    #[test]
    fn own_words_unrelated_words_and_a_synonyms_synonyms_are_not_relatives() {
        let course = relatives("Enrol in a course");
        assert!(!course.contains(&term("course")), "the title's own word counts in full, not as a relative");
        for unrelated in ["password", "refund", "delivery"] {
            assert!(!course.contains(&term(unrelated)), "{unrelated} in {course:?}");
        }
        let card = relatives("Freeze your card");
        assert!(!card.contains(&term("bug")), "card → tease → bug leaves the sense: {card:?}");
        assert!(!relatives("How to track your order").contains(&term("say")), "the commonest words bridge nothing");
    }

    #[test]
    fn a_title_word_is_found_under_its_dictionary_form() {
        assert_eq!(lemma("subtitles"), Some("subtitle"));
        assert_eq!(lemma("using"), Some("using"), "WordNet has it as a word");
        assert_eq!(lemma("uses"), Some("use"), "not \"us\"");
        assert_eq!(lemma("qwertyuiop"), None);
    }

    #[test]
    fn every_line_of_the_data_is_a_word_its_synonyms_and_derived_words() {
        let parsed = parse("# comment\nteacher instructor | teach teachership\nwork | worker\n");
        assert_eq!(
            (&parsed["teacher"].synonyms, &parsed["teacher"].derived),
            (&vec!["instructor"], &vec!["teach", "teachership"])
        );
        assert!(parsed["work"].synonyms.is_empty());
        assert!(RELATIVES.len() > 10_000, "the shipped data is read: {}", RELATIVES.len());
    }
}
