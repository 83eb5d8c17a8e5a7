//! Where a sentence-embedding model's cosines lie, so that the blend's floor and ceiling
//! (`knowledge::hybrid`, chosen with all-MiniLM-L6-v2) mean the same with any model.
//!
//! Models differ most in where they put texts that have nothing to do with each other:
//! all-MiniLM-L6-v2 near 0.1, bge models (by their authors' account) above 0.6, what they
//! have to say squeezed into the rest. Taken at all-MiniLM-L6-v2's floor, such a model
//! would find every article close to every question and the bot would answer what no
//! article covers. So the model embeds a fixed set of questions and the help-centre
//! passages that answer them (`data/embedding-probes.txt`), and two anchors are measured:
//! the mean cosine of a question with its own passage (answering) and with the other
//! questions' (unrelated). The reference floor and ceiling are carried from
//! all-MiniLM-L6-v2's anchors to the model's by the straight line through them. A model
//! that finds a question's own passage the closest of the 24 for fewer than half of the
//! questions cannot tell an answer from an unrelated text (a misconfigured endpoint, a
//! model that is not a sentence-embedding model): its meaning is not used at all. (How far
//! apart its levels are says nothing of that: a good model may squeeze every cosine into a
//! narrow band.)

use std::sync::OnceLock;

use super::{article_texts, cosine};
use crate::knowledge::hybrid::Scale;

const PROBES: &str = include_str!("../../data/embedding-probes.txt");

/// all-MiniLM-L6-v2's anchors on the probes, for which [`Scale::REFERENCE`] was chosen.
/// Measured by `the_test_models_scale_is_the_reference` (crates/concierge/tests/it).
pub const REFERENCE: Anchors = Anchors { unrelated: 0.0572, answering: 0.6037, own_first: 1.0 };

/// The most texts one call to measure a model embeds.
pub const BATCH: usize = 8;

/// The least share of questions whose own passage a model must find the closest for its
/// meaning to count (chance is 1 in 24).
const MIN_OWN_FIRST: f32 = 0.5;

/// A model's mean cosines on the probes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Anchors {
    /// A question with a passage that answers another.
    pub unrelated: f32,
    /// A question with the passage that answers it.
    pub answering: f32,
    /// The share of the questions whose own passage is the closest to them of all.
    pub own_first: f32,
}

/// The (question, passage text) pairs, the passage under its title as articles are embedded.
fn probes() -> &'static [(String, String)] {
    static PAIRS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    PAIRS.get_or_init(|| {
        PROBES
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .filter_map(|line| {
                let mut parts = line.split(" | ");
                let (question, title, passage) = (parts.next()?, parts.next()?, parts.next()?);
                let text = article_texts(title.trim(), passage.trim()).pop()?;
                Some((question.trim().to_owned(), text))
            })
            .collect()
    })
}

/// What the model embeds to be calibrated: the questions, and their passages in the same
/// order.
pub fn texts() -> (Vec<String>, Vec<String>) {
    probes().iter().cloned().unzip()
}

/// The anchors from the vectors of [`texts`], the questions' then the passages'; `None`
/// when they are not one per text, or their cosines are not numbers.
pub fn anchors(vectors: &[Vec<f32>]) -> Option<Anchors> {
    let n = probes().len();
    if vectors.len() != 2 * n || n < 2 {
        return None;
    }
    let (questions, passages) = vectors.split_at(n);
    let (mut answering, mut unrelated, mut own_first) = (0.0f64, 0.0f64, 0usize);
    for (i, question) in questions.iter().enumerate() {
        let (mut own, mut closest_other) = (f32::NEG_INFINITY, f32::NEG_INFINITY);
        for (j, passage) in passages.iter().enumerate() {
            let c = cosine(question, passage)?;
            if i == j {
                own = c;
            } else {
                unrelated += f64::from(c);
                closest_other = closest_other.max(c);
            }
        }
        answering += f64::from(own);
        own_first += usize::from(own > closest_other);
    }
    let pairs = n as f64;
    let anchors = Anchors {
        unrelated: (unrelated / (pairs * (pairs - 1.0))) as f32,
        answering: (answering / pairs) as f32,
        own_first: own_first as f32 / n as f32,
    };
    (anchors.unrelated.is_finite() && anchors.answering.is_finite()).then_some(anchors)
}

/// [`Scale::REFERENCE`] carried from the reference model's anchors to `model`'s; `None`
/// when the model cannot tell an answering passage from an unrelated one.
pub fn scale(model: Anchors) -> Option<Scale> {
    let spread = model.answering - model.unrelated;
    if model.own_first < MIN_OWN_FIRST || spread <= 0.0 {
        return None;
    }
    let carried = |cosine: f32| {
        let along = (cosine - REFERENCE.unrelated) / (REFERENCE.answering - REFERENCE.unrelated);
        model.unrelated + along * spread
    };
    let scale = Scale { floor: carried(Scale::REFERENCE.floor), ceiling: carried(Scale::REFERENCE.ceiling) };
    (scale.ceiling > scale.floor).then_some(scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probes_are_pairs_of_a_question_and_a_titled_passage() {
        let (questions, passages) = texts();
        // REFERENCE was measured on exactly these: every line read, each passage one text.
        let lines = PROBES.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).count();
        assert_eq!((probes().len(), lines), (24, 24));
        for (_, passage) in probes() {
            let (title, body) = passage.split_once("\n\n").unwrap();
            assert_eq!(article_texts(title, body).len(), 1, "{passage}");
        }
        assert_eq!((questions.len(), passages.len()), (24, 24));
        assert_eq!(questions[0], "how long can I keep a borrowed book?");
        assert!(passages[0].starts_with("Loan periods and renewals\n\nBooks can be borrowed"));
    }

    #[test]
    fn anchors_average_own_and_other_pairs() {
        let n = probes().len();
        // Each question is its own passage's vector: answering 1, unrelated 0.
        let vectors: Vec<Vec<f32>> =
            (0..2 * n).map(|i| (0..n).map(|d| if d == i % n { 1.0 } else { 0.0 }).collect()).collect();
        assert_eq!(anchors(&vectors), Some(Anchors { unrelated: 0.0, answering: 1.0, own_first: 1.0 }));
        // Every text the same vector: nothing is closer than anything else.
        let same = vec![vec![1.0, 0.0]; 2 * n];
        assert_eq!(anchors(&same), Some(Anchors { unrelated: 1.0, answering: 1.0, own_first: 0.0 }));
        assert_eq!(anchors(&vectors[1..]), None, "one vector short");
    }

    #[test]
    fn the_reference_scale_is_carried_along_the_models_anchors() {
        let same = scale(REFERENCE).unwrap();
        assert!((same.floor - Scale::REFERENCE.floor).abs() < 1e-5, "{same:?}");
        assert!((same.ceiling - Scale::REFERENCE.ceiling).abs() < 1e-5, "{same:?}");
        // Everything higher and closer together, as bge-like models score.
        let spread = REFERENCE.answering - REFERENCE.unrelated;
        let higher = Anchors { unrelated: 0.5, answering: 0.5 + spread / 2.0, own_first: 0.9 };
        let carried = scale(higher).unwrap();
        let expected_floor = 0.5 + (Scale::REFERENCE.floor - REFERENCE.unrelated) / 2.0;
        assert!((carried.floor - expected_floor).abs() < 1e-5, "{carried:?}");
        assert!((carried.ceiling - carried.floor - 0.2).abs() < 1e-5, "half the spread: {carried:?}");
        let squeezed = scale(Anchors { unrelated: 0.8, answering: 0.82, own_first: 0.9 }).expect("a narrow band");
        assert!(squeezed.floor > 0.8 && squeezed.ceiling < 0.83, "{squeezed:?}");
        let blind = Anchors { unrelated: 0.3, answering: 0.6, own_first: 0.3 };
        assert_eq!(scale(blind), None, "finds the answer for fewer than half the questions");
        assert_eq!(scale(Anchors { unrelated: 0.5, answering: 0.3, own_first: 0.5 }), None);
    }
}
