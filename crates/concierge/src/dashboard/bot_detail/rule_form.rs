//! Rules as the Answers page shows and edits them: a rule in words ("plan equals
//! enterprise → hands to a person, high priority"), and the "Add rule" form turned into a
//! `concierge_bot::Rule`, its errors put back next to the form's fields.

use concierge_bot::{Action, Condition, Op, Priority, Rule};
use concierge_domain::FieldError;
use minijinja::{context, Value};
use serde::Deserialize;
use serde_json::{Number, Value as Json};

/// Condition rows the form offers; a rule may have more through the admin API.
pub const ROWS: usize = 3;

/// Every operator with its value and its words, in the order of the form's select.
pub const OPS: [(Op, &str, &str); 9] = [
    (Op::Equals, "equals", "equals"),
    (Op::NotEquals, "not_equals", "does not equal"),
    (Op::Contains, "contains", "contains"),
    (Op::Exists, "exists", "is set"),
    (Op::Missing, "missing", "is missing"),
    (Op::Gt, "gt", "is greater than"),
    (Op::Gte, "gte", "is at least"),
    (Op::Lt, "lt", "is less than"),
    (Op::Lte, "lte", "is at most"),
];

/// Paths every bot offers in the form's suggestions (contacts' metadata keys are added).
pub const COMMON_PATHS: [&str; 6] =
    ["contact.metadata.plan", "contact.email", "contact.name", "contact.user_id", "contact.phone_number", "message"];

/// The "Add rule" form as submitted.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct RuleForm {
    pub csrf: String,
    pub rule_name: String,
    pub path_0: String,
    pub op_0: String,
    pub value_0: String,
    pub path_1: String,
    pub op_1: String,
    pub value_1: String,
    pub path_2: String,
    pub op_2: String,
    pub value_2: String,
    /// `answer` or `handoff`.
    pub action: String,
    pub rule_text: String,
    /// `normal` or `high`, for a handoff.
    pub priority: String,
}

impl RuleForm {
    fn rows(&self) -> [(&str, &str, &str); ROWS] {
        [
            (&self.path_0, &self.op_0, &self.value_0),
            (&self.path_1, &self.op_1, &self.value_1),
            (&self.path_2, &self.op_2, &self.value_2),
        ]
    }

    /// The form's values for the template, so that a refused form keeps what was typed.
    pub fn context(&self) -> Value {
        let rows: Vec<_> = self
            .rows()
            .iter()
            .enumerate()
            .map(|(i, (path, op, value))| context! { i, path, op => if op.is_empty() { "equals" } else { op }, value })
            .collect();
        context! {
            name => self.rule_name, rows,
            action => if self.action.is_empty() { "answer" } else { &self.action },
            text => self.rule_text, priority => if self.priority.is_empty() { Priority::default().as_str() } else { &self.priority },
        }
    }

    /// The rule, and for each of its conditions the form row it came from; or what is
    /// wrong, by form field. Blank rows are skipped.
    pub fn to_rule(&self) -> Result<(Rule, Vec<usize>), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut when = Vec::new();
        let mut rows = Vec::new();
        for (row, (path, op, value)) in self.rows().into_iter().enumerate() {
            let (path, value) = (path.trim(), value.trim());
            if path.is_empty() {
                if !value.is_empty() {
                    errors.push(error(format!("path_{row}"), "Say what to compare, or clear the value."));
                }
                continue;
            }
            let Some(op) = OPS.iter().find(|(_, name, _)| *name == op).map(|(op, _, _)| *op) else {
                errors.push(error(format!("op_{row}"), "Choose a comparison."));
                continue;
            };
            when.push(Condition { path: path.to_owned(), op, value: typed(op, value) });
            rows.push(row);
        }
        let text = self.rule_text.trim();
        let then = match self.action.as_str() {
            "answer" | "" => Action::Answer { text: text.to_owned() },
            "handoff" => Action::Handoff {
                priority: self.priority.parse().unwrap_or_default(),
                text: (!text.is_empty()).then(|| text.to_owned()),
            },
            _ => {
                errors.push(error("action".into(), "Choose what the bot does."));
                Action::Answer { text: text.to_owned() }
            }
        };
        if errors.is_empty() {
            Ok((Rule { name: self.rule_name.trim().to_owned(), when, then }, rows))
        } else {
            Err(errors)
        }
    }
}

fn error(field: String, message: &str) -> FieldError {
    FieldError { field, message: message.to_owned() }
}

/// A value as typed: a number for the comparisons of numbers when it is one, else text;
/// none for `exists` and `missing`, and none when left empty (the bot says one is needed).
fn typed(op: Op, value: &str) -> Option<Json> {
    if value.is_empty() || matches!(op, Op::Exists | Op::Missing) {
        return None;
    }
    if matches!(op, Op::Gt | Op::Gte | Op::Lt | Op::Lte) {
        let number =
            value.parse::<i64>().ok().map(Number::from).or_else(|| value.parse().ok().and_then(Number::from_f64));
        if let Some(n) = number {
            return Some(Json::Number(n));
        }
    }
    Some(Json::String(value.to_owned()))
}

/// Splits the errors of saving the rules into those of the new rule at `index`, named as
/// the form's fields (its conditions came from `rows`), and the rest.
pub fn form_errors(errors: Vec<FieldError>, index: usize, rows: &[usize]) -> (Vec<FieldError>, Vec<String>) {
    let prefix = format!("rules[{index}].");
    let mut mine = Vec::new();
    let mut other = Vec::new();
    for e in errors {
        let Some(field) = e.field.strip_prefix(&prefix) else {
            other.push(e.message);
            continue;
        };
        let condition = field.strip_prefix("when[").and_then(|rest| rest.split_once("].")).and_then(|(n, part)| {
            let row = rows.get(n.parse::<usize>().ok()?)?;
            Some(format!("{part}_{row}"))
        });
        let field = match (field, condition) {
            (_, Some(condition)) => condition,
            ("name", _) => "rule_name".into(),
            ("then.text", _) => "rule_text".into(),
            _ => "rule".into(),
        };
        mine.push(FieldError { field, message: capitalised(&e.message) });
    }
    (mine, other)
}

/// The bot crate's messages start lower case (they follow a field name); here they stand
/// alone.
fn capitalised(message: &str) -> String {
    let mut chars = message.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// What a condition reads, in words: `contact.metadata.plan` is "plan".
fn subject(path: &str) -> String {
    match path {
        "message" => "the message".into(),
        "contact.name" => "name".into(),
        "contact.email" => "email".into(),
        "contact.phone_number" => "phone number".into(),
        "contact.user_id" => "user id".into(),
        other => other.strip_prefix("contact.metadata.").unwrap_or(other).to_owned(),
    }
}

/// A stored rule for the list: its conditions and action in words.
pub fn describe(rule: &Rule) -> Value {
    let conditions: Vec<_> = rule
        .when
        .iter()
        .map(|c| {
            let verb = OPS.iter().find(|(op, _, _)| *op == c.op).map_or("", |(_, _, words)| *words);
            let value = c.value.as_ref().map(|v| match v {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            });
            context! { subject => subject(&c.path), path => c.path.clone(), verb, value }
        })
        .collect();
    let (action, text, priority) = match &rule.then {
        Action::Answer { text } => ("answer", Some(text.clone()), None),
        Action::Handoff { priority, text } => ("handoff", text.clone(), Some(priority.as_str())),
    };
    context! { name => rule.name.clone(), conditions, action, text, priority }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(rows: [(&str, &str, &str); 3], action: &str, text: &str) -> RuleForm {
        let [a, b, c] = rows;
        RuleForm {
            rule_name: "Enterprise".into(),
            path_0: a.0.into(),
            op_0: a.1.into(),
            value_0: a.2.into(),
            path_1: b.0.into(),
            op_1: b.1.into(),
            value_1: b.2.into(),
            path_2: c.0.into(),
            op_2: c.1.into(),
            value_2: c.2.into(),
            action: action.into(),
            rule_text: text.into(),
            priority: "high".into(),
            ..RuleForm::default()
        }
    }

    #[test]
    fn numbers_are_numbers_only_for_the_comparisons_of_numbers() {
        let f = form(
            [("contact.metadata.seats", "gte", "10"), ("", "equals", ""), ("contact.metadata.plan", "equals", "42")],
            "handoff",
            "",
        );
        let (rule, rows) = f.to_rule().unwrap();
        assert_eq!(rows, vec![0, 2], "the blank row is skipped");
        assert_eq!(rule.when[0].value, Some(serde_json::json!(10)));
        assert_eq!(rule.when[1].value, Some(serde_json::json!("42")));
        assert_eq!(rule.then, Action::Handoff { priority: Priority::High, text: None });
        assert_eq!(typed(Op::Lt, "2.5"), Some(serde_json::json!(2.5)));
        assert_eq!(typed(Op::Gt, "many"), Some(serde_json::json!("many")), "the bot explains why it is refused");
        assert_eq!(typed(Op::Exists, "ignored"), None);
    }

    #[test]
    fn errors_of_the_new_rule_land_on_the_rows_they_came_from() {
        let errors = vec![
            FieldError { field: "rules[3].when[1].value".into(), message: "a value is required".into() },
            FieldError { field: "rules[3].then.text".into(), message: "the text must not be empty".into() },
            FieldError { field: "rules[0].name".into(), message: "old".into() },
        ];
        let (mine, other) = form_errors(errors, 3, &[0, 2]);
        assert_eq!(mine[0].field, "value_2");
        assert_eq!(mine[0].message, "A value is required");
        assert_eq!(mine[1].field, "rule_text");
        assert_eq!(other, vec!["old".to_owned()]);
    }

    #[test]
    fn a_rule_reads_as_words() {
        let rule: Rule = serde_json::from_value(serde_json::json!({
            "name": "VIP", "when": [{"path": "contact.metadata.plan", "op": "equals", "value": "enterprise"}],
            "then": {"action": "handoff", "priority": "high"}
        }))
        .unwrap();
        let described = describe(&rule);
        let condition = described.get_attr("conditions").unwrap().get_item(&Value::from(0)).unwrap();
        assert_eq!(condition.get_attr("subject").unwrap().to_string(), "plan");
        assert_eq!(condition.get_attr("verb").unwrap().to_string(), "equals");
        assert_eq!(described.get_attr("priority").unwrap().to_string(), "high");
    }
}
