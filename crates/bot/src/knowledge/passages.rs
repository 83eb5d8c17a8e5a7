//! An article's body in passages: its sections and paragraphs, each small enough to be
//! about one thing.
//!
//! A help-centre article of 500 words covers pairing, errors on Android and moving to a new
//! phone; taken whole, almost any question's words are somewhere in it, and a sentence
//! embedding of it is cut off by the model after about 200 words. So the search judges
//! each passage with the article's title, and an article is as good as its best passage:
//! a question is answered by the section that has its words (or its meaning), not by words
//! scattered over six sections. An article of one paragraph is one passage, judged as
//! before.
//!
//! Passages are the blocks between blank lines, a short block (a heading, a one-line
//! note) joined to the block after it, and a block longer than [`MAX_WORDS`] cut at its
//! sentence or line ends.

use std::ops::Range;

/// A passage shorter than this is joined to the next: a heading belongs with its section.
pub const MIN_WORDS: usize = 30;
/// A block longer than this is cut at sentence or line ends: a sentence-embedding model
/// reads about 256 word pieces (all-MiniLM-L6-v2), some 180 words with the title.
pub const MAX_WORDS: usize = 180;

/// What the search reads of each passage of `body`, an article's body as the operator wrote
/// it: the passage without its template tags (`crate::template::without_tags`). Passages
/// are cut from the template itself, so that the passage the search finds is a piece of the
/// template the bot can answer with.
pub fn searchable(body: &str) -> Vec<String> {
    passages(body).into_iter().map(|passage| crate::template::without_tags(passage).trim().to_owned()).collect()
}

/// The passages of `body`, in order, as slices of it; one (the body) when it has no more.
/// Their text covers the body's words, each once.
pub fn passages(body: &str) -> Vec<&str> {
    let mut pieces: Vec<Range<usize>> = Vec::new();
    for block in blocks(body) {
        pieces.extend(cut(body, block));
    }
    let mut merged: Vec<Range<usize>> = Vec::new();
    let mut open: Option<Range<usize>> = None;
    for piece in pieces {
        let current = match open.take() {
            Some(open) => open.start..piece.end,
            None => piece,
        };
        if words(&body[current.clone()]) >= MIN_WORDS {
            merged.push(current);
        } else {
            open = Some(current);
        }
    }
    if let Some(rest) = open {
        match merged.last_mut() {
            Some(last) => last.end = rest.end,
            None => merged.push(rest),
        }
    }
    if merged.is_empty() {
        return vec![body.trim()];
    }
    merged.into_iter().map(|range| body[range].trim()).collect()
}

fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

/// The byte ranges of the runs of non-blank lines.
fn blocks(body: &str) -> Vec<Range<usize>> {
    let mut blocks = Vec::new();
    let mut start: Option<usize> = None;
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        let blank = line.trim().is_empty();
        match (blank, start) {
            (false, None) => start = Some(offset),
            (true, Some(from)) => {
                blocks.push(from..offset);
                start = None;
            }
            _ => {}
        }
        offset += line.len();
    }
    if let Some(from) = start {
        blocks.push(from..body.len());
    }
    blocks
}

/// `block` in pieces of at most [`MAX_WORDS`], cut after a sentence or a line where it can,
/// between words where a sentence alone is longer.
fn cut(body: &str, block: Range<usize>) -> Vec<Range<usize>> {
    if words(&body[block.clone()]) <= MAX_WORDS {
        return vec![block];
    }
    let mut pieces = Vec::new();
    let mut piece_start = block.start;
    let mut piece_words = 0;
    for unit in units(body, block.clone()) {
        let unit_words = words(&body[unit.clone()]);
        if piece_words > 0 && piece_words + unit_words > MAX_WORDS {
            pieces.push(piece_start..unit.start);
            piece_start = unit.start;
            piece_words = 0;
        }
        if unit_words > MAX_WORDS {
            let mut chunk_start = unit.start;
            for (index, at) in word_starts(body, unit.clone()).enumerate() {
                if index > 0 && index % MAX_WORDS == 0 {
                    pieces.push(chunk_start..at);
                    chunk_start = at;
                }
            }
            piece_start = chunk_start;
            piece_words = words(&body[chunk_start..unit.end]);
        } else {
            piece_words += unit_words;
        }
    }
    pieces.push(piece_start..block.end);
    pieces.into_iter().filter(|p| words(&body[p.clone()]) > 0).collect()
}

/// The sentences and lines of `block`: each ends after a line break, or after ".", "!" or
/// "?" followed by white space.
fn units(body: &str, block: Range<usize>) -> Vec<Range<usize>> {
    let text = &body[block.clone()];
    let mut units = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let next_is_space = chars.peek().is_some_and(|(_, n)| n.is_whitespace());
        if c == '\n' || (matches!(c, '.' | '!' | '?') && next_is_space) {
            let end = at + c.len_utf8();
            units.push(block.start + start..block.start + end);
            start = end;
        }
    }
    if start < text.len() {
        units.push(block.start + start..block.end);
    }
    units
}

/// The byte offset in `body` of each word of `range`.
fn word_starts(body: &str, range: Range<usize>) -> impl Iterator<Item = usize> + '_ {
    let text = &body[range.clone()];
    text.split_whitespace().map(move |word| range.start + (word.as_ptr() as usize - text.as_ptr() as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentence(n: usize, word: &str) -> String {
        let mut s = vec![word; n].join(" ");
        s.push('.');
        s
    }

    #[test]
    fn a_paragraph_is_one_passage() {
        assert_eq!(passages("Refunds take five days."), vec!["Refunds take five days."]);
        assert_eq!(passages(""), vec![""]);
        assert_eq!(passages("  \n\n "), vec![""]);
    }

    #[test]
    fn sections_are_passages_and_headings_go_with_them() {
        let pairing = sentence(40, "pair");
        let android = sentence(35, "android");
        let body = format!("Before you start\n{pairing}\n\nPairing fails on Android\n\n{android}\n");
        assert_eq!(
            passages(&body),
            vec![format!("Before you start\n{pairing}"), format!("Pairing fails on Android\n\n{android}")]
        );
    }

    #[test]
    fn a_short_last_block_joins_the_one_before() {
        let body = format!("{}\n\nStill need help? Chat with us.", sentence(40, "a"));
        assert_eq!(passages(&body), vec![body.as_str()]);
        let short = "One line.\n\nAnother line.";
        assert_eq!(passages(short), vec![short]);
    }

    #[test]
    fn long_blocks_are_cut_at_sentence_ends() {
        let body = format!("{} {} {}", sentence(100, "a"), sentence(100, "b"), sentence(100, "c"));
        let got = passages(&body);
        assert_eq!(got, vec![sentence(100, "a"), sentence(100, "b"), sentence(100, "c")]);
        assert!(got.iter().all(|p| words(p) <= MAX_WORDS));
    }

    #[test]
    fn a_sentence_longer_than_a_passage_is_cut_between_words() {
        let body = vec!["word"; 400].join(" ");
        let got = passages(&body);
        assert_eq!(got.iter().map(|p| words(p)).collect::<Vec<_>>(), vec![180, 180, 40]);
    }

    #[test]
    fn every_word_is_in_one_passage() {
        let body = format!(
            "Intro é ü 漢字.\n\n{}\n{}\r\n\r\n{}\n\nEnd.",
            sentence(150, "x"),
            sentence(90, "y"),
            vec!["z"; 500].join(" ")
        );
        let joined: Vec<&str> = passages(&body).iter().flat_map(|p| p.split_whitespace()).collect();
        assert_eq!(joined, body.split_whitespace().collect::<Vec<_>>());
    }
}
