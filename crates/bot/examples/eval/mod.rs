//! What the examples share: the question sets read, every question judged against every
//! article, and the tally at the default threshold.

use concierge_bot::semantic::{article_texts, closest};
use concierge_bot::{Article, KnowledgeIndex};

pub const THRESHOLD: f32 = 0.35;

/// One question: what it expects, and each article's (title, lexical, cosine, BM25).
pub struct Asked {
    pub expect: Option<String>,
    pub scores: Vec<(String, f32, f32, f32)>,
}

/// The question sets at `paths`.
pub fn sets(paths: impl Iterator<Item = String>) -> Vec<serde_json::Value> {
    paths.map(|path| serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()).collect()
}

/// Every question of `set` with every article's lexical confidence, BM25 score and cosine,
/// texts embedded by `embed` (each article's passages end to end, as the service stores them).
pub fn questions(set: &serde_json::Value, embed: impl Fn(&str) -> Vec<f32>) -> Vec<Asked> {
    let articles: Vec<Article> = set["articles"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, a)| Article {
            id: i.to_string(),
            title: a["title"].as_str().unwrap().to_owned(),
            body: a["body"].as_str().unwrap().to_owned(),
            asked_as: Vec::new(),
        })
        .collect();
    let index = KnowledgeIndex::build(&articles).unwrap();
    let vectors: Vec<Vec<f32>> =
        articles.iter().map(|a| article_texts(&a.title, &a.body).iter().flat_map(|t| embed(t)).collect()).collect();
    set["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            let text = q["q"].as_str().unwrap();
            let question = embed(text);
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
            Asked { expect: q["expect"].as_str().map(str::to_owned), scores }
        })
        .collect()
}

/// The best article by `confidence`, BM25 breaking ties as the search does, answers when
/// it reaches the threshold.
pub fn tally(asked: &[Asked], confidence: impl Fn(f32, f32) -> f32) -> String {
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
