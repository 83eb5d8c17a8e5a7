//! What the bot does with a visitor's message, decided without writing anything
//! ([`Services::decide`]) so that the live bot and the dashboard's "Try a question" give
//! the same answer.
//!
//! Order: a request for a person wins (with the priority of a matching handoff rule);
//! then the first matching rule; then small talk; then the knowledge base, whose best
//! article must reach the bot's confidence threshold, else the bot says it is not sure
//! and hands the conversation to the team.

use concierge_bot::{
    excerpt, first_match, intent, template, Action, ContactFacts, Hit, Intent, Priority, Rule, TemplateError,
};
use concierge_domain::StyledText;
use concierge_store::{Bot, Contact};

use super::knowledge::Knowledge;
use super::Services;

/// How many articles are ranked, shown in a preview, and given to a language model.
pub const PASSAGES: usize = 3;
const THANKS: &str = "You're welcome! Anything else I can help with?";
/// The answer to a hello. Not the bot's greeting: the widget shows that above the
/// conversation already, and hearing it again word for word reads like a machine.
const HELLO: &str = "Hello{% if contact.name %}, {{ contact.name }}{% endif %}! What can I do for you?";

/// Why a conversation is handed to the team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandoffReason {
    /// The visitor asked for a person.
    Asked,
    /// A rule said so.
    Rule,
    /// No article was a confident enough match.
    NotSure,
}

impl HandoffReason {
    pub fn as_str(self) -> &'static str {
        match self {
            HandoffReason::Asked => "asked",
            HandoffReason::Rule => "rule",
            HandoffReason::NotSure => "not_sure",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// Say `text` (plain text with its emphasis, already rendered).
    Answer { text: StyledText },
    /// Say `text` and put the conversation in "waiting for an agent".
    Handoff { text: StyledText, priority: Priority, reason: HandoffReason },
    /// Let the bot's language model write the answer from the ranked articles; `fallback`
    /// (what the bot says from the best article, rendered) is said if the model fails or is
    /// too slow.
    Generate { fallback: StyledText },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub reply: Reply,
    /// The rule that decided, if one did.
    pub rule: Option<String>,
    /// The ranked articles, best first (empty when the knowledge base was not consulted).
    pub hits: Vec<Hit>,
}

impl Decision {
    /// Whether the knowledge base was searched, even if nothing matched: not when a rule,
    /// the visitor's asking for a person, or small talk decided first.
    pub fn searched(&self) -> bool {
        self.rule.is_none()
            && (!self.hits.is_empty() || matches!(self.reply, Reply::Handoff { reason: HandoffReason::NotSure, .. }))
    }
}

/// The verified facts about a contact that templates and rules may use. Only what the
/// customer's API answered is here: nothing the page claimed.
pub fn facts(contact: &Contact) -> ContactFacts {
    ContactFacts {
        name: contact.name.clone(),
        email: contact.email.clone(),
        phone_number: contact.phone_number.clone(),
        user_id: contact.external_id.clone(),
        metadata: contact.metadata.clone(),
    }
}

/// The bot's rules; rules that no longer parse (they were validated when saved) are
/// treated as none rather than breaking every answer.
pub fn rules(bot: &Bot) -> Vec<Rule> {
    serde_json::from_value(bot.rules.clone()).unwrap_or_else(|e| {
        tracing::warn!(bot_id = %bot.id, error = %e, "the bot's rules do not parse; answering without them");
        Vec::new()
    })
}

/// Renders a template for the contact; a template that fails at run time (it passed the
/// syntax check when saved) is logged and yields `None`.
pub fn render(source: &str, contact: Option<&ContactFacts>) -> Option<StyledText> {
    logged(template::render(source, contact))
}

/// A rendered template, or `None` with the failure logged.
/// What the bot says when it hands the conversation to the team, for `contact`.
pub(crate) fn handoff_text(bot: &Bot, contact: Option<&ContactFacts>) -> StyledText {
    render(&bot.handoff_text, contact).unwrap_or_default()
}

fn logged(rendered: Result<StyledText, TemplateError>) -> Option<StyledText> {
    rendered.inspect_err(|e| tracing::warn!(error = %e, "a template failed to render")).ok()
}

/// What the bot does before it looks at the knowledge base: a request for a person, a
/// rule, small talk. `None` when the knowledge base decides ([`from_knowledge`]), which is
/// when the message's embedding is worth making.
fn early(bot: &Bot, contact: Option<&ContactFacts>, message: &str) -> Option<Decision> {
    let rules = rules(bot);
    let rule = first_match(&rules, contact, message);
    let rule_name = rule.map(|r| r.name.clone());
    let handoff_text = || handoff_text(bot, contact);
    let kind = intent(message);

    if kind == Intent::Human {
        // A handoff rule for this contact still sets the priority; an answer rule yields.
        let handoff_rule = rule.filter(|r| matches!(r.then, Action::Handoff { .. }));
        let priority = match handoff_rule.map(|r| &r.then) {
            Some(Action::Handoff { priority, .. }) => *priority,
            _ => Priority::Normal,
        };
        return Some(Decision {
            reply: Reply::Handoff { text: handoff_text(), priority, reason: HandoffReason::Asked },
            rule: handoff_rule.map(|r| r.name.clone()),
            hits: Vec::new(),
        });
    }
    if let Some(rule) = rule {
        let reply = match &rule.then {
            Action::Answer { text } => match render(text, contact) {
                Some(text) => Reply::Answer { text },
                None => not_sure(bot, contact),
            },
            Action::Handoff { priority, text } => Reply::Handoff {
                text: text.as_deref().and_then(|t| render(t, contact)).unwrap_or_else(handoff_text),
                priority: *priority,
                reason: HandoffReason::Rule,
            },
        };
        return Some(Decision { reply, rule: rule_name, hits: Vec::new() });
    }
    let small_talk = match kind {
        Intent::Greeting => render(HELLO, contact),
        Intent::Thanks => Some(StyledText::plain(THANKS)),
        _ => None,
    };
    small_talk.map(|text| Decision { reply: Reply::Answer { text }, rule: None, hits: Vec::new() })
}

/// The best article when it reaches the bot's threshold (its passage that answers, when it
/// is long: `excerpt`), else a handoff; `question_vector` is the message's embedding, when
/// the deployment has a model.
fn from_knowledge(
    bot: &Bot,
    knowledge: &Knowledge,
    contact: Option<&ContactFacts>,
    message: &str,
    question_vector: Option<&[f32]>,
    llm: bool,
) -> Decision {
    let hits = knowledge.index.search_with(message, question_vector, PASSAGES);
    let best = hits
        .first()
        .filter(|hit| f64::from(hit.confidence) * 100.0 >= bot.confidence_threshold as f64)
        .and_then(|hit| Some((knowledge.articles.get(&hit.article_id)?, hit.passage)))
        .and_then(|(article, passage)| logged(excerpt::from_article(&article.title, &article.body, passage, contact)));
    let reply = match best {
        None => not_sure(bot, contact),
        Some(fallback) if llm => Reply::Generate { fallback },
        Some(text) => Reply::Answer { text },
    };
    Decision { reply, rule: None, hits }
}

impl Services {
    /// What the bot does with one message: the live bot and "Try a question" decide
    /// through this one path ([`Services::decide_all`]).
    pub(super) async fn decide(
        &self,
        bot: &Bot,
        knowledge: &Knowledge,
        contact: Option<&ContactFacts>,
        message: &str,
        llm: bool,
    ) -> Decision {
        let mut decided = self.decide_all(bot, knowledge, &[(contact, message)], llm).await;
        decided.pop().expect("one decision per message")
    }

    /// [`early`] for each message (each with its contact), else [`from_knowledge`] with the
    /// message's embedding, made only then, and for all such messages in one call; the
    /// decisions in the messages' order.
    pub(super) async fn decide_all(
        &self,
        bot: &Bot,
        knowledge: &Knowledge,
        messages: &[(Option<&ContactFacts>, &str)],
        llm: bool,
    ) -> Vec<Decision> {
        let early: Vec<Option<Decision>> =
            messages.iter().map(|(contact, message)| early(bot, *contact, message)).collect();
        let searched: Vec<&str> =
            messages.iter().zip(&early).filter(|(_, e)| e.is_none()).map(|((_, message), _)| *message).collect();
        let mut vectors = self.question_vectors(&bot.id, knowledge, &searched).await.into_iter();
        messages
            .iter()
            .zip(early)
            .map(|((contact, message), early)| {
                early.unwrap_or_else(|| {
                    let vector = vectors.next().flatten();
                    from_knowledge(bot, knowledge, *contact, message, vector.as_deref(), llm)
                })
            })
            .collect()
    }
}

fn not_sure(bot: &Bot, contact: Option<&ContactFacts>) -> Reply {
    Reply::Handoff {
        text: render(&bot.not_sure_text, contact).unwrap_or_default(),
        priority: Priority::Normal,
        reason: HandoffReason::NotSure,
    }
}
