//! One confidence from an article's words and its meaning, on the 0–1 scale the bot's
//! threshold (in percent) is compared with.
//!
//! The cosine of two sentence embeddings is not a probability, and each model has its own
//! scale: for all-MiniLM-L6-v2, texts on unrelated subjects score about 0.0–0.3 and a
//! question with the article that answers it about 0.5–0.8; bge models put nearly every
//! pair above 0.6. So the cosine is mapped linearly from the
//! model's [`Scale::floor`] (0) to its [`Scale::ceiling`] (1), found for each model by
//! `semantic::calibration`, and blended with the lexical confidence, the meaning weighing
//! [`SEMANTIC_WEIGHT`]. A question whose every word is in the article but whose meaning the
//! model finds unrelated blends to 0.4, barely past the default threshold of 35 %; a
//! paraphrase without a common word needs a meaning of 0.58 (a cosine of about 0.53 with
//! all-MiniLM-L6-v2) to pass it, and a vague likeness with no common word is handed to a
//! person.
//!
//! Measured on three sets of 30 questions with all-MiniLM-L6-v2 (docs/benchmarks.md): at
//! the default threshold the blend answers 64 right and 2 wrong, against 55 right and 8
//! wrong on words alone; the meaning alone answers up to 70 right but also invents more (7
//! to 10 wrong). The grid of neighbouring choices: `examples/blend_grid.rs`.

/// The share of the meaning in the blend; the words have the rest.
pub const SEMANTIC_WEIGHT: f32 = 0.6;

/// Where one model's cosines lie.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// The cosine at and below which two texts count as unrelated.
    pub floor: f32,
    /// The cosine at and above which a text counts as saying what the question asks.
    pub ceiling: f32,
}

impl Scale {
    /// all-MiniLM-L6-v2's, chosen on the question sets with that model; another model's is
    /// this one carried over to where its cosines lie (`semantic::calibration`).
    pub const REFERENCE: Scale = Scale { floor: 0.3, ceiling: 0.7 };

    /// How close `cosine` says two texts are, from 0 (unrelated) to 1 (the same).
    pub fn meaning(self, cosine: f32) -> f32 {
        ((cosine - self.floor) / (self.ceiling - self.floor).max(f32::EPSILON)).clamp(0.0, 1.0)
    }

    /// `lexical` alone without a cosine (or one that is not a number); with one, the blend.
    pub fn blend(self, lexical: f32, cosine: Option<f32>) -> f32 {
        match cosine.filter(|c| c.is_finite()) {
            None => lexical,
            Some(cosine) => {
                ((1.0 - SEMANTIC_WEIGHT) * lexical + SEMANTIC_WEIGHT * self.meaning(cosine)).clamp(0.0, 1.0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_judges_count_on_the_threshold_scale() {
        let scale = Scale::REFERENCE;
        assert_eq!(scale.blend(0.8, None), 0.8);
        assert!((scale.blend(1.0, Some(0.1)) - 0.4).abs() < 1e-6, "words alone weigh 0.4");
        assert!(scale.blend(0.5, Some(0.2)) < 0.35, "half the words and an unrelated meaning are not enough");
        assert!(scale.blend(0.0, Some(scale.ceiling)) > 0.35, "a close paraphrase is answered");
        assert!(scale.blend(0.0, Some(0.45)) < 0.35, "a vague likeness is not");
        assert_eq!(scale.blend(1.0, Some(1.0)), 1.0);
        assert_eq!(scale.blend(0.0, Some(-0.5)), 0.0);
        assert_eq!(scale.blend(0.7, Some(f32::NAN)), 0.7, "a broken vector says nothing");
    }

    #[test]
    fn a_model_that_scores_everything_higher_needs_more_to_count() {
        let higher = Scale { floor: 0.6, ceiling: 0.85 };
        assert_eq!(higher.meaning(0.55), 0.0, "unrelated for this model");
        assert!(Scale::REFERENCE.meaning(0.55) > 0.6, "close for all-MiniLM-L6-v2");
        assert!((higher.meaning(0.725) - 0.5).abs() < 1e-6);
    }
}
