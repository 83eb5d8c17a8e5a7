//! Widget sockets at scale, against one instance (`bench/sockets`):
//!
//! 1. **Idle**: `--idle` widgets, each with a session of its own, open their socket and say
//!    hello, then stay silent for `--idle-secs` (at least one keep-alive ping each). The
//!    server's memory (VmRSS and `smaps_rollup`, from /proc) is read before the sockets open
//!    and while they are held: the difference per socket is what an idle widget costs. The
//!    server's CPU over the idle window is what their pings cost.
//! 2. **Live**: agent replies written through the admin API at `--rate`, open loop, spread
//!    round-robin over the conversations of the connected widgets; each is timed from the
//!    moment its request was issued to the moment its frame arrived on the widget's socket.
//!    First with `--reference` widgets connected (the reference), then with `--live`, then
//!    with `--reference` again: the same messages at the same rate, only the number of open
//!    sockets differs, and the reference brackets the run against drift.
//!
//! The client side opens its sockets from `--sources` loopback addresses (127.0.0.2, …):
//! one source address has about 28,000 ephemeral ports towards one server port.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures::StreamExt;
use tokio::sync::mpsc;

mod widgets;

use widgets::{close_range, open_range, start_sessions, Arrival, Shared, Widget};

use crate::cpu::{self, Group};
use crate::delivery::reply;
use crate::instance;
use crate::memory::Memory;
use crate::stats::{ms, Summary};

#[derive(clap::Args)]
pub struct Args {
    /// Base URL of the instance, `http://127.0.0.1:PORT`.
    #[arg(long)]
    base: String,
    /// The server's process id: its memory is read from /proc.
    #[arg(long)]
    pid: u32,
    #[arg(long, env = "CONCIERGE_ADMIN_TOKEN")]
    admin_token: String,
    /// Idle widget sockets held at once.
    #[arg(long, default_value_t = 50_000)]
    idle: usize,
    /// Seconds the idle sockets are held once all are open (the server pings every 20 s).
    #[arg(long, default_value_t = 25)]
    idle_secs: u64,
    /// Connected widgets during the delivery run (at most `idle`).
    #[arg(long, default_value_t = 10_000)]
    live: usize,
    /// Connected widgets during the reference delivery runs.
    #[arg(long, default_value_t = 10)]
    reference: usize,
    /// Agent replies per second.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    rate: u32,
    /// Measured seconds of each delivery run, after `warmup` seconds at the same rate.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    secs: u32,
    #[arg(long, default_value_t = 2)]
    warmup: u32,
    /// Client source addresses: 127.0.0.2 up to 127.0.0.(1 + sources).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u8).range(1..=250))]
    sources: u8,
    /// Session starts and socket openings in flight at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Process groups whose CPU time is reported, as `name=pid[/filter]`.
    #[arg(long)]
    cpu: Vec<Group>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.reference <= args.live && args.live <= args.idle, "--reference <= --live <= --idle");
    let server: SocketAddr = args.base.trim_start_matches("http://").parse().context("--base http://IP:PORT")?;
    let http = reqwest::Client::builder().pool_max_idle_per_host(1024).build()?;
    let bot = instance::create_bot(&http, &args.base, &args.admin_token, "Sockets bench").await?;
    let started = Instant::now();
    let mut widgets = start_sessions(&http, &args, &bot).await?;
    println!(
        "{} sessions started in {:.1} s ({:.0}/s)",
        widgets.len(),
        started.elapsed().as_secs_f64(),
        widgets.len() as f64 / started.elapsed().as_secs_f64()
    );
    let (arrivals, mut arrived) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared { epoch: Instant::now(), arrivals, closed_early: AtomicUsize::new(0) });

    // 1. Idle sockets.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = Memory::of(args.pid)?;
    let opening = Instant::now();
    open_range(&mut widgets, 0..args.idle, server, &args, &shared).await?;
    let opened_in = opening.elapsed();
    let gauge = open_sockets_gauge(&http, &args.base).await?;
    let cpu_before = cpu::snapshot(&args.cpu);
    tokio::time::sleep(Duration::from_secs(args.idle_secs)).await;
    let (cpu_line, cpu_text) = cpu::report(&args.cpu, &cpu_before, &cpu::snapshot(&args.cpu));
    let held = Memory::of(args.pid)?;
    let closed_early = shared.closed_early.load(Ordering::Relaxed);
    println!(
        "{} sockets opened in {:.1} s ({:.0}/s); the server counts {gauge} open; {closed_early} closed by the server",
        args.idle,
        opened_in.as_secs_f64(),
        args.idle as f64 / opened_in.as_secs_f64()
    );
    println!("server memory before: {before}");
    println!("server memory with {} idle sockets, after {} s: {held}", args.idle, args.idle_secs);
    let per = |after: u64, before: u64| after.saturating_sub(before) as f64 * 1024.0 / args.idle as f64;
    println!(
        "per idle socket: VmRSS {:.0} B ({:.2} KiB), RssAnon {:.0} B, Pss {:.0} B",
        per(held.vm_rss, before.vm_rss),
        per(held.vm_rss, before.vm_rss) / 1024.0,
        per(held.rss_anon, before.rss_anon),
        per(held.pss, before.pss)
    );
    println!("idle: {cpu_text}");
    println!(
        "RESULT phase=idle sockets={} open={gauge} closed_early={closed_early} rss_before_kib={} rss_after_kib={} \
         per_socket_rss_b={:.0} per_socket_anon_b={:.0} per_socket_pss_b={:.0} {cpu_line}",
        args.idle,
        before.vm_rss,
        held.vm_rss,
        per(held.vm_rss, before.vm_rss),
        per(held.rss_anon, before.rss_anon),
        per(held.pss, before.pss)
    );

    // 2. Live delivery: the conversations are taken over by the team first (one reply
    // each), so that the runs' replies change nothing but the messages.
    close_range(&mut widgets, args.live..args.idle).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!("after closing down to {} sockets: {}", args.live, Memory::of(args.pid)?);
    warm(&http, &args, &widgets[..args.live], &mut arrived).await?;
    let runs = [("reference", args.reference), ("live", args.live), ("reference", args.reference)];
    for (number, (label, connected)) in (1..).zip(runs) {
        close_range(&mut widgets, connected..args.live).await;
        open_range(&mut widgets, 0..connected, server, &args, &shared).await?;
        let run = Run { number, label, connected };
        deliver(&http, &args, &widgets[..connected], &run, &shared, &mut arrived).await?;
    }
    close_range(&mut widgets, 0..args.live).await;
    Ok(())
}

/// One reply per conversation, `concurrency` at a time, and every socket has heard its own.
async fn warm(
    http: &reqwest::Client,
    args: &Args,
    widgets: &[Widget],
    arrived: &mut mpsc::UnboundedReceiver<Arrival>,
) -> anyhow::Result<()> {
    let admin = format!("{}/api/admin/v1", args.base);
    let replies = futures::stream::iter(widgets)
        .map(|w| reply(http, &admin, &args.admin_token, &w.conversation, "warm"))
        .buffer_unordered(args.concurrency);
    let sent: Vec<_> = replies.collect().await;
    sent.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    let open = widgets.iter().filter(|w| w.is_open()).count();
    let mut heard = 0;
    let all = async {
        while heard < open {
            match arrived.recv().await {
                Some(a) if a.run == 0 => heard += 1,
                Some(_) => {}
                None => break,
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(30), all).await.is_err() {
        bail!("{heard} of {open} sockets heard their conversation's first reply within 30 s");
    }
    Ok(())
}

struct Run {
    number: u32,
    label: &'static str,
    connected: usize,
}

/// Replies at `rate`, open loop, round-robin over `widgets`' conversations: each message
/// `bench RUN I` timed from its request's issue to its arrival on the widget's socket.
async fn deliver(
    http: &reqwest::Client,
    args: &Args,
    widgets: &[Widget],
    run: &Run,
    shared: &Arc<Shared>,
    arrived: &mut mpsc::UnboundedReceiver<Arrival>,
) -> anyhow::Result<()> {
    let admin = format!("{}/api/admin/v1", args.base);
    let total = ((args.warmup + args.secs) * args.rate) as usize;
    let first_measured = (args.warmup * args.rate) as usize;
    let issued: Arc<Vec<AtomicU64>> = Arc::new((0..total).map(|_| AtomicU64::new(0)).collect());
    let accepted = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let period = Duration::from_secs(1) / args.rate;
    let start = tokio::time::Instant::now() + Duration::from_millis(50);
    let measure_from = start + period * first_measured as u32;
    let measure_to = start + period * total as u32;
    let groups = args.cpu.clone();
    let cpu_task = tokio::spawn(async move {
        tokio::time::sleep_until(measure_from).await;
        let before = cpu::snapshot(&groups);
        tokio::time::sleep_until(measure_to).await;
        cpu::report(&groups, &before, &cpu::snapshot(&groups))
    });
    let mut posts = tokio::task::JoinSet::new();
    for (i, slot) in issued.iter().enumerate() {
        tokio::time::sleep_until(start + period * i as u32).await;
        slot.store(shared.now(), Ordering::Relaxed);
        let (http, admin, token) = (http.clone(), admin.clone(), args.admin_token.clone());
        let conversation = widgets[i % widgets.len()].conversation.clone();
        let (accepted, failed) = (accepted.clone(), failed.clone());
        let text = format!("bench {} {i}", run.number);
        posts.spawn(async move {
            let ok = reply(&http, &admin, &token, &conversation, &text).await.is_ok();
            if i >= first_measured {
                if ok { &accepted } else { &failed }.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    while posts.join_next().await.is_some() {}
    let (cpu_line, cpu_text) = cpu_task.await?;
    let accepted = accepted.load(Ordering::Relaxed);
    let failed = failed.load(Ordering::Relaxed);

    // Every accepted message on its socket, or 5 s more.
    let mut latencies: HashMap<usize, u64> = HashMap::new();
    let collect = async {
        while latencies.len() < accepted {
            let Some(a) = arrived.recv().await else { break };
            if a.run == run.number && a.index >= first_measured {
                let sent = issued[a.index].load(Ordering::Relaxed);
                latencies.insert(a.index, a.arrived.saturating_sub(sent) / 1000);
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), collect).await;
    let mut micros: Vec<u64> = latencies.into_values().collect();
    let s = Summary::of(&mut micros);
    println!(
        "{} run {} ({} connected widgets, {}/s for {} s): {} of {accepted} delivered ({failed} failed), \
         p50 {} ms, p99 {} ms, max {} ms; {cpu_text}",
        run.label,
        run.number,
        run.connected,
        args.rate,
        args.secs,
        s.count,
        ms(s.p50),
        ms(s.p99),
        ms(s.max)
    );
    println!(
        "RESULT phase=delivery run={} label={} connected={} accepted={accepted} failed={failed} received={} {} {cpu_line}",
        run.number,
        run.label,
        run.connected,
        s.count,
        s.fields("latency")
    );
    Ok(())
}

/// The widget sockets the server itself counts (`concierge_widget_sockets`).
async fn open_sockets_gauge(http: &reqwest::Client, base: &str) -> anyhow::Result<u64> {
    let metrics = http.get(format!("{base}/metrics")).send().await?.error_for_status()?.text().await?;
    let line = metrics.lines().find(|l| l.starts_with("concierge_widget_sockets ")).unwrap_or("x 0");
    Ok(line.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) as u64)
}
