use serde_json::json;

use super::*;

fn contact(metadata: Json) -> ContactFacts {
    ContactFacts {
        name: Some("Ada Lovelace".to_owned()),
        email: Some("ada@example.com".to_owned()),
        phone_number: None,
        user_id: Some("u_42".to_owned()),
        metadata: metadata.as_object().cloned().unwrap_or_default(),
    }
}

fn render_for(source: &str, contact: Option<&ContactFacts>) -> String {
    styled_for(source, contact).text
}

fn styled_for(source: &str, contact: Option<&ContactFacts>) -> StyledText {
    render(source, contact).unwrap_or_else(|e| panic!("{source:?}: {e}"))
}

#[test]
fn profile_fields_and_nested_metadata_are_available() {
    let ada = contact(json!({"plan": "pro", "company": {"size": 250, "name": "Analytical Engines"}}));
    let source =
        "Hi {{ contact.name }} ({{ contact.email }}, {{ contact.user_id }}): your {{ contact.metadata.plan }} \
                  plan covers {{ contact.metadata.company.size }} seats.";
    assert_eq!(
        render_for(source, Some(&ada)),
        "Hi Ada Lovelace (ada@example.com, u_42): your pro plan covers 250 seats."
    );
    assert_eq!(render_for("{% if contact.verified %}verified{% endif %}", Some(&ada)), "verified");
}

#[test]
fn two_contacts_with_different_plans_get_different_answers() {
    let source = "{% if contact.metadata.plan == \"pro\" %}Priority support is included.{% else %}Upgrade to Pro \
                  for priority support.{% endif %}";
    let pro = contact(json!({"plan": "pro"}));
    let free = contact(json!({"plan": "free"}));
    assert_eq!(render_for(source, Some(&pro)), "Priority support is included.");
    assert_eq!(render_for(source, Some(&free)), "Upgrade to Pro for priority support.");
}

#[test]
fn missing_paths_and_nulls_take_the_default() {
    let ada = contact(json!({"plan": null, "company": {}}));
    let source = "{{ contact.metadata.plan | default(\"free\") }}/{{ contact.metadata.company.size.x | default(1) }}/\
                  {{ contact.phone_number or \"no phone\" }}/{{ contact.metadata.nothing }}.";
    assert_eq!(render_for(source, Some(&ada)), "free/1/no phone/.");
}

#[test]
fn an_anonymous_visitor_gets_the_defaults() {
    let source = "Hello {{ contact.name or \"there\" }}, plan {{ contact.metadata.plan | default(\"free\") }}.\
                  {% if contact.verified %} Signed in.{% endif %}\
                  {% if contact.metadata.plan == \"pro\" %}Pro{% endif %}";
    assert_eq!(render_for(source, None), "Hello there, plan free.");
}

#[test]
fn contact_values_stay_literal_text() {
    for value in [
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "**bold**",
        "{{ 7*7 }}",
        "{% for x in range(10) %}x{% endfor %}",
        "# heading",
        "1. item",
        "- item",
        "`code` _em_ ~strike~ | a | b |",
        "&amp; &lt; \\* \\",
        "<https://evil.example>",
        "line one\n\n    indented",
    ] {
        let c = contact(json!({ "note": value }));
        let expected = value.replace('\n', " ");
        assert_eq!(render_for("{{ contact.metadata.note }}", Some(&c)), expected.trim(), "{value:?}");
        let styled = styled_for("Note: {{ contact.metadata.note }}!", Some(&c));
        assert_eq!(styled.text, format!("Note: {expected}!"), "{value:?}");
        assert_eq!(styled.styles, [], "{value:?} is not emphasised");
    }
    let named = ContactFacts { name: Some("[Ada](https://evil.example)".to_owned()), ..ContactFacts::default() };
    assert_eq!(render_for("Hi {{ contact.name }}", Some(&named)), "Hi [Ada](https://evil.example)");
}

#[test]
fn the_operators_markdown_is_still_markdown() {
    let ada = contact(json!({"plan": "pro"}));
    assert_eq!(
        render_for(
            "**Hi {{ contact.name }}!**\n\n- Plan: *{{ contact.metadata.plan }}*\n- [Billing](https://x.example/b)",
            Some(&ada)
        ),
        "Hi Ada Lovelace!\n\n• Plan: pro\n• Billing (https://x.example/b)"
    );
}

#[test]
fn the_operators_emphasis_survives_and_a_contacts_markdown_is_never_emphasis() {
    use concierge_domain::{Emphasis, StyleRange};
    let ada = ContactFacts { name: Some("**Ada**".to_owned()), ..contact(json!({"plan": "_pro_"})) };
    let styled = styled_for("Hi {{ contact.name }}, your plan is **{{ contact.metadata.plan }}**.", Some(&ada));
    assert_eq!(styled.text, "Hi **Ada**, your plan is _pro_.");
    assert_eq!(styled.styles, [StyleRange { start: 25, end: 30, style: Emphasis::Strong }]);
}

#[test]
fn arrays_and_objects_print_as_text() {
    let ada = contact(json!({"tags": ["a", "b"], "flag": true, "ratio": 1.5}));
    assert_eq!(
        render_for(
            "{{ contact.metadata.tags | join(\", \") }} {{ contact.metadata.flag }} {{ contact.metadata.ratio }}",
            Some(&ada)
        ),
        "a, b true 1.5"
    );
    assert_eq!(render_for("{% for t in contact.metadata.tags %}[{{ t }}]{% endfor %}", Some(&ada)), "[a][b]");
}

#[test]
fn a_syntax_error_names_the_line() {
    let err = check("Hello\n\n{{ contact.name }\nBye").expect_err("unclosed");
    assert_eq!(err.line, Some(3));
    let shown = err.to_string();
    assert!(shown.starts_with("The template has an error on line 3: syntax error: "), "{shown}");
    assert!(shown.ends_with('.'), "{shown}");

    let err = check("{% if contact.name %}\nno end").expect_err("unclosed block");
    assert!(err.line.is_some(), "{err:?}");
    assert!(render("{% if %}", None).is_err());
}

#[test]
fn check_accepts_good_templates_and_catches_unknown_filters() {
    check(
        "Hi {{ contact.name | default(\"there\") | title }}! {% if contact.metadata.plan == \"pro\" %}Pro{% endif %}",
    )
    .expect("valid");
    check("Plain text, no template at all.").expect("valid");
    let err = check("line one\n{{ contact.name | defualt(\"x\") }}").expect_err("a typo");
    assert_eq!(err.line, Some(2));
    assert!(err.message.contains("unknown filter"), "{err}");
}

#[test]
fn includes_and_imports_are_unavailable() {
    for source in ["{% include \"other\" %}", "{% import \"macros\" as m %}"] {
        let err = render(source, None).expect_err("no loader");
        assert!(err.message.contains("cannot include or import"), "{err}");
        assert!(check(source).is_err());
    }
}

#[test]
fn a_runaway_template_is_stopped() {
    let err = render("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}", None)
        .expect_err("out of fuel");
    assert!(err.message.contains("too much work"), "{err}");

    let ada = contact(json!({"blob": "y".repeat(MAX_RENDERED_BYTES / 4)}));
    let err =
        render("{% for i in range(10) %}{{ contact.metadata.blob }}{% endfor %}", Some(&ada)).expect_err("too long");
    assert!(err.message.contains("more than"), "{err}");
}

#[test]
fn the_search_index_sees_the_words_not_the_tags() {
    assert_eq!(
        without_tags(
            "You are on {{ contact.metadata.plan | default(\"free\") }}.{% if x %} Call us{% endif %}{# note #} {a}"
        ),
        "You are on  .  Call us   {a}"
    );
    assert_eq!(without_tags("unclosed {{ contact.name"), "unclosed ");
    assert_eq!(without_tags("no tags at all"), "no tags at all");
}

#[test]
fn a_template_without_tags_reads_as_the_engine_would_print_it() {
    let long = "word ".repeat(MAX_RENDERED_BYTES / 5 + 1);
    for source in [
        "Hi! How can we help?",
        "Hi!\n",
        "Hi!\r\n",
        "Two lines\n\n",
        "**Welcome** back, _friend_.\nAsk us anything.",
        "a\r\nb\r\n",
        "",
        "\n",
        long.as_str(),
    ] {
        let engine = super::render_with_engine(source, None);
        assert_eq!(render(source, None), engine, "{source:?}");
    }
}
