use serde_json::json;

use super::*;

fn rules(value: Value) -> Vec<Rule> {
    serde_json::from_value(value).expect("rules")
}

fn contact(metadata: Value) -> ContactFacts {
    ContactFacts {
        name: Some("Grace Hopper".to_owned()),
        email: Some("grace@example.com".to_owned()),
        metadata: metadata.as_object().cloned().unwrap_or_default(),
        ..ContactFacts::default()
    }
}

fn when(path: &str, op: &str, value: Option<Value>) -> Vec<Rule> {
    let mut condition = json!({"path": path, "op": op});
    if let Some(value) = value {
        condition["value"] = value;
    }
    rules(json!([{"name": "r", "when": [condition], "then": {"action": "answer", "text": "yes"}}]))
}

fn holds_for(path: &str, op: &str, value: Option<Value>, contact: Option<&ContactFacts>, message: &str) -> bool {
    first_match(&when(path, op, value), contact, message).is_some()
}

#[test]
fn an_enterprise_plan_is_handed_off_with_high_priority() {
    let rules = rules(json!([
        {"name": "Enterprise to a person",
         "when": [{"path": "contact.metadata.plan", "op": "equals", "value": "Enterprise"}],
         "then": {"action": "handoff", "priority": "high"}},
        {"name": "Everyone else", "then": {"action": "answer", "text": "Hi {{ contact.name or \"there\" }}"}},
    ]));
    validate(&rules).expect("valid");
    let enterprise = contact(json!({"plan": " enterprise "}));
    let matched = first_match(&rules, Some(&enterprise), "help").expect("a rule");
    assert_eq!(matched.then, Action::Handoff { priority: Priority::High, text: None });

    let pro = contact(json!({"plan": "pro"}));
    assert_eq!(first_match(&rules, Some(&pro), "help").map(|r| r.name.as_str()), Some("Everyone else"));
}

#[test]
fn the_wire_format_round_trips() {
    let value = json!([
        {"name": "a", "when": [{"path": "message", "op": "contains", "value": "refund"}],
         "then": {"action": "handoff", "priority": "normal", "text": "One moment."}},
        {"name": "b", "when": [{"path": "contact.email", "op": "exists"}], "then": {"action": "answer", "text": "x"}},
    ]);
    let parsed = rules(value.clone());
    assert_eq!(serde_json::to_value(&parsed).expect("json"), value);
    let defaults = rules(json!([{"name": "c", "then": {"action": "handoff"}}]));
    assert_eq!(defaults[0].then, Action::Handoff { priority: Priority::Normal, text: None });
    assert!(defaults[0].when.is_empty());
    assert!(serde_json::from_value::<Vec<Rule>>(
        json!([{"name": "d", "then": {"action": "answer", "text": "x"}, "whn": []}])
    )
    .is_err());
}

#[test]
fn contains_looks_into_strings_and_arrays() {
    let c = contact(json!({"tags": ["VIP", "beta", 7], "company": {"name": "Acme Corp"}}));
    assert!(holds_for("contact.metadata.tags", "contains", Some(json!("vip")), Some(&c), ""));
    assert!(holds_for("contact.metadata.tags", "contains", Some(json!("7")), Some(&c), ""));
    assert!(!holds_for("contact.metadata.tags", "contains", Some(json!("gamma")), Some(&c), ""));
    assert!(holds_for("contact.metadata.company.name", "contains", Some(json!("ACME")), Some(&c), ""));
    assert!(holds_for("message", "contains", Some(json!("refund")), None, "I want a REFUND now"));
    assert!(!holds_for("message", "contains", Some(json!("refund")), None, "hello"));
}

#[test]
fn numbers_compare_numerically_and_numeric_strings_count() {
    let c = contact(json!({"seats": "250", "mrr": 1200.5, "since": "last year", "level": 1}));
    assert!(holds_for("contact.metadata.seats", "gt", Some(json!(100)), Some(&c), ""));
    assert!(holds_for("contact.metadata.seats", "gte", Some(json!("250")), Some(&c), ""));
    assert!(!holds_for("contact.metadata.seats", "lt", Some(json!(250)), Some(&c), ""));
    assert!(holds_for("contact.metadata.mrr", "lte", Some(json!(1200.5)), Some(&c), ""));
    assert!(holds_for("contact.metadata.level", "equals", Some(json!(1.0)), Some(&c), ""));
    assert!(holds_for("contact.metadata.seats", "equals", Some(json!(250)), Some(&c), ""));
    // Not a number: false, never an error.
    assert!(!holds_for("contact.metadata.since", "gt", Some(json!(1)), Some(&c), ""));
    assert!(!holds_for("contact.metadata.since", "lt", Some(json!(1)), Some(&c), ""));
    assert!(!holds_for("contact.metadata.absent", "gt", Some(json!(1)), Some(&c), ""));
}

#[test]
fn equality_rules() {
    let c = contact(json!({"beta": true, "plan": "Pro"}));
    assert!(holds_for("contact.metadata.beta", "equals", Some(json!(true)), Some(&c), ""));
    // What a form sends is a string; it still means the boolean.
    assert!(holds_for("contact.metadata.beta", "equals", Some(json!(" True")), Some(&c), ""));
    assert!(!holds_for("contact.metadata.beta", "equals", Some(json!("false")), Some(&c), ""));
    assert!(!holds_for("contact.metadata.beta", "equals", Some(json!("yes")), Some(&c), ""));
    assert!(holds_for("contact.name", "equals", Some(json!("grace HOPPER")), Some(&c), ""));
    assert!(holds_for("contact.metadata.plan", "not_equals", Some(json!("free")), Some(&c), ""));
    assert!(!holds_for("contact.metadata.plan", "not_equals", Some(json!("pro")), Some(&c), ""));
    assert!(holds_for("contact.metadata.missing", "not_equals", Some(json!("pro")), Some(&c), ""));
}

#[test]
fn exists_and_missing() {
    let c = contact(json!({"plan": "pro", "cancelled_at": null}));
    assert!(holds_for("contact.metadata.plan", "exists", None, Some(&c), ""));
    assert!(holds_for("contact.metadata.cancelled_at", "missing", None, Some(&c), ""));
    assert!(holds_for("contact.metadata.plan.tier", "missing", None, Some(&c), ""));
    assert!(holds_for("contact.phone_number", "missing", None, Some(&c), ""));
    assert!(holds_for("contact.email", "exists", None, Some(&c), ""));
}

#[test]
fn for_an_anonymous_visitor_every_contact_path_is_missing() {
    for path in ["contact.name", "contact.email", "contact.user_id", "contact.metadata.plan"] {
        assert!(holds_for(path, "missing", None, None, "hi"), "{path}");
        assert!(!holds_for(path, "exists", None, None, "hi"), "{path}");
        assert!(!holds_for(path, "equals", Some(json!("x")), None, "hi"), "{path}");
    }
    assert!(holds_for("message", "exists", None, None, "hi"));
}

#[test]
fn the_first_matching_rule_wins() {
    let rules = rules(json!([
        {"name": "first", "when": [{"path": "contact.metadata.plan", "op": "equals", "value": "pro"},
                                    {"path": "message", "op": "contains", "value": "invoice"}],
         "then": {"action": "answer", "text": "1"}},
        {"name": "second", "when": [{"path": "contact.metadata.plan", "op": "equals", "value": "pro"}],
         "then": {"action": "answer", "text": "2"}},
        {"name": "third", "then": {"action": "answer", "text": "3"}},
    ]));
    let pro = contact(json!({"plan": "pro"}));
    let name = |message: &str, c: Option<&ContactFacts>| first_match(&rules, c, message).map(|r| r.name.clone());
    assert_eq!(name("my invoice", Some(&pro)).as_deref(), Some("first"));
    assert_eq!(name("hello", Some(&pro)).as_deref(), Some("second"));
    assert_eq!(name("my invoice", None).as_deref(), Some("third"));
    assert_eq!(first_match(&[], Some(&pro), "x"), None);
}

#[test]
fn validation_names_the_rule_and_the_field() {
    let rules = rules(json!([
        {"name": "ok", "then": {"action": "answer", "text": "fine"}},
        {"name": "", "when": [
            {"path": "contact.address", "op": "equals", "value": "x"},
            {"path": "contact.metadata.plan", "op": "exists", "value": "x"},
            {"path": "contact.metadata..plan", "op": "equals"},
            {"path": "message", "op": "gt", "value": "many"},
            {"path": "contact.metadata.tags", "op": "contains", "value": ["a"]}],
         "then": {"action": "answer", "text": "Hi {{ contact.name "}},
        {"name": "handoff", "then": {"action": "handoff", "text": "x".repeat(MAX_TEXT_CHARS + 1)}},
    ]));
    let errors = validate(&rules).expect_err("invalid");
    let fields: Vec<(usize, &str)> = errors.iter().map(|e| (e.index, e.field.as_str())).collect();
    assert_eq!(
        fields,
        [
            (1, "name"),
            (1, "when[0].path"),
            (1, "when[1].value"),
            (1, "when[2].path"),
            (1, "when[2].value"),
            (1, "when[3].value"),
            (1, "when[4].value"),
            (1, "then.text"),
            (2, "then.text"),
        ]
    );
    assert!(errors[7].message.contains("line 1"), "{}", errors[7]);
    assert_eq!(errors[2].to_string(), "Rule 2 (when[1].value): exists and missing take no value; remove it");
}

#[test]
fn validation_enforces_the_limits() {
    let one = json!({"name": "r", "then": {"action": "handoff"}});
    let many = rules(Value::Array(vec![one; MAX_RULES + 1]));
    let errors = validate(&many).expect_err("too many");
    assert_eq!((errors[0].index, errors[0].field.as_str()), (MAX_RULES, "rules"));
    validate(&many[..MAX_RULES]).expect("exactly the limit");

    let condition = json!({"path": "message", "op": "exists"});
    let long = rules(json!([{"name": "n".repeat(MAX_NAME_CHARS + 1), "when": vec![condition; MAX_CONDITIONS + 1],
                             "then": {"action": "handoff", "text": " "}}]));
    let fields: Vec<String> = validate(&long).expect_err("too long").into_iter().map(|e| e.field).collect();
    assert_eq!(fields, ["name", "when", "then.text"]);
}

#[test]
fn the_wire_types_have_openapi_schemas() {
    use utoipa::OpenApi;

    #[derive(OpenApi)]
    #[openapi(components(schemas(Rule, Condition, Op, Action, Priority)))]
    struct Doc;

    let doc = serde_json::to_value(Doc::openapi()).expect("json");
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["Op"]["enum"].as_array().is_some_and(|ops| ops.contains(&json!("not_equals"))), "{schemas}");
    assert!(schemas["Priority"]["enum"].as_array().is_some_and(|p| p.contains(&json!("high"))), "{schemas}");
    assert!(schemas["Action"].to_string().contains("handoff"), "{schemas}");
    let rule_required = schemas["Rule"]["required"].as_array().cloned().unwrap_or_default();
    assert!(rule_required.contains(&json!("then")) && !rule_required.contains(&json!("when")), "{schemas}");
}
