//! How common English words are: the 25,000 most frequent (`data/en-zipf.txt`, from
//! wordfreq), each with its Zipf frequency (log10 of occurrences per billion words).

use std::collections::HashMap;
use std::sync::LazyLock;

static ZIPF: LazyLock<HashMap<&'static str, f32>> = LazyLock::new(|| {
    include_str!("../../data/en-zipf.txt")
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            Some((fields.next()?, fields.next()?.parse().ok()?))
        })
        .collect()
});

/// Whether `word` (lower-case) is among English's 25,000 most frequent words.
pub(super) fn is_word(word: &str) -> bool {
    ZIPF.contains_key(word)
}

/// The Zipf frequency of `word` (lower-case); `None` for a word rarer than the 25,000th.
pub(super) fn zipf(word: &str) -> Option<f32> {
    ZIPF.get(word).copied()
}
