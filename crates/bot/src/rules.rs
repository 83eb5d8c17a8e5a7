//! Per-bot rules: "when the contact's metadata says this, answer that or hand off".
//!
//! A rule's conditions all have to hold (an empty `when` always holds); the first rule that
//! matches wins. A condition reads one value by its path:
//! `contact.name`, `contact.email`, `contact.phone_number`, `contact.user_id`,
//! `contact.metadata.<key>.<key>…` (dotted into nested objects) or `message` (what the
//! visitor wrote). For an anonymous visitor every `contact.` path is missing, and so is a
//! JSON `null`.
//!
//! The operators:
//! - `exists` / `missing`: whether the path has a value; they take no `value`.
//! - `equals` / `not_equals`: strings compare trimmed and case-insensitively; numbers
//!   numerically, and a numeric string counts as its number (1 equals 1.0, "42" equals 42);
//!   booleans only equal booleans. `not_equals` is the exact negation, so it holds for a
//!   missing value.
//! - `contains`: on a string, a case-insensitive substring; on an array, an element that
//!   `equals` the value.
//! - `gt`, `gte`, `lt`, `lte`: both sides must be numbers or numeric strings; otherwise the
//!   condition is false. Running a rule never fails: a condition that cannot be judged is
//!   false.
//!
//! [`validate`] runs when an operator saves the rules, and names the rule and the field of
//! each problem.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::template::{self, ContactFacts};

pub const MAX_RULES: usize = 50;
pub const MAX_CONDITIONS: usize = 10;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_TEXT_CHARS: usize = 4000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    /// All must hold; empty = always.
    #[serde(default)]
    pub when: Vec<Condition>,
    pub then: Action,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// `contact.name`, `contact.email`, `contact.phone_number`, `contact.user_id`,
    /// `contact.metadata.<key>…` or `message`.
    pub path: String,
    pub op: Op,
    /// Required for every operator but `exists` and `missing`, which take none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Equals,
    NotEquals,
    Contains,
    Exists,
    Missing,
    Gt,
    Gte,
    Lt,
    Lte,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Answer with this template.
    Answer { text: String },
    /// Bring in a person; `text` (a template) replaces the bot's default handoff message.
    Handoff {
        #[serde(default)]
        priority: Priority,
        #[serde(default)]
        text: Option<String>,
    },
}

/// A handoff's priority: the conversation's own (one type from the rule to the database).
pub use concierge_domain::Priority;

/// One problem with one rule: `index` is the rule's position (from 0), `field` a path in
/// it such as `when[0].path` or `then.text`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Rule {} ({field}): {message}", .index + 1)]
pub struct RuleError {
    pub index: usize,
    pub field: String,
    pub message: String,
}

/// Where a condition reads its value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Path<'a> {
    Name,
    Email,
    PhoneNumber,
    UserId,
    Metadata(Vec<&'a str>),
    Message,
}

fn parse_path(path: &str) -> Result<Path<'_>, String> {
    let path = path.trim();
    let known = match path {
        "message" => Some(Path::Message),
        "contact.name" => Some(Path::Name),
        "contact.email" => Some(Path::Email),
        "contact.phone_number" => Some(Path::PhoneNumber),
        "contact.user_id" => Some(Path::UserId),
        _ => None,
    };
    if let Some(known) = known {
        return Ok(known);
    }
    let Some(rest) = path.strip_prefix("contact.metadata.") else {
        return Err(format!(
            "{path:?} is not a known path; use contact.name, contact.email, contact.phone_number, contact.user_id, \
             contact.metadata.<key> or message"
        ));
    };
    let keys: Vec<&str> = rest.split('.').collect();
    if keys.iter().any(|key| key.is_empty()) {
        return Err(format!("{path:?} has an empty key; write contact.metadata.plan or contact.metadata.company.size"));
    }
    Ok(Path::Metadata(keys))
}

fn resolve(path: &Path<'_>, contact: Option<&ContactFacts>, message: &str) -> Option<Value> {
    let text = |field: &Option<String>| field.as_ref().map(|s| Value::String(s.clone()));
    let found = match (path, contact) {
        (Path::Message, _) => Some(Value::String(message.to_owned())),
        (_, None) => None,
        (Path::Name, Some(c)) => text(&c.name),
        (Path::Email, Some(c)) => text(&c.email),
        (Path::PhoneNumber, Some(c)) => text(&c.phone_number),
        (Path::UserId, Some(c)) => text(&c.user_id),
        (Path::Metadata(keys), Some(c)) => {
            let (first, rest) = keys.split_first()?;
            rest.iter().try_fold(c.metadata.get(*first)?, |value, key| value.get(*key)).cloned()
        }
    };
    found.filter(|value| !value.is_null())
}

/// A number, or a string that is one (trimmed). NaN and infinities are not numbers here.
fn number(value: &Value) -> Option<f64> {
    let n = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

fn equals(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Bool(a), Value::Bool(b)) => a == b,
        // A value typed in a form is a string: "true" means the boolean too.
        (Value::Bool(b), Value::String(s)) | (Value::String(s), Value::Bool(b)) => {
            s.trim().eq_ignore_ascii_case(if *b { "true" } else { "false" })
        }
        (Value::String(a), Value::String(b)) if a.trim().to_lowercase() == b.trim().to_lowercase() => true,
        (Value::Number(_) | Value::String(_), Value::Number(_) | Value::String(_)) => {
            matches!((number(actual), number(expected)), (Some(a), Some(b)) if a == b)
        }
        _ => actual == expected,
    }
}

fn contains(actual: &Value, expected: &Value) -> bool {
    match actual {
        Value::Array(items) => items.iter().any(|item| equals(item, expected)),
        Value::String(haystack) => {
            let needle = match expected {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return false,
            };
            haystack.to_lowercase().contains(&needle.to_lowercase())
        }
        _ => false,
    }
}

fn holds(condition: &Condition, contact: Option<&ContactFacts>, message: &str) -> bool {
    let Ok(path) = parse_path(&condition.path) else { return false };
    let actual = resolve(&path, contact, message);
    let compare = |test: fn(f64, f64) -> bool| {
        let (Some(actual), Some(expected)) =
            (actual.as_ref().and_then(number), condition.value.as_ref().and_then(number))
        else {
            return false;
        };
        test(actual, expected)
    };
    let with_value = |test: fn(&Value, &Value) -> bool| match (&actual, &condition.value) {
        (Some(actual), Some(expected)) => test(actual, expected),
        _ => false,
    };
    match condition.op {
        Op::Exists => actual.is_some(),
        Op::Missing => actual.is_none(),
        Op::Equals => with_value(equals),
        Op::NotEquals => !with_value(equals),
        Op::Contains => with_value(contains),
        Op::Gt => compare(|a, b| a > b),
        Op::Gte => compare(|a, b| a >= b),
        Op::Lt => compare(|a, b| a < b),
        Op::Lte => compare(|a, b| a <= b),
    }
}

/// The first rule whose conditions all hold for this contact (None = anonymous) and
/// visitor message.
pub fn first_match<'r>(rules: &'r [Rule], contact: Option<&ContactFacts>, message: &str) -> Option<&'r Rule> {
    rules.iter().find(|rule| rule.when.iter().all(|condition| holds(condition, contact, message)))
}

fn check_condition(condition: &Condition, field: &str, errors: &mut Vec<(String, String)>) {
    if let Err(message) = parse_path(&condition.path) {
        errors.push((format!("{field}.path"), message));
    }
    let problem = match (condition.op, &condition.value) {
        (Op::Exists | Op::Missing, Some(_)) => Some("exists and missing take no value; remove it".to_owned()),
        (Op::Exists | Op::Missing, None) => None,
        (_, None | Some(Value::Null)) => {
            Some("a value is required (use missing to test for an absent value)".to_owned())
        }
        (Op::Gt | Op::Gte | Op::Lt | Op::Lte, Some(value)) if number(value).is_none() => {
            Some(format!("{value} is not a number; gt, gte, lt and lte compare numbers"))
        }
        (Op::Equals | Op::NotEquals | Op::Contains, Some(Value::Array(_) | Value::Object(_))) => {
            Some("the value must be a string, a number or a boolean".to_owned())
        }
        _ => None,
    };
    if let Some(message) = problem {
        errors.push((format!("{field}.value"), message));
    }
}

fn check_text(text: &str, errors: &mut Vec<(String, String)>) {
    let field = "then.text".to_owned();
    if text.trim().is_empty() {
        errors.push((field, "the text must not be empty".to_owned()));
    } else if text.chars().count() > MAX_TEXT_CHARS {
        errors.push((field, format!("the text is longer than {MAX_TEXT_CHARS} characters")));
    } else if let Err(error) = template::check(text) {
        errors.push((field, error.to_string()));
    }
}

/// Every problem of every rule, each naming its rule and field; Ok when there are none.
pub fn validate(rules: &[Rule]) -> Result<(), Vec<RuleError>> {
    let mut all = Vec::new();
    if rules.len() > MAX_RULES {
        all.push(RuleError {
            index: MAX_RULES,
            field: "rules".to_owned(),
            message: format!("a bot has at most {MAX_RULES} rules, not {}", rules.len()),
        });
    }
    for (index, rule) in rules.iter().enumerate() {
        let mut errors = Vec::new();
        let name_chars = rule.name.trim().chars().count();
        if name_chars == 0 || name_chars > MAX_NAME_CHARS {
            errors.push(("name".to_owned(), format!("the name must have 1 to {MAX_NAME_CHARS} characters")));
        }
        if rule.when.len() > MAX_CONDITIONS {
            errors.push(("when".to_owned(), format!("a rule has at most {MAX_CONDITIONS} conditions")));
        }
        for (position, condition) in rule.when.iter().enumerate() {
            check_condition(condition, &format!("when[{position}]"), &mut errors);
        }
        match &rule.then {
            Action::Answer { text } | Action::Handoff { text: Some(text), .. } => check_text(text, &mut errors),
            Action::Handoff { text: None, .. } => {}
        }
        all.extend(errors.into_iter().map(|(field, message)| RuleError { index, field, message }));
    }
    if all.is_empty() {
        Ok(())
    } else {
        Err(all)
    }
}

#[cfg(test)]
mod tests;
