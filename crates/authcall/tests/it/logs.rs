use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::support::{client, Call, Server, API_KEY, TOKEN};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// The default (current-thread) runtime keeps the client and the server on this thread, so
// the thread-local subscriber sees everything they log.
#[tokio::test]
async fn logs_name_the_host_and_outcome_but_never_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = Server::start().await;
    let client = client(true);
    let ok = Call::default().to(&client, &server.url("/ok")).await;
    let refused = Call::default().to(&client, &server.url("/status/401")).await;

    let logs = String::from_utf8(captured.0.lock().expect("not poisoned").clone()).expect("UTF-8");
    assert!(logs.contains("authentication call"), "{logs}");
    assert!(logs.contains("host=\"127.0.0.1\""), "{logs}");
    assert!(logs.contains("outcome=\"ok\""), "{logs}");
    assert!(logs.contains("outcome=\"invalid_token\"") && logs.contains("status=401"), "{logs}");
    let mut secrets = vec![TOKEN.to_owned(), API_KEY.to_owned()];
    for trace in [&ok, &refused] {
        let signature = trace.request.headers.iter().find(|h| h.name == "webhook-signature");
        secrets.push(signature.expect("signed").value.clone());
        secrets.push(trace.request.body.clone());
    }
    for secret in secrets {
        assert!(!logs.contains(&secret), "{secret} was logged:\n{logs}");
    }
}
