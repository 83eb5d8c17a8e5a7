use std::time::Duration;

use concierge_authcall::MAX_RESPONSE_BYTES;
use concierge_domain::AuthErrorCode;
use url::Url;

use concierge_authcall::testing::{raw_server, Hangup};

use crate::support::{client, ends, error_of, Call, Server};

fn quick() -> Call {
    Call { timeout: Duration::from_millis(200), ..Call::default() }
}

/// The server never answers, so only the call's own timeout can end it.
#[tokio::test]
async fn a_slow_answer_times_out() {
    let server = Server::start().await;
    let trace = ends(quick().to(&client(true), &server.url("/slow"))).await;
    let (error, message) = error_of(&trace);
    assert_eq!(error, AuthErrorCode::AuthTimeout);
    assert_eq!(message, "The Authentication URL did not answer within 200 ms.");
    assert!(trace.response.is_none());
}

#[tokio::test]
async fn the_timeout_covers_the_body() {
    let server = Server::start().await;
    let trace = ends(quick().to(&client(true), &server.url("/slow-body"))).await;
    assert_eq!(error_of(&trace).0, AuthErrorCode::AuthTimeout);
    // The head had arrived: the trace still shows it.
    assert_eq!(trace.response.as_ref().map(|r| r.status), Some(200));
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("an address").port()
    };
    let url = Url::parse(&format!("http://127.0.0.1:{port}/auth")).expect("a URL");
    let trace = Call::default().to(&client(true), &url).await;
    let (error, message) = error_of(&trace);
    assert_eq!(error, AuthErrorCode::AuthUnreachable);
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(trace.response.is_none());
}

#[tokio::test]
async fn a_connection_reset_before_the_answer_is_unreachable() {
    let url = raw_server(Hangup::Reset).await;
    let trace = ends(Call::default().to(&client(true), &url)).await;
    let (error, message) = error_of(&trace);
    assert_eq!(error, AuthErrorCode::AuthUnreachable, "{message}");
    assert!(message.starts_with("The Authentication URL closed the connection without an answer ("), "{message}");
    assert!(message.contains("reset"), "{message}");
    assert!(trace.response.is_none());
}

#[tokio::test]
async fn a_connection_closed_without_an_answer_is_unreachable() {
    let url = raw_server(Hangup::After(b"")).await;
    let trace = ends(Call::default().to(&client(true), &url)).await;
    let (error, message) = error_of(&trace);
    assert_eq!(error, AuthErrorCode::AuthUnreachable, "{message}");
    assert!(message.starts_with("The Authentication URL closed the connection without an answer ("), "{message}");
}

/// The head promises 100 bytes; the connection ends after 8 of them.
#[tokio::test]
async fn an_answer_cut_off_mid_body_is_an_upstream_error() {
    let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"data\":";
    let url = raw_server(Hangup::After(head)).await;
    let trace = ends(Call::default().to(&client(true), &url)).await;
    let (error, message) = error_of(&trace);
    assert_eq!(error, AuthErrorCode::AuthUpstreamError, "{message}");
    assert!(message.starts_with("The Authentication URL broke off its answer ("), "{message}");
    let response = trace.response.as_ref().expect("the head arrived");
    assert_eq!((response.status, response.body.as_str()), (200, "{\"data\":"));
}

#[tokio::test]
async fn a_name_that_does_not_resolve_is_unreachable() {
    // The tests' resolver knows only localhost; nothing is asked of any DNS server.
    let url = Url::parse("http://no-such-host.invalid/auth").expect("a URL");
    let trace = Call::default().to(&client(false), &url).await;
    let (error, message) = error_of(&trace);
    assert_eq!(error, AuthErrorCode::AuthUnreachable, "{message}");
    assert!(message.contains("could not be resolved"), "{message}");
}

#[tokio::test]
async fn an_announced_oversized_answer_is_not_read() {
    let server = Server::start().await;
    let trace = Call::default().to(&client(true), &server.url("/big")).await;
    let (error, message) = error_of(&trace);
    assert_eq!(error, AuthErrorCode::AuthResponseTooLarge);
    assert!(message.contains("1048576-byte answer (Content-Length)"), "{message}");
    let response = trace.response.as_ref().expect("the head arrived");
    assert!(response.truncated && response.body.is_empty());
}

#[tokio::test]
async fn a_streamed_oversized_answer_is_cut_at_the_cap() {
    let server = Server::start().await;
    let trace = Call::default().to(&client(true), &server.url("/big-stream")).await;
    let (error, message) = error_of(&trace);
    assert_eq!(error, AuthErrorCode::AuthResponseTooLarge);
    assert!(message.contains(&format!("more than {MAX_RESPONSE_BYTES} bytes")), "{message}");
    let response = trace.response.as_ref().expect("the head arrived");
    assert!(!response.headers.iter().any(|h| h.name == "content-length"));
    assert!(response.truncated);
    assert_eq!(response.body.len(), MAX_RESPONSE_BYTES);
}

#[tokio::test]
async fn an_oversized_error_page_keeps_its_status_code() {
    let server = Server::start().await;
    let trace = Call::default().to(&client(true), &server.url("/big-error")).await;
    assert_eq!(error_of(&trace).0, AuthErrorCode::AuthUpstreamError);
    let response = trace.response.as_ref().expect("a response");
    assert!(response.truncated);
    assert_eq!(response.body.len(), MAX_RESPONSE_BYTES);
}
