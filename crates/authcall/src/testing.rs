//! Peers for tests (feature `testing`): a customer server below HTTP that breaks the
//! connection, for what an HTTP framework will not do.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

/// How a [`raw_server`] treats each connection once it has read the request's head.
#[derive(Debug, Clone, Copy)]
pub enum Hangup {
    /// Resets the connection (RST) without a byte of answer.
    Reset,
    /// Sends these bytes, then closes the connection.
    After(&'static [u8]),
}

/// A server on 127.0.0.1 that reads each request's head and then hangs up as told.
/// Returns its URL (`/auth`).
///
/// # Panics
/// When no loopback port can be bound: a test without its peer cannot run.
pub async fn raw_server(hangup: Hangup) -> Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
    let url = Url::parse(&format!("http://{}/auth", listener.local_addr().expect("an address"))).expect("a URL");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                match hangup {
                    Hangup::Reset => {
                        let _ = stream.set_zero_linger();
                    }
                    Hangup::After(bytes) => {
                        let _ = stream.write_all(bytes).await;
                        let _ = stream.shutdown().await;
                    }
                }
            });
        }
    });
    url
}
