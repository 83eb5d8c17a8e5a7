//! One confidence from an article's words and its meaning, on the 0–1 scale the bot's
//! threshold (in percent) is compared with.
//!
//! The cosine of two sentence embeddings is not a probability: for all-MiniLM-L6-v2 and
//! models of its kind, texts on unrelated subjects score about 0.0–0.3 and a question with
//! the article that answers it about 0.5–0.8. So the cosine is mapped linearly from
//! [`FLOOR`] (0) to [`CEILING`] (1), and blended with the lexical confidence, the meaning
//! weighing [`SEMANTIC_WEIGHT`]. A question whose every word is in the article but whose
//! meaning the model finds unrelated blends to 0.4, barely past the default threshold of
//! 35 %; a paraphrase without a common word needs a cosine of about 0.53 to pass it, and a
//! vague likeness (below that) with no common word is handed to a person.
//!
//! Measured on three sets of 30 questions (docs/benchmarks.md): at the default threshold
//! the blend answers 64 right and 2 wrong, against 55 right and 8 wrong on words alone;
//! the meaning alone answers up to 70 right but also invents more (7 to 10 wrong). The
//! grid of neighbouring choices: `examples/blend_grid.rs`.

/// The cosine at and below which two texts count as unrelated.
pub const FLOOR: f32 = 0.3;
/// The cosine at and above which a text counts as saying what the question asks.
pub const CEILING: f32 = 0.7;
/// The share of the meaning in the blend; the words have the rest.
pub const SEMANTIC_WEIGHT: f32 = 0.6;

/// `lexical` alone without a cosine (or one that is not a number); with one, the blend.
pub fn blend(lexical: f32, cosine: Option<f32>) -> f32 {
    match cosine.filter(|c| c.is_finite()) {
        None => lexical,
        Some(cosine) => {
            let meaning = ((cosine - FLOOR) / (CEILING - FLOOR)).clamp(0.0, 1.0);
            ((1.0 - SEMANTIC_WEIGHT) * lexical + SEMANTIC_WEIGHT * meaning).clamp(0.0, 1.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_judges_count_on_the_threshold_scale() {
        assert_eq!(blend(0.8, None), 0.8);
        assert!((blend(1.0, Some(0.1)) - 0.4).abs() < 1e-6, "words alone weigh 0.4");
        assert!(blend(0.5, Some(0.2)) < 0.35, "half the words and an unrelated meaning are not enough");
        assert!(blend(0.0, Some(CEILING)) > 0.35, "a close paraphrase is answered");
        assert!(blend(0.0, Some(0.45)) < 0.35, "a vague likeness is not");
        assert_eq!(blend(1.0, Some(1.0)), 1.0);
        assert_eq!(blend(0.0, Some(-0.5)), 0.0);
        assert_eq!(blend(0.7, Some(f32::NAN)), 0.7, "a broken vector says nothing");
    }
}
