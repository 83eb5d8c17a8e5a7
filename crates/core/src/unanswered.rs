//! The questions the bot handed to the team because no article was a confident enough
//! match: the articles a knowledge base lacks, in the visitors' own words. The bot records
//! them as it hands over; the operator reviews them, writes the missing articles, and
//! dismisses them. Each is decided again against today's knowledge base when listed, so
//! that an operator who wrote the article sees the bot now answers it.

use std::collections::HashMap;

use concierge_bot::knowledge::percent;
use concierge_bot::{ContactFacts, Hit};
use concierge_store::{AnswerWithArticle, AnsweredWith, Article, NewUnansweredQuestion, UnansweredQuestion as Stored};

use super::decide::{self, Decision, Reply};
use super::knowledge::{as_indexed, one_line, way_refused, Knowledge, MAX_ASKED_AS, MAX_ASKED_AS_CHARS};
use super::{now_ms, Error, Principal, Result, Services};

/// Questions per page unless asked otherwise, and at most. Each is decided again, and
/// those not asked in the last hour embedded in one call: with a local model, the visitors'
/// questions wait for it meanwhile.
pub const UNANSWERED_PAGE: u32 = 20;
pub const MAX_UNANSWERED_PAGE: u32 = 50;

/// An article as a question saw it, with the confidence in percent the bot had in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleMatch {
    pub article_id: String,
    pub title: String,
    pub confidence: u8,
}

/// What the bot does with the question today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Today {
    /// Whether the bot answers it now (from an article, a rule or small talk) instead of
    /// handing it to the team.
    pub answered: bool,
    /// The rule that decides now, if one does.
    pub rule: Option<String>,
    /// The best article now: the answer's when `answered`, else the closest.
    pub article: Option<ArticleMatch>,
}

/// A question the bot could not answer when it was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnansweredQuestion {
    /// Its message's `seq`: the question's id.
    pub seq: i64,
    pub conversation_id: String,
    /// The conversation's contact; `None` for an anonymous visitor.
    pub contact_id: Option<String>,
    pub text: String,
    pub asked_at: i64,
    /// The best article the bot had then (below the threshold); `None` when no article
    /// matched at all, or that article was deleted since.
    pub closest: Option<ArticleMatch>,
    pub today: Today,
}

/// A page of questions, newest first.
#[derive(Debug, Clone)]
pub struct UnansweredPage {
    pub items: Vec<UnansweredQuestion>,
    /// The `before` of the next page; `None` on the last.
    pub next_cursor: Option<i64>,
}

impl Services {
    /// Records that the bot handed the visitor's message `message_seq` to the team for want
    /// of an article; `hits` are the articles it ranked. A failure is logged, not
    /// returned: the visitor was answered, and the record is for the operator.
    pub(super) async fn record_unanswered(&self, bot_id: &str, message_seq: i64, hits: &[Hit]) {
        let closest = hits.first();
        let question = NewUnansweredQuestion {
            message_seq,
            bot_id,
            closest_article_id: closest.map(|hit| hit.article_id.as_str()),
            closest_confidence: closest.map(|hit| i64::from(percent(hit.confidence))),
            now: now_ms(),
        };
        if let Err(e) = self.store.record_unanswered(question).await {
            tracing::warn!(bot_id, error = %e, "an unanswered question could not be recorded");
        }
    }

    /// The bot's unanswered questions, newest first, those before the question `before`;
    /// `limit` 0 is [`UNANSWERED_PAGE`], and no more than [`MAX_UNANSWERED_PAGE`].
    pub async fn unanswered_questions(
        &self,
        who: &Principal,
        bot_id: &str,
        before: Option<i64>,
        limit: u32,
    ) -> Result<UnansweredPage> {
        let bot = self.bot_for(who, bot_id).await?;
        let limit = if limit == 0 { UNANSWERED_PAGE } else { limit.min(MAX_UNANSWERED_PAGE) };
        // One more than the page, so that a page that ends the list says so.
        let mut stored = self.store.list_unanswered(&bot.id, before, limit + 1).await?;
        let more = stored.len() > limit as usize;
        stored.truncate(limit as usize);
        let next_cursor = more.then(|| stored.last().map(|q| q.message_seq)).flatten();
        let knowledge = self.knowledge(&bot).await?;
        let llm = self.llm_config(&bot.id).await?.is_some();
        // Decided as the conversation's contact, as the live bot would: rules and
        // personalised answers depend on who asks.
        let mut ids: Vec<&str> = stored.iter().filter_map(|q| q.contact_id.as_deref()).collect();
        ids.sort_unstable();
        ids.dedup();
        let contacts: HashMap<String, ContactFacts> = self
            .store
            .get_contacts(&bot.id, &ids)
            .await?
            .into_iter()
            .map(|contact| (contact.id.clone(), decide::facts(&contact)))
            .collect();
        let asked: Vec<(Option<&ContactFacts>, &str)> =
            stored.iter().map(|q| (q.contact_id.as_deref().and_then(|id| contacts.get(id)), q.text.as_str())).collect();
        let decisions = self.decide_all(&bot, &knowledge, &asked, llm).await;
        let items = stored
            .iter()
            .zip(decisions)
            .map(|(question, decision)| {
                let closest = match (&question.closest_article_id, &question.closest_title) {
                    (Some(article_id), Some(title)) => Some(ArticleMatch {
                        article_id: article_id.clone(),
                        title: title.clone(),
                        confidence: question.closest_confidence.map_or(0, |c| c.clamp(0, 100) as u8),
                    }),
                    _ => None,
                };
                UnansweredQuestion {
                    seq: question.message_seq,
                    conversation_id: question.conversation_id.clone(),
                    contact_id: question.contact_id.clone(),
                    text: question.text.clone(),
                    asked_at: question.asked_at,
                    closest,
                    today: today(&knowledge, decision),
                }
            })
            .collect();
        Ok(UnansweredPage { items, next_cursor })
    }

    /// How many questions the bot has to review.
    pub async fn unanswered_count(&self, who: &Principal, bot_id: &str) -> Result<i64> {
        let bot = self.bot_for(who, bot_id).await?;
        Ok(self.store.count_unanswered(&bot.id).await?)
    }

    /// Removes the question `question_id` (its message's `seq`, as the caller was given it)
    /// from the list, once its article is written or it needs none.
    pub async fn dismiss_unanswered(&self, who: &Principal, bot_id: &str, question_id: &str) -> Result<()> {
        let bot = self.bot_for(who, bot_id).await?;
        if self.store.dismiss_unanswered(&bot.id, question_seq(question_id)?).await? {
            Ok(())
        } else {
            Err(Error::NotFound("question"))
        }
    }

    /// One question on the bot's list, as asked (not decided again).
    pub async fn unanswered_question(&self, who: &Principal, bot_id: &str, question_id: &str) -> Result<Stored> {
        let bot = self.bot_for(who, bot_id).await?;
        self.stored_question(&bot.id, question_id).await
    }

    async fn stored_question(&self, bot_id: &str, question_id: &str) -> Result<Stored> {
        let seq = question_seq(question_id)?;
        // The question just before `seq + 1`: this one, if the bot has it.
        let listed = self.store.list_unanswered(bot_id, seq.checked_add(1), 1).await?;
        listed.into_iter().find(|q| q.message_seq == seq).ok_or(Error::NotFound("question"))
    }

    /// Answers the question `question_id` with the article `article_id`, of the same bot:
    /// the question's words (or `wording`, the operator's edit of them: a way of asking is
    /// kept with the article, after the conversation is gone) become a way the article is
    /// asked, so that the bot answers them with it from now on, and the question leaves
    /// the list. Both or neither.
    pub async fn answer_unanswered_with(
        &self,
        who: &Principal,
        bot_id: &str,
        question_id: &str,
        article_id: &str,
        wording: Option<&str>,
    ) -> Result<Article> {
        let bot = self.bot_for(who, bot_id).await?;
        let question = self.stored_question(&bot.id, question_id).await?;
        if let Some(refused) = wording.and_then(way_refused) {
            return Err(Error::Validation(vec![refused]));
        }
        let asked_as = one_line(wording.unwrap_or(&question.text));
        if asked_as.chars().count() > MAX_ASKED_AS_CHARS {
            return Err(Error::NotNow {
                code: "question_too_long",
                message: format!(
                    "A way an article is asked has at most {MAX_ASKED_AS_CHARS} characters; give the gist of this \
                     question as the wording."
                ),
            });
        }
        let answer = AnswerWithArticle {
            bot_id: &bot.id,
            message_seq: question.message_seq,
            article_id,
            asked_as: &asked_as,
            max_asked_as: MAX_ASKED_AS,
            now: now_ms(),
        };
        match self.store.answer_with_article(answer).await? {
            AnsweredWith::Article(article) => {
                self.embed_article(&article.bot_id, &as_indexed(&article)).await;
                Ok(article)
            }
            AnsweredWith::QuestionNotFound => Err(Error::NotFound("question")),
            AnsweredWith::ArticleNotFound => Err(Error::NotFound("article")),
            AnsweredWith::Full => Err(Error::NotNow {
                code: "article_asked_as_full",
                message: format!(
                    "This article is asked in {MAX_ASKED_AS} ways already; remove one it no longer needs first."
                ),
            }),
        }
    }
}

/// The message `seq` a question id names, as the caller was given it; not a number: no
/// question has that id.
fn question_seq(question_id: &str) -> Result<i64> {
    question_id.parse::<i64>().map_err(|_| Error::NotFound("question"))
}

fn today(knowledge: &Knowledge, decision: Decision) -> Today {
    let answered = !matches!(decision.reply, Reply::Handoff { .. });
    let article = decision.hits.first().and_then(|hit| {
        let article = knowledge.articles.get(&hit.article_id)?;
        Some(ArticleMatch {
            article_id: article.id.clone(),
            title: article.title.clone(),
            confidence: percent(hit.confidence),
        })
    });
    Today { answered, rule: decision.rule, article }
}
