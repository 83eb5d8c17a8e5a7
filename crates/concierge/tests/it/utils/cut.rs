//! A TCP proxy in front of a real server (PostgreSQL, Redis) that a test can cut and
//! restore: the server going away and coming back, without touching the machine's server
//! that other tests use. Or stall: its connections fall silent without closing, as a
//! connection does whose host died or whose flow a middlebox dropped.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Cuttable {
    /// Where clients connect instead of the server.
    pub addr: SocketAddr,
    cut: watch::Sender<bool>,
    /// Bumped by each stall: connections opened before it carry nothing more.
    stalls: watch::Sender<u64>,
}

impl Cuttable {
    /// A proxy to `upstream` (`host:port`) on a free loopback port.
    pub async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (cut, watching) = watch::channel(false);
        let (stalls, stalled) = watch::channel(0);
        tokio::spawn(serve(listener, upstream.to_owned(), watching, stalled));
        Self { addr, cut, stalls }
    }

    /// Every open connection falls silent for good, still open: nothing it carries arrives
    /// any more, and nothing says so. New connections work.
    pub fn stall(&self) {
        self.stalls.send_modify(|n| *n += 1);
    }

    /// Cut: every connection closes, and new ones are refused (the port is closed, as a
    /// stopped server's is), until [`Cuttable::restore`].
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    pub fn restore(&self) {
        self.cut.send_replace(false);
    }
}

async fn serve(
    mut listener: TcpListener,
    upstream: String,
    mut cut: watch::Receiver<bool>,
    stalled: watch::Receiver<u64>,
) {
    let addr = listener.local_addr().expect("addr");
    let for_pipes = cut.clone();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((client, _)) = accepted else { return };
                let mut stalled = stalled.clone();
                stalled.mark_unchanged();
                tokio::spawn(pipe(client, upstream.clone(), for_pipes.clone(), stalled));
            }
            watching = async { cut.wait_for(|cut| *cut).await.is_ok() } => {
                if !watching {
                    return;
                }
                drop(listener);
                if cut.wait_for(|cut| !*cut).await.is_err() {
                    return;
                }
                // The same port again (tokio sets SO_REUSEADDR): clients keep their address.
                listener = TcpListener::bind(addr).await.expect("the proxy's port is free again");
            }
        }
    }
}

async fn pipe(
    mut client: TcpStream,
    upstream: String,
    mut cut: watch::Receiver<bool>,
    mut stalled: watch::Receiver<u64>,
) {
    let Ok(mut server) = TcpStream::connect(&upstream).await else { return };
    let stall = tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => false,
        _ = cut.wait_for(|cut| *cut) => false,
        _ = stalled.changed() => true,
    };
    if stall {
        // Both ends stay open and unread until the proxy is cut.
        let _ = cut.wait_for(|cut| *cut).await;
    }
    drop((client, server));
}
