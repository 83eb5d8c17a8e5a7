use concierge_domain::{AuthErrorCode, IdentifyMethod};

use crate::support::{client, error_of, Call, Server};

#[tokio::test]
async fn a_good_answer_gives_the_verified_profile_and_identifier() {
    let server = Server::start().await;
    let trace = Call::default().to(&client(true), &server.url("/ok")).await;
    let (profile, identifier) = trace.outcome.as_ref().expect("authenticated");
    assert_eq!(identifier.method(), IdentifyMethod::Id);
    assert_eq!(identifier.value(), "12345");
    assert_eq!(profile.email.as_deref(), Some("John@Example.com"));
    assert_eq!(profile.name.as_deref(), Some("John Doe"));
    assert_eq!(profile.phone_number.as_deref(), Some("0987654321"));
    assert_eq!(profile.metadata["plan"], "pro");
    let response = trace.response.as_ref().expect("a response");
    assert_eq!(response.status, 200);
    assert!(!response.truncated);
    assert!(response.body.contains("John Doe"));
    assert!(response.headers.iter().any(|h| h.name == "content-type"));
}

#[tokio::test]
async fn the_identify_method_picks_the_identifier() {
    let server = Server::start().await;
    let call = Call { identify_method: IdentifyMethod::Email, ..Call::default() };
    let trace = call.to(&client(true), &server.url("/answer/email-only")).await;
    let (_, identifier) = trace.outcome.as_ref().expect("authenticated");
    assert_eq!(identifier.value(), "ann@example.com");
}

#[tokio::test]
async fn a_refused_token_is_invalid_token() {
    let server = Server::start().await;
    let client = client(true);
    for code in [401, 403] {
        let trace = Call::default().to(&client, &server.url(&format!("/status/{code}"))).await;
        let (error, message) = error_of(&trace);
        assert_eq!(error, AuthErrorCode::InvalidToken);
        assert_eq!(message, format!("The Authentication URL answered {code}: the access token was refused."));
        assert_eq!(trace.response.as_ref().map(|r| r.body.as_str()), Some("nope"));
    }
}

#[tokio::test]
async fn other_failures_are_upstream_errors_naming_the_status() {
    let server = Server::start().await;
    let client = client(true);
    for code in [500, 404, 429] {
        let trace = Call::default().to(&client, &server.url(&format!("/status/{code}"))).await;
        let (error, message) = error_of(&trace);
        assert_eq!(error, AuthErrorCode::AuthUpstreamError);
        assert!(message.starts_with(&format!("The Authentication URL answered {code} ")), "{message}");
    }
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = Server::start().await;
    let trace = Call::default().to(&client(true), &server.url("/redirect")).await;
    let (error, message) = error_of(&trace);
    assert_eq!(error, AuthErrorCode::AuthUpstreamError);
    assert!(message.contains("302"), "{message}");
    assert!(message.contains("https://elsewhere.example/auth"), "{message}");
    assert!(
        message.contains("redirects are not followed; point the Authentication URL at the final address"),
        "{message}"
    );
    assert_eq!(trace.response.as_ref().map(|r| r.status), Some(302));
}

#[tokio::test]
async fn malformed_answers_are_refused_with_the_domain_reason() {
    let server = Server::start().await;
    let client = client(true);
    for (answer, code, needle) in [
        ("not-json", AuthErrorCode::AuthInvalidResponse, "not valid JSON"),
        ("no-data", AuthErrorCode::AuthInvalidResponse, "no data object"),
        ("wrong-types", AuthErrorCode::AuthInvalidResponse, "data.email must be a string or null"),
        ("missing-id", AuthErrorCode::AuthMissingIdentifier, "has no data.id"),
        ("empty-id", AuthErrorCode::AuthMissingIdentifier, "has an empty data.id"),
    ] {
        let trace = Call::default().to(&client, &server.url(&format!("/answer/{answer}"))).await;
        let (error, message) = error_of(&trace);
        assert_eq!(error, code, "{answer}: {message}");
        assert!(message.contains(needle), "{answer}: {message}");
        assert_eq!(trace.response.as_ref().map(|r| r.status), Some(200), "{answer}");
    }
}
