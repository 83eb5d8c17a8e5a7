//! Time per question of the knowledge-base search at 1,000 articles (issue 15: at most
//! 5 ms), against a reference measured in the same run: a plain tantivy BM25 query of the
//! same analysed words over the same articles, which is the floor the search is built on.
//!
//!     cargo bench -p concierge-bot --bench knowledge
//!
//! The articles: the 12 of `../shared/eval/kb-questions.json` (or `KB_SET`) and 988
//! generated from the English word-frequency list (data/en-zipf.txt: 3–6 word titles,
//! 20–80 word bodies, words drawn in proportion to their frequency), so the corpus has the
//! size and the word distribution of a large help center. The questions: the set's 30.
//! With `KB_SECTIONS=N`, each generated body is N paragraphs of 40–80 words instead, as
//! long help-centre articles are (`KB_SET=data/eval/fitness-app.json KB_SECTIONS=6`: some
//! 6,000 passages).
//!
//! With `EMBEDDING_MODEL=DIR` (a sentence-embedding model, `scripts/embedding-model`), also
//! the time with the model: the question's embedding, which is most of it, and the hybrid
//! search over 1,000 articles' vectors (made once, before timing).

// A benchmark, like the tests: a malformed set stops it with the panic's message.
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use concierge_bot::knowledge::hybrid::Scale;
use concierge_bot::semantic::article_texts;
use concierge_bot::{Article, KnowledgeIndex, LocalModel};
use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;
use tantivy::schema::{Schema, STORED, TEXT};
use tantivy::{doc, Index};

const ARTICLES: usize = 1000;
const ROUNDS: usize = 50;

/// A small deterministic generator: the same corpus on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn corpus() -> (Vec<Article>, Vec<String>) {
    let path = std::env::var("KB_SET").unwrap_or_else(|_| "../../../shared/eval/kb-questions.json".into());
    let set: serde_json::Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| panic!("no question set at {path} (set KB_SET)"));
    let mut articles: Vec<Article> = set["articles"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, a)| Article {
            id: format!("real-{i}"),
            title: a["title"].as_str().unwrap().to_owned(),
            body: a["body"].as_str().unwrap().to_owned(),
            asked_as: Vec::new(),
        })
        .collect();
    let questions = set["questions"].as_array().unwrap().iter().map(|q| q["q"].as_str().unwrap().to_owned()).collect();

    // Words in proportion to their frequency (10^zipf), by inverse transform sampling.
    let words: Vec<(String, f64)> = include_str!("../data/en-zipf.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(' ').map(|(w, z)| (w.to_owned(), 10f64.powf(z.parse().unwrap_or(0.0)))))
        .collect();
    let total: f64 = words.iter().map(|(_, f)| f).sum();
    let mut cumulative = Vec::with_capacity(words.len());
    let mut sum = 0.0;
    for (_, f) in &words {
        sum += f / total;
        cumulative.push(sum);
    }
    let mut rng = Lcg(42);
    let mut draw = |n: usize| -> String {
        (0..n)
            .map(|_| {
                let x = (rng.next() % 1_000_000) as f64 / 1_000_000.0;
                let i = cumulative.partition_point(|c| *c < x).min(words.len() - 1);
                words[i].0.as_str()
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut lengths = Lcg(7);
    let sections: usize = std::env::var("KB_SECTIONS").ok().and_then(|n| n.parse().ok()).unwrap_or(0);
    while articles.len() < ARTICLES {
        let title = draw(3 + (lengths.next() % 4) as usize);
        let body = match sections {
            0 => draw(20 + (lengths.next() % 61) as usize),
            n => (0..n).map(|_| draw(40 + (lengths.next() % 41) as usize)).collect::<Vec<_>>().join("\n\n"),
        };
        articles.push(Article { id: format!("gen-{}", articles.len()), title, body, asked_as: Vec::new() });
    }
    (articles, questions)
}

/// Mean microseconds per call of `f` over the questions, `ROUNDS` times.
fn time(questions: &[String], mut f: impl FnMut(&str)) -> f64 {
    for q in questions {
        f(q); // warm-up
    }
    let started = Instant::now();
    for _ in 0..ROUNDS {
        for q in questions {
            f(q);
        }
    }
    started.elapsed().as_secs_f64() * 1e6 / (ROUNDS * questions.len()) as f64
}

fn main() {
    let (articles, questions) = corpus();
    let built = Instant::now();
    let index = KnowledgeIndex::build(&articles).expect("an index");
    let build_ms = built.elapsed().as_secs_f64() * 1000.0;

    // The reference: tantivy's default English text field and BM25, no synonyms, no prior,
    // no coverage pass.
    let mut schema = Schema::builder();
    let title = schema.add_text_field("title", TEXT | STORED);
    let body = schema.add_text_field("body", TEXT);
    let plain = Index::create_in_ram(schema.build());
    let mut writer = plain.writer(50_000_000).expect("a writer");
    for a in &articles {
        writer.add_document(doc!(title => a.title.as_str(), body => a.body.as_str())).expect("added");
    }
    writer.commit().expect("committed");
    let reader = plain.reader().expect("a reader");
    let mut parser = QueryParser::for_index(&plain, vec![title, body]);
    parser.set_conjunction_by_default();
    parser.set_field_boost(title, 2.0);
    let searcher = reader.searcher();
    let escape = |q: &str| q.chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect::<String>();
    let reference = time(&questions, |q| {
        let query = parser.parse_query_lenient(&escape(q).split_whitespace().collect::<Vec<_>>().join(" OR ")).0;
        let _ = searcher.search(&query, &TopDocs::with_limit(3).order_by_score());
    });
    let ours = time(&questions, |q| {
        let _ = index.search(q, 3);
    });
    // Each question with one slip in its longest word (its third letter dropped), so that
    // the typo reading (`knowledge/typos.rs`) looks through the articles' words.
    let mistyped: Vec<String> = questions
        .iter()
        .map(|q| {
            let longest = q.split_whitespace().max_by_key(|w| w.len()).unwrap_or_default();
            let slipped: String = longest.chars().enumerate().filter(|(i, _)| *i != 2).map(|(_, c)| c).collect();
            q.replacen(longest, &slipped, 1)
        })
        .collect();
    let typos = time(&mistyped, |q| {
        let _ = index.search(q, 3);
    });
    // Every article also asked in three ways, as a team that answers its unanswered
    // questions with articles teaches them: each way one more passage, judged as a
    // question. One of them is one of the questions asked, so they are found.
    let taught: Vec<Article> = articles
        .iter()
        .enumerate()
        .map(|(i, a)| Article {
            asked_as: vec![
                format!("how do i {}", a.title.to_lowercase()),
                format!("{} is not working", a.title.to_lowercase()),
                questions[i % questions.len()].clone(),
            ],
            ..a.clone()
        })
        .collect();
    let built = Instant::now();
    let taught_index = KnowledgeIndex::build(&taught).expect("an index");
    let taught_build_ms = built.elapsed().as_secs_f64() * 1000.0;
    let with_ways = time(&questions, |q| {
        let _ = taught_index.search(q, 3);
    });
    println!("knowledge search, {} articles, {} questions × {ROUNDS} rounds", articles.len(), questions.len());
    println!("  index build: {build_ms:.1} ms");
    println!("  reference (tantivy BM25 query alone): {:.1} µs per question", reference);
    println!("  Concierge search (synonyms, coverage ordering): {:.1} µs per question", ours);
    println!("  ratio: {:.2}× the reference; {:.3} ms per question (target ≤ 5 ms)", ours / reference, ours / 1000.0);
    println!(
        "  the same questions with a typo each: {typos:.1} µs per question ({:.2}× the reference)",
        typos / reference
    );
    println!(
        "  every article also asked in 3 ways: {with_ways:.1} µs per question ({:.2}× the reference); index build {taught_build_ms:.1} ms",
        with_ways / reference
    );

    let Some(dir) = std::env::var_os("EMBEDDING_MODEL") else { return };
    let model = LocalModel::load(std::path::Path::new(&dir)).unwrap();
    let made = Instant::now();
    let vectors: Vec<Option<Vec<f32>>> =
        articles.iter().map(|a| Some(passage_vectors(&model, &a.title, &a.body))).collect();
    let embed_ms = made.elapsed().as_secs_f64() * 1000.0;
    let index = KnowledgeIndex::build(&articles).unwrap().with_vectors(vectors, Scale::REFERENCE);
    let question_vectors: Vec<Vec<f32>> = questions.iter().map(|q| model.embed(q).unwrap()).collect();
    // The model is slow enough that fewer rounds give a steady figure.
    let embedding = time(&questions[..10], |q| {
        let _ = model.embed(q);
    });
    let mut next = 0;
    let hybrid = time(&questions, |q| {
        let _ = index.search_with(q, Some(&question_vectors[next % questions.len()]), 3);
        next += 1;
    });
    println!("  with the embedding model ({})", model.key());
    println!("    article vectors: {embed_ms:.0} ms for {} articles", articles.len());
    println!("    question embedding: {:.0} µs per question", embedding);
    println!("    hybrid search (vectors given): {:.1} µs per question", hybrid);
    println!(
        "    together: {:.2} ms per question, {:.0}× the lexical search (target ≤ 5 ms is for the search without a model)",
        (embedding + hybrid) / 1000.0,
        (embedding + hybrid) / ours
    );
}

/// An article's vectors as the service stores them: its passages' end to end.
fn passage_vectors(model: &LocalModel, title: &str, body: &str) -> Vec<f32> {
    article_texts(title, body).iter().flat_map(|text| model.embed(text).unwrap()).collect()
}
