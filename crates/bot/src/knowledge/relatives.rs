//! The dictionary's relatives of an article's title words: "Become an instructor" is also
//! about teachers and teaching, "Subtitles and playback speed" about captions, "Enrol in a
//! course" about a class. A question word that the article does not contain but that is
//! such a relative counts for the article at [`CREDIT`] of its weight.
//!
//! Only the title's words are widened, because the title says what the article is about
//! while its body mentions much in passing: widening the bodies too, or every question word
//! that no article has, answered as many more questions wrongly as rightly
//! (docs/benchmarks.md, "a general thesaurus"). A relative is two steps away at most
//! (instructor → teacher → teach): one more step and every common word reaches hundreds.
//!
//! The relatives are WordNet's (`data/wordnet-relatives.txt`: the words of each common
//! word's most frequent sense, and the words derived from it).

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use super::{analyse, analyzer};

/// The share of a question word's weight that an article gets when its title has the word's
/// relative rather than the word.
pub(super) const CREDIT: f32 = 0.8;

/// Steps from a title word to its relatives' relatives.
const STEPS: usize = 2;

/// Each analysed term's relatives, analysed the same way (stems, stop words out).
static RELATIVES: LazyLock<HashMap<String, Vec<String>>> =
    LazyLock::new(|| parse(include_str!("../../data/wordnet-relatives.txt")));

/// One word a line, then its relatives; `#` starts a comment.
fn parse(data: &str) -> HashMap<String, Vec<String>> {
    let mut analyzer = analyzer();
    let mut relatives: HashMap<String, Vec<String>> = HashMap::new();
    for line in data.lines().filter(|line| !line.starts_with('#')) {
        let mut words = line.split_whitespace();
        let Some(term) = words.next().and_then(|word| analyse(&mut analyzer, word).pop()) else { continue };
        let known = relatives.entry(term.clone()).or_default();
        for relative in words.filter_map(|word| analyse(&mut analyzer, word).pop()) {
            if relative != term && !known.contains(&relative) {
                known.push(relative);
            }
        }
    }
    relatives
}

/// The relatives of `title`'s terms, up to [`STEPS`] away, that are not among `contained`
/// (the article's own terms, which count in full).
pub(super) fn of_title(title: &[String], contained: &HashSet<String>) -> HashSet<String> {
    let mut found: HashSet<String> = HashSet::new();
    let mut frontier: Vec<&String> = title.iter().collect();
    for _ in 0..STEPS {
        let mut next = Vec::new();
        for term in frontier {
            for relative in RELATIVES.get(term).into_iter().flatten() {
                if found.insert(relative.clone()) {
                    next.push(relative);
                }
            }
        }
        frontier = next;
    }
    found.retain(|term| !contained.contains(term));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn title(text: &str) -> (Vec<String>, HashSet<String>) {
        let terms = analyse(&mut analyzer(), text);
        let contained = terms.iter().cloned().collect();
        (terms, contained)
    }

    #[test]
    fn a_title_reaches_its_words_relatives_and_theirs() {
        let (terms, contained) = title("Become an instructor");
        let relatives = of_title(&terms, &contained);
        for word in ["teacher", "teach", "instruct"] {
            let term = analyse(&mut analyzer(), word).pop().unwrap();
            assert!(relatives.contains(&term), "{word} ({term}) in {relatives:?}");
        }
        let (terms, contained) = title("Subtitles and playback speed");
        assert!(of_title(&terms, &contained).contains("caption"));
    }

    #[test]
    fn the_articles_own_words_and_unrelated_words_are_not_relatives() {
        let (terms, contained) = title("Enrol in a course");
        let relatives = of_title(&terms, &contained);
        assert!(relatives.contains("class"), "{relatives:?}");
        assert!(!relatives.contains("cours"), "the title's own word counts in full, not as a relative");
        for unrelated in ["password", "refund", "deliveri"] {
            assert!(!relatives.contains(unrelated), "{unrelated} in {relatives:?}");
        }
    }

    #[test]
    fn every_line_of_the_data_is_a_word_and_its_relatives() {
        let relatives = parse("# comment\nteacher instructor teach\ncaptions subtitle\n");
        assert_eq!(relatives["teacher"], ["instructor", "teach"]);
        assert_eq!(relatives["caption"], ["subtitl"], "stemmed like the articles");
        assert!(RELATIVES.len() > 8_000, "the shipped data is read: {} stems", RELATIVES.len());
    }
}
