//! Personalised answers and greetings: an operator's Markdown with Jinja expressions,
//! filled in from the contact's verified profile and turned into plain text.
//!
//! What a template can use: `contact.name`, `contact.email`, `contact.phone_number`,
//! `contact.user_id`, `contact.metadata.<path>` (any depth) and `contact.verified` (true
//! for a signed-in contact). For an anonymous visitor `contact` is undefined. Undefined
//! values chain ([`UndefinedBehavior::Chainable`]): a missing path prints nothing, is false
//! in `{% if %}` and takes `| default(...)` or `or "..."`, so a template never fails because
//! one visitor's profile lacks a field. Absent fields and JSON `null` metadata values are
//! undefined for the same reason.
//!
//! Everything a `{{ ... }}` prints is text, never Markdown or template code: the formatter
//! backslash-escapes every ASCII punctuation character (CommonMark lets any of them be
//! escaped), so after [`markdown_to_text`] a metadata value such as `[click](javascript:x)`,
//! `**x**` or `{{ 7*7 }}` appears exactly as it was (and `**x**` is not emphasised); line
//! breaks in a value become spaces, since a fact is one line. Rendering happens once, so a
//! value is never evaluated as a template. One place this cannot reach is a code span:
//! Markdown does not unescape inside backticks, so a value printed there shows its
//! backslashes. Fuel and an output cap stop a template
//! that would run away; there is no loader, so nothing can be included or imported.

mod markdown;

use std::fmt;
use std::io;

use concierge_domain::StyledText;
use minijinja::value::ValueKind;
use minijinja::{context, Environment, ErrorKind, UndefinedBehavior, Value};
use serde_json::{Map, Value as Json};

pub use markdown::{markdown_to_styled, markdown_to_text};

/// Template instructions one render may execute; a plain answer needs a few dozen.
const FUEL: u64 = 50_000;
/// The most a template may produce before Markdown is turned into text.
pub const MAX_RENDERED_BYTES: usize = 32 * 1024;

/// What a template may know about the visitor, all of it verified by the customer's API.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactFacts {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub user_id: Option<String>,
    pub metadata: Map<String, Json>,
}

/// A template that does not compile or could not render, in words an operator can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("The template has an error{}: {message}.", on_line(*.line))]
pub struct TemplateError {
    pub line: Option<usize>,
    pub message: String,
}

fn on_line(line: Option<usize>) -> String {
    line.map(|line| format!(" on line {line}")).unwrap_or_default()
}

/// An `io::Write` that refuses to grow past [`MAX_RENDERED_BYTES`].
#[derive(Default)]
struct Capped {
    bytes: Vec<u8>,
    overflowed: bool,
}

impl io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.bytes.len() + buf.len() > MAX_RENDERED_BYTES {
            self.overflowed = true;
            return Err(io::Error::other("rendered text too long"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Backslash-escapes every ASCII punctuation character so CommonMark shows it as itself.
fn escape_markdown(text: &str, out: &mut impl fmt::Write) -> fmt::Result {
    for c in text.chars() {
        match c {
            '\r' | '\n' => out.write_char(' ')?,
            c if c.is_ascii_punctuation() => {
                out.write_char('\\')?;
                out.write_char(c)?;
            }
            c => out.write_char(c)?,
        }
    }
    Ok(())
}

/// One environment for every render: building one registers every builtin filter and test,
/// more work than rendering a greeting.
fn environment() -> &'static Environment<'static> {
    static ENVIRONMENT: std::sync::LazyLock<Environment<'static>> = std::sync::LazyLock::new(new_environment);
    &ENVIRONMENT
}

fn new_environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_fuel(Some(FUEL));
    env.set_formatter(|out, _state, value| {
        if value.is_undefined() || value.is_none() {
            return Ok(());
        }
        // JSON spells booleans in lower case, and so do the customer's developers.
        let text = match (value.as_str(), value.kind()) {
            (Some(s), _) => s.to_owned(),
            (None, ValueKind::Bool) => value.is_true().to_string(),
            (None, _) => value.to_string(),
        };
        escape_markdown(&text, out).map_err(|_| minijinja::Error::new(ErrorKind::WriteFailure, "output failed"))
    });
    env
}

/// JSON `null` inside objects becomes undefined (a missing key), so `default(...)` applies.
fn without_nulls(value: &Json) -> Json {
    match value {
        Json::Object(map) => {
            Json::Object(map.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), without_nulls(v))).collect())
        }
        Json::Array(items) => Json::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

fn context_for(contact: Option<&ContactFacts>) -> Value {
    let Some(contact) = contact else { return context! {} };
    let mut fields = Map::new();
    for (key, value) in [
        ("name", &contact.name),
        ("email", &contact.email),
        ("phone_number", &contact.phone_number),
        ("user_id", &contact.user_id),
    ] {
        if let Some(value) = value {
            fields.insert(key.to_owned(), Json::String(value.clone()));
        }
    }
    fields.insert("metadata".to_owned(), without_nulls(&Json::Object(contact.metadata.clone())));
    fields.insert("verified".to_owned(), Json::Bool(true));
    context! { contact => Value::from_serialize(Json::Object(fields)) }
}

fn template_error(error: &minijinja::Error, capped: &Capped) -> TemplateError {
    let message = match error.kind() {
        ErrorKind::WriteFailure if capped.overflowed => {
            format!("it produces more than {MAX_RENDERED_BYTES} bytes of text")
        }
        ErrorKind::OutOfFuel => "it does too much work (a loop that runs too long?)".to_owned(),
        ErrorKind::TemplateNotFound => "templates cannot include or import other templates".to_owned(),
        kind => match error.detail() {
            Some(detail) => format!("{kind}: {detail}"),
            None => kind.to_string(),
        },
    };
    TemplateError { line: error.line(), message }
}

/// Checks a template when an operator saves an answer or greeting; the error names the
/// line. Besides the syntax, it renders once for an anonymous visitor and reports unknown
/// filters, tests, functions and includes, which only show when the template runs; errors
/// that depend on a visitor's data are not reported here.
pub fn check(source: &str) -> Result<(), TemplateError> {
    let env = environment();
    let mut capped = Capped::default();
    let template = env.template_from_str(source).map_err(|e| template_error(&e, &capped))?;
    let rendered = template.render_captured_to(context_for(None), &mut capped).map(drop);
    let Err(error) = rendered else { return Ok(()) };
    let shows_only_when_running = matches!(
        error.kind(),
        ErrorKind::UnknownFilter
            | ErrorKind::UnknownTest
            | ErrorKind::UnknownFunction
            | ErrorKind::UnknownMethod
            | ErrorKind::TemplateNotFound
    );
    match shows_only_when_running {
        true => Err(template_error(&error, &capped)),
        false => Ok(()),
    }
}

/// Renders a template (Markdown source) with `contact` (None = anonymous visitor) and
/// returns plain text with its emphasis.
pub fn render(source: &str, contact: Option<&ContactFacts>) -> Result<StyledText, TemplateError> {
    // Most greetings and answers have no tag: what the engine would print is the source
    // without its last line break (minijinja's default), so the engine is not asked.
    if !source.contains('{') && source.len() <= MAX_RENDERED_BYTES {
        let text = source.strip_suffix('\n').map(|s| s.strip_suffix('\r').unwrap_or(s)).unwrap_or(source);
        return Ok(markdown_to_styled(text));
    }
    render_with_engine(source, contact)
}

fn render_with_engine(source: &str, contact: Option<&ContactFacts>) -> Result<StyledText, TemplateError> {
    let env = environment();
    let mut capped = Capped::default();
    let template = env.template_from_str(source).map_err(|e| template_error(&e, &capped))?;
    template.render_captured_to(context_for(contact), &mut capped).map_err(|e| template_error(&e, &capped))?;
    Ok(markdown_to_styled(&String::from_utf8_lossy(&capped.bytes)))
}

/// The text of a template without its tags (`{{ … }}`, `{% … %}`, `{# … #}`), for the
/// search index: the words of the syntax (`contact`, `metadata`, …) are not what an
/// article is about. What conditional branches say stays, since some visitor sees it.
pub fn without_tags(source: &str) -> String {
    let mut text = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(start) = rest.find('{') {
        let close = match rest[start..].chars().nth(1) {
            Some('{') => "}}",
            Some('%') => "%}",
            Some('#') => "#}",
            _ => {
                text.push_str(&rest[..=start]);
                rest = &rest[start + 1..];
                continue;
            }
        };
        text.push_str(&rest[..start]);
        match rest[start + 2..].find(close) {
            Some(end) => {
                text.push(' ');
                rest = &rest[start + 2 + end + 2..];
            }
            None => {
                rest = "";
            }
        }
    }
    text.push_str(rest);
    text
}

#[cfg(test)]
mod tests;
