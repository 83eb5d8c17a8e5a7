//! How the knowledge search turns text into terms, the same for articles and questions.
//!
//! The stop words are a list of our own for questions rather than documents: Lucene's short
//! English list keeps "how", "do", "I" and "my", which every question has and few articles
//! contain, and which would pull the confidence of a perfect match down.

use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};

/// Tokens longer than this are not words (hashes, base64, URLs without separators).
const MAX_TOKEN_BYTES: usize = 40;
/// Common English words that say nothing about what a question is about: the Snowball
/// list, plus the words visitors wrap questions in ("how do I get", "I need to know").
/// Contraction fragments ("what's" is "what" and "s", "hasn't" is "hasn" and "t") are here too.
const STOP_WORDS: &str = "\
    a about above after again against all am an and any are aren as at be because been before being below between both \
    but by can cannot could couldn d did didn do does doesn doing don down during each few for from further get got had \
    hadn has hasn have haven having he \
    hello help her here hers herself hi him himself his how i if in into is isn it its itself just know ll m me might \
    more most must mustn my myself need needn no nor not now of off on once only or other our ours ourselves out over own \
    please re s same shall shan she should shouldn so some such t tell than thank thanks that the their theirs them \
    themselves then there these they this those through to too under until up ve very want was wasn we were weren what \
    when where which while who whom why will with would wouldn you your yours yourself yourselves";

/// The English analyzer: simple tokenizer, long tokens removed, lower-cased, stop words
/// removed, English stemmer.
pub(super) fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(StopWordFilter::remove(STOP_WORDS.split_whitespace().map(str::to_owned)))
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The analysed terms of `text`, in order, repeats included.
pub(super) fn analyse(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    tokens(analyzer, text).into_iter().map(|(term, _)| term).collect()
}

/// The analysed terms of `text` with the span of `text` each was read from.
pub(super) fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut stream = analyzer.token_stream(text);
    let mut tokens = Vec::new();
    while stream.advance() {
        let token = stream.token();
        tokens.push((token.text.clone(), token.offset_from..token.offset_to));
    }
    tokens
}
