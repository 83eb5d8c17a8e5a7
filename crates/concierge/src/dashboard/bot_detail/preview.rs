//! "Try a question" on the knowledge base page: what the bot would answer a visitor (or
//! one of the bot's recent contacts), which article it would use and how sure it is. The
//! form is a GET: trying writes nothing.

use concierge_bot::knowledge::{percent, Match};
use concierge_bot::Hit;
use concierge_store::{Article, Page};
use minijinja::{context, Value};

use concierge_core::{ArticleWords, Error, HandoffReason, Meaning, Preview, Principal, Reply, Result, Services};

/// How many of the bot's contacts the picker offers, most recently signed in first.
const RECENT_CONTACTS: u32 = 50;

/// The form (question, contact picker) and, when a question was asked, the bot's answer.
pub(super) async fn try_question(
    s: &Services,
    who: &Principal,
    bot_id: &str,
    question: Option<&str>,
    contact: Option<&str>,
) -> Result<Value> {
    let page = Page { before: None, limit: RECENT_CONTACTS, search: None };
    let mut recent = s.list_contacts(who, bot_id, page).await?.items;
    let contact = contact.filter(|c| !c.is_empty());
    // A question from Unanswered questions comes with its asker, who may not be recent.
    if let Some(id) = contact.filter(|id| !recent.iter().any(|c| c.id == *id)) {
        match s.contact_for(who, id).await {
            Ok(asker) if asker.bot_id == bot_id => recent.insert(0, asker),
            Ok(_) | Err(Error::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let contacts: Vec<_> = recent
        .into_iter()
        .map(|c| {
            let label = match (c.name, c.email) {
                (Some(name), Some(email)) => format!("{name} ({email})"),
                (Some(name), None) => name,
                (None, Some(email)) => email,
                (None, None) => c.identifier,
            };
            context! { id => c.id, label }
        })
        .collect();
    let mut error = None;
    let mut contact_error = None;
    let mut result = None;
    if let Some(question) = question {
        match s.preview_answer(who, bot_id, question, contact).await {
            Ok(preview) => result = Some(outcome(preview)),
            Err(Error::Validation(errors)) => {
                error = Some(errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join(" "));
            }
            Err(Error::NotFound("contact")) => {
                contact_error = Some("This contact is not one of the bot's contacts any more; pick another.");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(context! {
        question => question.unwrap_or_default(), contact => contact.unwrap_or_default(), contacts,
        error, contact_error, result,
    })
}

/// Why the bot would hand the conversation to the team, in words.
fn reason_text(reason: HandoffReason, threshold: i64) -> String {
    match reason {
        HandoffReason::Asked => "the visitor asks for a person".to_owned(),
        HandoffReason::Rule => "a rule says so".to_owned(),
        HandoffReason::NotSure => format!("no article reaches the confidence threshold of {threshold}%"),
    }
}

fn outcome(preview: Preview) -> Value {
    let threshold = preview.confidence_threshold;
    let from_knowledge = preview.decision.rule.is_none();
    let searched = preview.decision.searched();
    let (action, text, reason, priority) = match preview.decision.reply {
        Reply::Answer { text } => ("answer", text.text, None, None),
        Reply::Handoff { text, priority, reason } => {
            ("handoff", text.text, Some(reason_text(reason, threshold)), Some(priority.as_str()))
        }
        Reply::Generate { fallback } => ("generate", fallback.text, None, None),
    };
    // The best article is the answer when it was confident enough and no rule decided.
    let answered_from = (action != "handoff" && from_knowledge).then_some(0);
    // The deployment has an embedding model, and the question's meaning was compared with the
    // articles': each article then shows its two scores. Without, the confidence is the
    // words' score, which the page says once rather than repeating it for every article.
    let meaning = preview.decision.hits.iter().any(|hit| hit.semantic.is_some());
    let meaning_scale = match preview.meaning {
        Meaning::On(scale) => Some(context! { unrelated => percent(scale.floor), close => percent(scale.ceiling) }),
        _ => None,
    };
    // The deployment has a model whose meaning does not count now: the page says why, or
    // an operator would take it for a deployment without one.
    let meaning_off = match preview.meaning {
        Meaning::Unmeasured => Some(
            "The embedding model has not answered since the server started, so questions are judged on their \
             words until it does.",
        ),
        Meaning::Unusable => Some(
            "The embedding model finds the text that answers a question no better than an unrelated one, so the \
             bot does not use it and judges questions on their words. Check the model the server is given.",
        ),
        Meaning::Off | Meaning::On(_) => None,
    };
    let articles: Vec<_> = preview
        .decision
        .hits
        .iter()
        .zip(preview.articles.iter().zip(&preview.words_found))
        .enumerate()
        .map(|(rank, (hit, (article, words))): (usize, (&Hit, (&Article, &ArticleWords)))| {
            // Compared as the bot compares, before rounding for display.
            let reaches = f64::from(hit.confidence) * 100.0 >= threshold as f64;
            let lacks: Vec<&str> = preview
                .reading
                .iter()
                .flat_map(|r| &r.words)
                .map(|w| w.word.as_str())
                .filter(|w| !words.found.iter().chain(&words.related).any(|f| f == w))
                .collect();
            context! {
                id => article.id.clone(), title => article.title.clone(), confidence => percent(hit.confidence),
                reaches, used => answered_from == Some(rank),
                words => percent(hit.lexical), meaning => hit.semantic.map(percent), has => words.found,
                related => words.related, lacks,
                asked_as => hit.asked_as.and_then(|way| article.asked_as.get(way).cloned()),
            }
        })
        .collect();
    let reading = preview.reading.as_ref().map(|r| {
        let words: Vec<_> = r.words.iter().map(|w| context! { word => w.word, weight => percent(w.weight) }).collect();
        context! { words, text => r.text, rewritten => r.rewritten }
    });
    context! {
        action, text, reason, priority, rule => preview.decision.rule, articles, threshold,
        searched, reading, llm => preview.llm, meaning, meaning_scale, meaning_off,
        related_credit => percent(Match::TitleRelative.credit()),
    }
}
