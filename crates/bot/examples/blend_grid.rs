//! How the hybrid confidence's three numbers (`knowledge/hybrid.rs`) were chosen, and how
//! the neighbouring choices do: every question of the given sets against every article,
//! with the real lexical confidence and the real model's cosine, then right / wrong /
//! missed at the default threshold for a grid of blends (docs/benchmarks.md).
//!
//!     EMBEDDING_MODEL=target/models/all-MiniLM-L6-v2 cargo run --release -p concierge-bot \
//!         --example blend_grid -- ../shared/eval/kb-questions.json crates/bot/data/eval/*.json

// A measuring tool, like the benchmarks: a malformed set stops it with the panic's message.
#![allow(clippy::unwrap_used)]

use concierge_bot::LocalModel;
use eval::{questions, sets, tally, THRESHOLD};

mod eval;

fn main() {
    let model = LocalModel::load(std::path::Path::new(&std::env::var("EMBEDDING_MODEL").unwrap())).unwrap();
    let mut asked = Vec::new();
    for set in sets(std::env::args().skip(1)) {
        asked.extend(questions(&set, |text| model.embed(text).unwrap()));
    }
    println!("{} questions; right / wrong / missed at a threshold of {THRESHOLD}", asked.len());
    println!("words alone: {}", tally(&asked, |lexical, _| lexical));
    for weight in [0.3f32, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0] {
        let row: Vec<String> = [(0.2f32, 0.6f32), (0.2, 0.7), (0.25, 0.7), (0.25, 0.8), (0.3, 0.7), (0.3, 0.8)]
            .iter()
            .map(|&(floor, ceiling)| {
                let blend = |lexical: f32, cos: f32| {
                    (1.0 - weight) * lexical + weight * ((cos - floor) / (ceiling - floor)).clamp(0.0, 1.0)
                };
                format!("{floor}–{ceiling}: {}", tally(&asked, blend))
            })
            .collect();
        println!("meaning weighs {weight}: {}", row.join("  "));
    }
}
