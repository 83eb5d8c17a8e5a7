//! What the calibration (`semantic/calibration.rs`) does for models whose cosines lie
//! elsewhere than all-MiniLM-L6-v2's. No second real model can be fetched here, so this
//! one's vectors are warped as other models' differ: `shift` adds one shared direction to
//! every vector (texts that have nothing in common score 0.4–0.7, as with bge), `noise`
//! adds a direction of each text's own (everything scores lower). For each warp: the
//! model's anchors, its scale, and right / wrong / missed over the given sets with the
//! blend at the reference scale and at the measured one (docs/benchmarks.md).
//!
//!     EMBEDDING_MODEL=target/models/all-MiniLM-L6-v2 cargo run --release -p concierge-bot \
//!         --example model_scales -- ../shared/eval/kb-questions.json crates/bot/data/eval/*.json

// A measuring tool, like the benchmarks: a malformed set stops it with the panic's message.
#![allow(clippy::unwrap_used)]

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use concierge_bot::knowledge::hybrid::Scale;
use concierge_bot::semantic::{calibration, normalize};
use concierge_bot::LocalModel;
use eval::{questions, sets, tally};

mod eval;

#[derive(Clone, Copy, Debug)]
enum Warp {
    None,
    Shift(f32),
    Noise(f32),
}

/// A unit vector drawn from `seed`, the same every run.
fn direction(seed: u64, dims: usize) -> Vec<f32> {
    let mut state = seed | 1;
    let v = (0..dims)
        .map(|_| {
            // xorshift64*: enough for a direction, and no dependency.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f32 / (1u64 << 53) as f32 - 0.5
        })
        .collect();
    normalize(v)
}

fn warped(warp: Warp, text: &str, v: Vec<f32>) -> Vec<f32> {
    let (weight, seed) = match warp {
        Warp::None => return v,
        Warp::Shift(a) => (a, 7),
        Warp::Noise(b) => {
            let mut hasher = DefaultHasher::new();
            text.hash(&mut hasher);
            (b, hasher.finish())
        }
    };
    let d = direction(seed, v.len());
    normalize(v.iter().zip(&d).map(|(x, y)| x + weight * y).collect())
}

fn main() {
    let model = LocalModel::load(std::path::Path::new(&std::env::var("EMBEDDING_MODEL").unwrap())).unwrap();
    let embed = |warp: Warp, text: &str| warped(warp, text, model.embed(text).unwrap());
    let sets = sets(std::env::args().skip(1));
    for warp in [Warp::None, Warp::Shift(0.7), Warp::Shift(1.0), Warp::Shift(1.5), Warp::Noise(0.5), Warp::Noise(1.0)] {
        let (probe_questions, probe_passages) = calibration::texts();
        let probes: Vec<Vec<f32>> = probe_questions.iter().chain(&probe_passages).map(|t| embed(warp, t)).collect();
        let anchors = calibration::anchors(&probes).unwrap();
        let scale = calibration::scale(anchors);
        let mut asked = Vec::new();
        for set in &sets {
            asked.extend(questions(set, |text| embed(warp, text)));
        }
        let at = |scale: Scale| tally(&asked, |lexical, cosine| scale.blend(lexical, Some(cosine)));
        println!(
            "{warp:?}: unrelated {:.4}, answering {:.4}, own passage first {:.2}; scale {scale:?}\n  words alone {}  reference scale {}  measured scale {}",
            anchors.unrelated,
            anchors.answering,
            anchors.own_first,
            tally(&asked, |lexical, _| lexical),
            at(Scale::REFERENCE),
            scale.map_or_else(|| "words alone".to_owned(), at),
        );
    }
}
