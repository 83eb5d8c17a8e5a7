use super::*;

const OPEN: UpstreamPolicy = UpstreamPolicy { allow_private: true, allow_http: false };
const CLOSED: UpstreamPolicy = UpstreamPolicy { allow_private: false, allow_http: false };

fn input(url: &str) -> CustomAuthInput {
    CustomAuthInput { enabled: Some(true), url: Some(url.into()), ..Default::default() }
}

fn url_error(url: &str, policy: UpstreamPolicy) -> String {
    let errors = input(url).validate(&CustomAuthSettings::default(), policy).unwrap_err();
    assert_eq!(errors[0].field, "url");
    errors[0].message.clone()
}

#[test]
fn defaults_follow_the_seed() {
    let s = input("https://api.shop.example/auth").validate(&Default::default(), CLOSED).unwrap();
    assert_eq!(s.identify_method, IdentifyMethod::Id);
    assert_eq!(s.timeout_ms, 5000);
    assert_eq!(s.on_failure, OnFailure::Anonymous);
    assert!(s.additional_fields.is_empty());
}

#[test]
fn the_cache_lasts_at_most_an_hour() {
    let with = |t| CustomAuthInput { cache_ttl_secs: Some(t), ..input("https://api.shop.example/auth") };
    assert_eq!(with(0).validate(&Default::default(), CLOSED).unwrap().cache_ttl_secs, 0);
    assert_eq!(with(3600).validate(&Default::default(), CLOSED).unwrap().cache_ttl_secs, 3600);
    for bad in [-1, 3601] {
        let errors = with(bad).validate(&Default::default(), CLOSED).unwrap_err();
        assert_eq!(errors[0].field, "cache_ttl_secs", "{bad}");
    }
}

/// A client that sends the reference's body, or a page that does not show them, leaves the
/// allowed origins and the cache as they are; an empty list still allows every origin.
#[test]
fn fields_beyond_the_reference_are_kept_when_left_out() {
    let current = CustomAuthInput {
        allowed_origins: Some(vec!["https://shop.example".into()]),
        cache_ttl_secs: Some(600),
        ..input("https://api.shop.example/auth")
    }
    .validate(&Default::default(), CLOSED)
    .unwrap();
    let kept = input("https://api.shop.example/v2/auth").validate(&current, CLOSED).unwrap();
    assert_eq!(
        (kept.allowed_origins.as_slice(), kept.cache_ttl_secs),
        (["https://shop.example".to_owned()].as_slice(), 600)
    );
    let emptied = CustomAuthInput {
        allowed_origins: Some(Vec::new()),
        cache_ttl_secs: Some(0),
        ..input("https://api.shop.example/auth")
    };
    let emptied = emptied.validate(&current, CLOSED).unwrap();
    assert_eq!((emptied.allowed_origins.len(), emptied.cache_ttl_secs), (0, 0));
}

#[test]
fn url_rules() {
    assert!(url_error("http://api.shop.example/auth", CLOSED).contains("https"));
    assert!(url_error("http://127.0.0.1:9/auth", CLOSED).contains("loopback"));
    assert!(url_error("https://localhost/auth", CLOSED).contains("loopback"));
    assert!(url_error("https://[::ffff:127.0.0.1]/", CLOSED).contains("loopback"));
    assert!(url_error("https://169.254.169.254/", OPEN).contains("metadata"));
    assert!(url_error("https://user:pw@api.shop.example/", CLOSED).contains("credentials"));
    assert!(url_error("ftp://api.shop.example/", CLOSED).contains("https"));
    assert!(url_error("not a url", CLOSED).contains("not a valid URL"));
    for ok in ["http://127.0.0.1:9/auth", "http://localhost:9/", "http://[::1]:9/", "http://127.1:9/"] {
        input(ok).validate(&Default::default(), OPEN).unwrap();
    }
    let allow_http = UpstreamPolicy { allow_private: false, allow_http: true };
    input("http://api.shop.example/auth").validate(&Default::default(), allow_http).unwrap();
    let errors = CustomAuthInput { enabled: Some(true), ..Default::default() }
        .validate(&Default::default(), CLOSED)
        .unwrap_err();
    assert!(errors[0].message.contains("required"));
}

#[test]
fn the_scheme_rule_needs_no_address_and_follows_the_current_policy() {
    let url = |s: &str| Url::parse(s).unwrap();
    let http_anywhere = UpstreamPolicy { allow_private: false, allow_http: true };
    // Saved while plain http was allowed, then the operator removed the flag.
    let saved = url("http://api.shop.example/auth");
    assert!(check_upstream_scheme(&saved, http_anywhere).is_ok());
    assert!(check_upstream_scheme(&saved, OPEN).unwrap_err().contains("https"));
    assert!(check_upstream_scheme(&saved, CLOSED).unwrap_err().contains("https"));
    assert!(check_upstream_scheme(&url("https://api.shop.example/auth"), CLOSED).is_ok());
    // Plain http to a private literal or localhost only with --allow-private-upstreams.
    for private in ["http://127.0.0.1:9/", "http://localhost:9/", "http://10.0.0.7/", "http://[::1]:9/"] {
        assert!(check_upstream_scheme(&url(private), OPEN).is_ok(), "{private}");
        assert!(check_upstream_scheme(&url(private), CLOSED).is_err(), "{private}");
    }
    assert!(check_upstream_scheme(&url("http://93.184.215.14/"), OPEN).is_err(), "a public address");
    assert!(check_upstream_scheme(&url("ftp://api.shop.example/"), http_anywhere).unwrap_err().contains("not ftp"));
    assert!(check_upstream_scheme(&url("https://u:p@api.shop.example/"), CLOSED).unwrap_err().contains("credentials"));
}

#[test]
fn the_url_is_optional_only_when_another_mode_identifies() {
    let on = CustomAuthInput { enabled: Some(true), ..Default::default() };
    let errors = on.clone().validate(&Default::default(), CLOSED).unwrap_err();
    assert_eq!(errors[0].field, "url");
    let other_mode = CustomAuthInput { url_optional: true, ..on };
    assert!(other_mode.validate(&Default::default(), CLOSED).unwrap().enabled);
}

#[test]
fn every_bad_field_gets_its_own_message() {
    let bad = CustomAuthInput {
        enabled: Some(false),
        url: None,
        additional_fields: Some(vec!["user_id".into(), "age".into()]),
        identify_method: Some("username".into()),
        timeout_ms: Some(50),
        on_failure: Some("ignore".into()),
        headers: Some(
            [("Content-Type".to_string(), Some("x".to_string())), ("X-Key".into(), Some("a\nb".into()))].into(),
        ),
        allowed_origins: Some(vec!["https://shop.example/path".into()]),
        cache_ttl_secs: Some(7200),
        url_optional: false,
    };
    let fields: Vec<String> =
        bad.validate(&Default::default(), CLOSED).unwrap_err().into_iter().map(|e| e.field).collect();
    assert_eq!(
        fields,
        [
            "additional_fields",
            "identify_method",
            "timeout_ms",
            "on_failure",
            "headers.Content-Type",
            "headers.X-Key",
            "allowed_origins",
            "cache_ttl_secs"
        ]
    );
}

#[test]
fn a_bad_timeout_is_explained_in_words_people_use() {
    let bad = CustomAuthInput { timeout_ms: Some(5), ..Default::default() };
    let errors = bad.validate(&Default::default(), CLOSED).unwrap_err();
    assert_eq!(errors[0].message, "Enter a time between 100 and 30,000 milliseconds (5 is not).");
}

#[test]
fn header_values_are_write_only_and_can_be_kept() {
    let current = CustomAuthSettings {
        headers: vec![StaticHeader { name: "X-Api-Key".into(), value: "k1".into() }],
        ..Default::default()
    };
    let keep = CustomAuthInput { headers: Some([("X-Api-Key".to_string(), None)].into()), ..Default::default() };
    assert_eq!(keep.validate(&current, CLOSED).unwrap().headers[0].value, "k1");
    let unknown = CustomAuthInput { headers: Some([("X-Other".to_string(), None)].into()), ..Default::default() };
    assert_eq!(unknown.validate(&current, CLOSED).unwrap_err()[0].field, "headers.X-Other");
}

#[test]
fn origins_are_normalised_and_matched() {
    let s = CustomAuthInput { allowed_origins: Some(vec!["https://Shop.Example:443/".into()]), ..Default::default() }
        .validate(&Default::default(), CLOSED)
        .unwrap();
    assert_eq!(s.allowed_origins, ["https://shop.example"]);
    assert!(s.allows_origin(Some("https://shop.example")));
    assert!(!s.allows_origin(Some("https://evil.example")));
    assert!(!s.allows_origin(None));
    assert!(CustomAuthSettings::default().allows_origin(None));
}
