//! How the hybrid confidence's three numbers (`knowledge/hybrid.rs`) were chosen, and how
//! the neighbouring choices do: every question of the given sets against every article,
//! with the real lexical confidence and the real model's cosine, then right / wrong /
//! missed at the default threshold for a grid of blends (docs/benchmarks.md).
//!
//!     EMBEDDING_MODEL=target/models/all-MiniLM-L6-v2 cargo run --release -p concierge-bot \
//!         --example blend_grid -- ../shared/eval/kb-questions.json crates/bot/data/eval/*.json

// A measuring tool, like the benchmarks: a malformed set stops it with the panic's message.
#![allow(clippy::unwrap_used)]

use concierge_bot::semantic::{article_texts, closest};
use concierge_bot::{Article, KnowledgeIndex, LocalModel};

const THRESHOLD: f32 = 0.35;

/// One question: what it expects, and each article's (title, lexical, cosine, BM25).
struct Asked {
    expect: Option<String>,
    scores: Vec<(String, f32, f32, f32)>,
}

fn main() {
    let model = LocalModel::load(std::path::Path::new(&std::env::var("EMBEDDING_MODEL").unwrap())).unwrap();
    let mut asked = Vec::new();
    for path in std::env::args().skip(1) {
        let set: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let articles: Vec<Article> = set["articles"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, a)| Article {
                id: i.to_string(),
                title: a["title"].as_str().unwrap().to_owned(),
                body: a["body"].as_str().unwrap().to_owned(),
            })
            .collect();
        let index = KnowledgeIndex::build(&articles).unwrap();
        // Each article's passages' vectors end to end, as the service stores them.
        let vectors: Vec<Vec<f32>> = articles
            .iter()
            .map(|a| article_texts(&a.title, &a.body).iter().flat_map(|t| model.embed(t).unwrap()).collect())
            .collect();
        for q in set["questions"].as_array().unwrap() {
            let text = q["q"].as_str().unwrap();
            let question = model.embed(text).unwrap();
            let hits = index.search(text, articles.len());
            let scores = articles
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let hit = hits.iter().find(|h| h.article_id == a.id);
                    let (lexical, bm25) = hit.map_or((0.0, 0.0), |h| (h.lexical, h.score));
                    (a.title.clone(), lexical, closest(&question, &vectors[i]).unwrap_or(0.0), bm25)
                })
                .collect();
            asked.push(Asked { expect: q["expect"].as_str().map(str::to_owned), scores });
        }
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

/// The best article by `confidence`, BM25 breaking ties as the search does, answers when
/// it reaches the threshold.
fn tally(asked: &[Asked], confidence: impl Fn(f32, f32) -> f32) -> String {
    let (mut right, mut wrong, mut missed) = (0, 0, 0);
    for question in asked {
        let best = question
            .scores
            .iter()
            .map(|(title, lexical, cos, bm25)| (confidence(*lexical, *cos), *bm25, title))
            .max_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        match best.filter(|(c, _, _)| *c >= THRESHOLD) {
            Some((_, _, title)) if question.expect.as_ref() == Some(title) => right += 1,
            Some(_) => wrong += 1,
            None if question.expect.is_none() => right += 1,
            None => missed += 1,
        }
    }
    format!("{right}/{wrong}/{missed}")
}
