//! The benchmark's widgets: their sessions, their sockets (opened from several loopback
//! source addresses, past their hello) and what those sockets hear.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use futures::StreamExt;
use serde_json::{json, Value};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::WebSocketStream;

use super::Args;
use crate::instance;

/// A widget of the benchmark: its session, and its socket while it is open.
pub(super) struct Widget {
    pub token: String,
    pub conversation: String,
    open: Option<Open>,
}

impl Widget {
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }
}

struct Open {
    stop: oneshot::Sender<()>,
    reader: tokio::task::JoinHandle<()>,
}

/// What the sockets' readers report: a `bench RUN I` message arrived at `arrived`
/// (nanoseconds since the epoch), or a `warm` one (`run` 0).
pub(super) struct Arrival {
    pub run: u32,
    pub index: usize,
    pub arrived: u64,
}

pub(super) struct Shared {
    pub epoch: Instant,
    pub arrivals: mpsc::UnboundedSender<Arrival>,
    pub closed_early: AtomicUsize,
}

impl Shared {
    pub fn now(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }
}

/// One anonymous session per widget, `concurrency` starts in flight.
pub(super) async fn start_sessions(http: &reqwest::Client, args: &Args, bot: &str) -> anyhow::Result<Vec<Widget>> {
    let url = format!("{}/api/widget/v1/sessions", args.base);
    let starts = futures::stream::iter(0..args.idle)
        .map(|_| async {
            let s: Value =
                http.post(&url).json(&json!({"bot_id": bot})).send().await?.error_for_status()?.json().await?;
            Ok::<_, anyhow::Error>(Widget {
                token: s["session_token"].as_str().context("session_token")?.to_owned(),
                conversation: s["conversation"]["id"].as_str().context("conversation id")?.to_owned(),
                open: None,
            })
        })
        .buffer_unordered(args.concurrency);
    starts.collect::<Vec<_>>().await.into_iter().collect()
}

/// Opens the sockets of `widgets[range]` that are not open yet.
pub(super) async fn open_range(
    widgets: &mut [Widget],
    range: std::ops::Range<usize>,
    server: SocketAddr,
    args: &Args,
    shared: &Arc<Shared>,
) -> anyhow::Result<()> {
    let opening = futures::stream::iter(range.filter(|&i| widgets[i].open.is_none()))
        .map(|i| {
            let source = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + (i % args.sources as usize) as u8));
            let token = widgets[i].token.clone();
            async move { (i, connect(server, source, &token).await) }
        })
        .buffer_unordered(args.concurrency);
    let opened: Vec<_> = opening.collect().await;
    for (i, socket) in opened {
        let socket = socket.with_context(|| format!("widget {i}'s socket"))?;
        let (stop, stopped) = oneshot::channel();
        let reader = tokio::spawn(read(socket, shared.clone(), stopped));
        widgets[i].open = Some(Open { stop, reader });
    }
    Ok(())
}

/// Closes the sockets of `widgets[range]` that are open (a close frame each).
pub(super) async fn close_range(widgets: &mut [Widget], range: std::ops::Range<usize>) {
    let readers: Vec<_> = widgets[range]
        .iter_mut()
        .filter_map(|w| w.open.take())
        .map(|open| {
            let _ = open.stop.send(());
            open.reader
        })
        .collect();
    futures::future::join_all(readers).await;
}

type Socket = WebSocketStream<TcpStream>;

/// A widget's socket from `source`, past its hello.
async fn connect(server: SocketAddr, source: IpAddr, token: &str) -> anyhow::Result<Socket> {
    let tcp = TcpSocket::new_v4()?;
    tcp.bind(SocketAddr::new(source, 0)).with_context(|| format!("bind {source}"))?;
    let tcp = tcp.connect(server).await?;
    tcp.set_nodelay(true)?;
    // The client's own buffers small too: the load generator holds as many sockets.
    let config = WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0);
    let url = format!("ws://{server}/api/widget/v1/ws");
    let (mut socket, _) = tokio_tungstenite::client_async_with_config(url, tcp, Some(config)).await?;
    instance::hello(&mut socket, token).await?;
    Ok(socket)
}

/// Reports every benchmark message the socket receives, until told to stop (then closes
/// it) or the server closes it (counted).
async fn read(mut socket: Socket, shared: Arc<Shared>, mut stop: oneshot::Receiver<()>) {
    loop {
        let frame = tokio::select! {
            frame = socket.next() => frame,
            _ = &mut stop => {
                let _ = socket.close(None).await;
                return;
            }
        };
        let arrived = shared.now();
        let Some(Ok(frame)) = frame else {
            shared.closed_early.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let Frame::Text(t) = frame else { continue };
        // Only messages matter; most frames are not (typing, who answers).
        if !t.contains("\"type\":\"message\"") {
            continue;
        }
        let Ok(f) = serde_json::from_str::<Value>(&t) else { continue };
        let text = f["message"]["text"].as_str().unwrap_or("");
        let arrival = if text == "warm" {
            Some(Arrival { run: 0, index: 0, arrived })
        } else {
            let mut parts = text.strip_prefix("bench ").unwrap_or("").split(' ');
            match (parts.next().and_then(|r| r.parse().ok()), parts.next().and_then(|i| i.parse().ok())) {
                (Some(run), Some(index)) => Some(Arrival { run, index, arrived }),
                _ => None,
            }
        };
        if let Some(arrival) = arrival {
            let _ = shared.arrivals.send(arrival);
        }
    }
}
