use std::net::IpAddr;

use concierge_authcall::{check_outbound_url, Lookup, UpstreamPolicy};
use concierge_domain::AuthErrorCode;
use url::Url;

use crate::support::{client, client_with, error_of, skip_requested, Call, Server, SKIP_IPV6};

/// Every way of writing "this machine" that the guard must see through.
const LOOPBACK_SPELLINGS: [&str; 5] = ["127.0.0.1", "localhost", "[::1]", "127.1", "[::ffff:127.0.0.1]"];

#[tokio::test]
async fn with_the_guard_on_no_loopback_spelling_gets_through() {
    let server = Server::start().await;
    let guarded = client(false);
    for host in LOOPBACK_SPELLINGS {
        let url = server.url_via(host, "/ok");
        let trace = Call::default().to(&guarded, &url).await;
        let (error, message) = error_of(&trace);
        assert_eq!(error, AuthErrorCode::AuthUrlBlocked, "{url}: {message}");
        assert!(message.contains("a loopback address"), "{url}: {message}");
        assert!(message.contains("--allow-private-upstreams"), "{url}: {message}");
        assert!(trace.response.is_none(), "{url}");
    }
    assert!(server.received().is_empty(), "a request got through the guard");
}

#[tokio::test]
async fn a_name_is_judged_by_what_it_resolves_to() {
    let server = Server::start().await;
    let trace = Call::default().to(&client(false), &server.url_via("localhost", "/ok")).await;
    let (_, message) = error_of(&trace);
    assert!(message.starts_with("localhost resolves only to a loopback address (127.0.0.1"), "{message}");
}

#[tokio::test]
async fn the_operator_switch_lets_loopback_through() {
    let server = Server::start().await;
    let open = client(true);
    for host in ["127.0.0.1", "localhost", "127.1", "[::ffff:127.0.0.1]"] {
        let url = server.url_via(host, "/ok");
        let trace = Call::default().to(&open, &url).await;
        assert!(trace.outcome.is_ok(), "{url}: {trace:?}");
    }
    assert_eq!(server.received().len(), 4);
}

#[tokio::test]
async fn names_are_looked_up_where_the_client_was_told() {
    let server = Server::start().await;
    let loopback = [IpAddr::from([127, 0, 0, 1])];
    let client = |allow_private| {
        let lookup = Lookup::fixed([("auth.customer.test", &loopback[..])]);
        client_with(UpstreamPolicy { allow_private, allow_http: true }, lookup)
    };
    let url = server.url_via("auth.customer.test", "/ok");
    let refused = Call::default().to(&client(false), &url).await;
    let (_, message) = error_of(&refused);
    assert!(message.starts_with("auth.customer.test resolves only to a loopback address (127.0.0.1)"), "{message}");
    let trace = Call::default().to(&client(true), &url).await;
    assert!(trace.outcome.is_ok(), "{trace:?}");
    assert_eq!(server.received().len(), 1);
}

/// The operator's policy as it is now, not as it was when the URL was saved: plain http to
/// a name stops the moment `--allow-http-upstreams` is gone, before any lookup.
#[tokio::test]
async fn plain_http_is_refused_as_soon_as_the_operator_stops_allowing_it() {
    let server = Server::start().await;
    let loopback = [IpAddr::from([127, 0, 0, 1])];
    let lookup = || Lookup::fixed([("auth.customer.test", &loopback[..])]);
    let url = server.url_via("auth.customer.test", "/ok");
    let with_http = client_with(UpstreamPolicy { allow_private: true, allow_http: true }, lookup());
    assert!(Call::default().to(&with_http, &url).await.outcome.is_ok());
    let without_http = client_with(UpstreamPolicy { allow_private: true, allow_http: false }, lookup());
    let trace = Call::default().to(&without_http, &url).await;
    let (error, message) = error_of(&trace);
    assert_eq!(error, AuthErrorCode::AuthUrlBlocked, "{message}");
    assert!(message.contains("must use https") && message.contains("nothing was sent"), "{message}");
    assert!(trace.response.is_none(), "{trace:?}");
    assert_eq!(server.received().len(), 1, "only the call that was allowed arrived");
}

#[tokio::test]
async fn ipv6_loopback_is_refused_and_then_allowed() {
    let url_for = |port: u16| Url::parse(&format!("http://[::1]:{port}/ok")).expect("a URL");
    let server = match Server::start_on("[::1]:0").await {
        Ok(server) => server,
        Err(e) if skip_requested(SKIP_IPV6) => {
            // Without IPv6 there is nothing to reach, but the guard must still refuse the URL.
            let trace = Call::default().to(&client(false), &url_for(9)).await;
            assert_eq!(error_of(&trace).0, AuthErrorCode::AuthUrlBlocked);
            eprintln!("skipped the allowed leg: cannot bind [::1] ({e}) and {SKIP_IPV6} is set");
            return;
        }
        Err(e) => panic!("cannot bind [::1] ({e}): this test needs IPv6 loopback; {SKIP_IPV6}=1 skips its allowed leg"),
    };
    let url = url_for(server.addr.port());
    let trace = Call::default().to(&client(false), &url).await;
    assert_eq!(error_of(&trace).0, AuthErrorCode::AuthUrlBlocked);
    assert!(server.received().is_empty());
    let trace = Call::default().to(&client(true), &url).await;
    assert!(trace.outcome.is_ok(), "{trace:?}");
}

/// Judged without calling: were the guard to regress, a call would leave the machine, so
/// addresses beyond loopback are only ever classified, never called, in tests.
#[test]
fn metadata_and_unroutable_addresses_stay_refused_whatever_the_operator_allows() {
    for url in ["http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://0.0.0.0:9/"] {
        let url = Url::parse(url).expect("a URL");
        let open = UpstreamPolicy { allow_private: true, allow_http: true };
        let reason = check_outbound_url(&url, open).expect_err("refused");
        assert!(reason.ends_with("Concierge never calls such addresses."), "{url}: {reason}");
    }
}

#[tokio::test]
async fn only_http_and_https_are_called() {
    let url = Url::parse("file:///etc/passwd").expect("a URL");
    let trace = Call::default().to(&client(true), &url).await;
    let (error, message) = error_of(&trace);
    assert_eq!(error, AuthErrorCode::AuthUrlBlocked);
    assert!(message.contains("not file"), "{message}");
}
