//! Session starts per second: a fixed number of workers, each with one keep-alive
//! connection, start sessions back to back; the workers are spread evenly over the
//! instances named with `--target`, so one and two instances get the same total
//! connections. Anonymous starts, or Custom Authentication against the `customer` stand-in
//! with access tokens drawn from a fixed set of users (most starts find the contact).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;

use crate::cpu::{self, Group};
use crate::instance;
use crate::stats::{ms, Summary};

#[derive(clap::Args)]
pub struct Args {
    /// Base URL of an instance; repeat to spread the connections.
    #[arg(long, required = true)]
    target: Vec<String>,
    /// A bot to start sessions with; repeat to spread the starts (worker N uses bot N mod
    /// count), e.g. to stay under a per-bot limit.
    #[arg(long, required = true)]
    bot: Vec<String>,
    /// Keep-alive connections (one request in flight on each), over all targets.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    #[arg(long, default_value_t = 10)]
    secs: u64,
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Send an access token (`user-N`, N below `users`): for a bot with Custom Authentication.
    #[arg(long)]
    users: Option<u32>,
    /// Names this run in the `RESULT` line.
    #[arg(long)]
    label: String,
    #[arg(long)]
    cpu: Vec<Group>,
}

struct Sample {
    micros: u64,
    status: u16,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let begin = Instant::now();
    let measure_from = begin + Duration::from_secs(args.warmup);
    let end = measure_from + Duration::from_secs(args.secs);
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..args.connections {
        let http = reqwest::Client::builder().pool_max_idle_per_host(1).build()?;
        let url = format!("{}/api/widget/v1/sessions", args.target[w % args.target.len()]);
        let (bot, users) = (args.bot[w % args.bot.len()].clone(), args.users);
        // Each worker is a client address of its own (the instances trust the header in the
        // benchmark), so the per-IP limit counts per worker, as it would per visitor.
        let client = format!("10.0.{}.{}", w / 250, w % 250 + 1);
        workers.spawn(async move {
            let mut samples = Vec::new();
            let mut n = w as u32;
            let mut first_error = None;
            while Instant::now() < end {
                let mut body = json!({"bot_id": bot});
                if let Some(users) = users {
                    // Each worker walks the users with its own stride, so workers rarely
                    // sign in the same user at the same moment.
                    n = n.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    body["access_token"] = json!(format!("user-{}", n % users));
                }
                let started = Instant::now();
                let (status, text) = match http.post(&url).header("x-forwarded-for", &client).json(&body).send().await {
                    Ok(resp) => (resp.status().as_u16(), resp.text().await.unwrap_or_default()),
                    Err(e) => (0, e.to_string()),
                };
                if started >= measure_from && Instant::now() <= end {
                    samples.push(Sample { micros: started.elapsed().as_micros() as u64, status });
                }
                if status != 201 && first_error.is_none() {
                    first_error = Some(format!("{status}: {text}"));
                }
            }
            (samples, first_error)
        });
    }
    let groups = args.cpu.clone();
    let cpu_task = tokio::spawn(async move {
        tokio::time::sleep_until(measure_from.into()).await;
        let before = cpu::snapshot(&groups);
        tokio::time::sleep_until(end.into()).await;
        cpu::report(&groups, &before, &cpu::snapshot(&groups))
    });

    let mut latencies = Vec::new();
    let mut refused: BTreeMap<u16, usize> = BTreeMap::new();
    let mut first_error = None;
    while let Some(done) = workers.join_next().await {
        let (samples, error) = done.context("a worker panicked")?;
        first_error = first_error.or(error);
        for s in samples {
            if s.status == 201 {
                latencies.push(s.micros);
            } else {
                *refused.entry(s.status).or_default() += 1;
            }
        }
    }
    let (cpu_line, cpu_text) = cpu_task.await?;
    let s = Summary::of(&mut latencies);
    let rps = s.count as f64 / args.secs as f64;
    let refused_text: Vec<String> = refused.iter().map(|(status, n)| format!("{status}x{n}")).collect();
    let refused_total: usize = refused.values().sum();
    println!(
        "{}: {} instance(s), {} connections: {} started in {} s = {rps:.0}/s, p50 {} ms, p99 {} ms, max {} ms; refused {}",
        args.label,
        args.target.len(),
        args.connections,
        s.count,
        args.secs,
        ms(s.p50),
        ms(s.p99),
        ms(s.max),
        if refused.is_empty() { "none".to_owned() } else { refused_text.join(" ") },
    );
    if let Some(e) = first_error {
        println!("first refusal: {e}");
    }
    println!("{cpu_text}");
    println!(
        "RESULT phase=sessions label={} instances={} connections={} started={} rps={rps:.0} {} refused={refused_total} {cpu_line}",
        args.label,
        args.target.len(),
        args.connections,
        s.count,
        s.fields("latency"),
    );
    Ok(())
}

/// Creates `count` bots through the admin API, with Custom Authentication against
/// `auth_url` when given, and prints their ids, one a line.
#[derive(clap::Args)]
pub struct BotArgs {
    #[arg(long)]
    admin: String,
    #[arg(long, env = "CONCIERGE_ADMIN_TOKEN")]
    admin_token: String,
    #[arg(long)]
    auth_url: Option<String>,
    /// The bot's auth result cache, in seconds (0: off).
    #[arg(long, default_value_t = 0)]
    cache_ttl_secs: u32,
    #[arg(long, default_value_t = 1)]
    count: usize,
}

pub async fn create_bot(args: BotArgs) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let api = format!("{}/api/admin/v1", args.admin);
    for _ in 0..args.count {
        let id = instance::create_bot(&http, &args.admin, &args.admin_token, "Sessions bench").await?;
        if let Some(url) = &args.auth_url {
            http.put(format!("{api}/bots/{id}/custom-auth"))
                .bearer_auth(&args.admin_token)
                .json(&json!({"enabled": true, "url": url, "cache_ttl_secs": args.cache_ttl_secs}))
                .send()
                .await?
                .error_for_status()?;
        }
        println!("{id}");
    }
    Ok(())
}
