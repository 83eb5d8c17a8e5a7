//! The bot's brain, as a pure library: no database, no HTTP server. The service layer feeds
//! it a bot's settings, the visitor's verified contact facts and the message, and decides
//! what to do with the result; everything here is a function of its inputs, so it is tested
//! without either.
//!
//! For one visitor message the parts are used roughly in this order: [`intent()`] (does the
//! visitor want a person, or just say hello?), [`first_match`] over the bot's [`Rule`]s
//! (answer or hand off on the contact's metadata), [`KnowledgeIndex::search`] (which
//! articles answer the question, and how sure that is), then either an article's answer
//! rendered with [`render`] or a [`prompt::build`] prompt streamed from the language model by
//! [`LlmClient::stream`], whose Markdown [`markdown_to_styled`] turns into what the widget
//! shows: plain text and the ranges it emphasises.
//!
//! Module map:
//! - `intent`: human / greeting / thanks / question, by words.
//! - `knowledge`: the BM25 index of a bot's articles and the confidence of a hit.
//! - `rules`: per-bot rules on contact metadata; their wire format and validation.
//! - `template`: answers and greetings personalised from verified contact facts
//!   (minijinja), and Markdown to plain text.
//! - `prompt`: the language model's messages, each part within its size budget.
//! - `semantic`: sentence embeddings from a local model or an embeddings API.
//! - `llm`: the streaming client for an OpenAI-compatible API, behind the outbound guard.

pub mod excerpt;
pub mod intent;
pub mod knowledge;
pub mod llm;
pub mod prompt;
pub mod rules;
pub mod semantic;
pub mod template;

pub use intent::{intent, Intent};
pub use knowledge::{Article, Hit, KnowledgeError, KnowledgeIndex};
pub use llm::{LlmClient, LlmConfig, LlmError, MAX_ANSWER_CHARS, MAX_ANSWER_TIME};
pub use prompt::{ChatMessage, PromptInput, MAX_HISTORY_CHARS, MAX_PASSAGES_CHARS, MAX_PROFILE_CHARS};
pub use rules::{
    first_match, validate, Action, Condition, Op, Priority, Rule, RuleError, MAX_CONDITIONS, MAX_NAME_CHARS, MAX_RULES,
    MAX_TEXT_CHARS,
};
pub use semantic::{EmbedError, Embedder, LocalModel, Prefixes, RemoteConfig, RemoteEmbeddings};
pub use template::{
    check, markdown_to_styled, markdown_to_text, render, ContactFacts, TemplateError, MAX_RENDERED_BYTES,
};

/// The words of `text` as written: its runs of letters and digits, whatever separates them.
pub(crate) fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
}
