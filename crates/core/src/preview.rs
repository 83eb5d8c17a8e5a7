//! "Try a question": what the bot would answer a contact, without writing anything, so an
//! operator can tune articles, rules and the confidence threshold.

use concierge_bot::knowledge::{Match, Reading};
use concierge_store::Article;

use super::decide::{self, Decision};
use super::{Error, Meaning, Principal, Result, Services};

pub struct Preview {
    pub decision: Decision,
    /// The ranked articles, in the order of `decision.hits`.
    pub articles: Vec<Article>,
    /// Whether a language model would write the answer (with the decision's text as fallback).
    pub llm: bool,
    /// The bot's confidence threshold, in percent.
    pub confidence_threshold: i64,
    /// How the knowledge search read the question; none when the knowledge base was not
    /// searched ([`Decision::searched`]).
    pub reading: Option<Reading>,
    /// For each ranked article, the words of `reading` it has: its lexical score is the sum
    /// of their shares, [`Match::credit`] of each, unless a way the article is asked matched
    /// best (the hit's `asked_as`): then these are the words the two questions share.
    pub words_found: Vec<ArticleWords>,
    /// Whether the question's meaning was compared, and on what scale.
    pub meaning: Meaning,
}

/// The words of a question that one article has.
#[derive(Debug, Default)]
pub struct ArticleWords {
    /// Themselves, in the title or the body.
    pub found: Vec<String>,
    /// A relative of theirs in the title ([`Match::TitleRelative`]).
    pub related: Vec<String>,
}

impl Services {
    pub async fn preview_answer(
        &self,
        who: &Principal,
        bot_id: &str,
        text: &str,
        contact_id: Option<&str>,
    ) -> Result<Preview> {
        let text = super::messages::message_text(text)?;
        let bot = self.bot_for(who, bot_id).await?;
        let contact = match contact_id.filter(|id| !id.is_empty()) {
            Some(id) => match self.store.get_contact(id).await? {
                Some(c) if c.bot_id == bot.id => Some(decide::facts(&c)),
                _ => return Err(Error::NotFound("contact")),
            },
            None => None,
        };
        let knowledge = self.knowledge(&bot).await?;
        let llm = self.llm_config(&bot.id).await?.is_some();
        let decision = self.decide(&bot, &knowledge, contact.as_ref(), &text, llm).await;
        let reading = decision.searched().then(|| knowledge.index.reading(&text));
        let (articles, words_found) = decision
            .hits
            .iter()
            .filter_map(|hit| {
                let article = knowledge.articles.get(&hit.article_id)?.clone();
                let mut words = ArticleWords::default();
                for (word, how) in reading.iter().flat_map(|r| knowledge.index.words_found(r, &hit.article_id)) {
                    match how {
                        Match::Itself => words.found.push(word.word.clone()),
                        Match::TitleRelative => words.related.push(word.word.clone()),
                    }
                }
                Some((article, words))
            })
            .unzip();
        let meaning = self.meaning();
        let confidence_threshold = bot.confidence_threshold;
        Ok(Preview { decision, articles, llm, confidence_threshold, reading, words_found, meaning })
    }
}
