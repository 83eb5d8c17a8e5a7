//! Requests at a fixed rate (open loop): each request leaves at its scheduled moment
//! whether or not earlier ones have answered, and its latency counts from that moment, so a
//! stall shows in the percentiles instead of slowing the load (no coordinated omission).
//! For "p99 at 70 % of the peer's maximum rate", where wrk's closed loop cannot say.

use std::time::{Duration, Instant};

use anyhow::Context;

use crate::stats::{ms, Summary};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    url: String,
    /// JSON body to POST; without it, a GET.
    #[arg(long)]
    body: Option<String>,
    /// `name: value`; repeat for several.
    #[arg(long)]
    header: Vec<String>,
    /// Requests per second.
    #[arg(long)]
    rate: u32,
    #[arg(long, default_value_t = 10)]
    secs: u64,
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Names this run in the `RESULT` line.
    #[arg(long)]
    label: String,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    // An answer later than this is a failure: past the load the server can carry, requests
    // queue without end, and the run must end.
    let http = reqwest::Client::builder().pool_max_idle_per_host(1024).timeout(Duration::from_secs(10)).build()?;
    let mut headers = reqwest::header::HeaderMap::new();
    for h in &args.header {
        let (name, value) = h.split_once(':').context("a header is `name: value`")?;
        headers.insert(reqwest::header::HeaderName::try_from(name.trim())?, value.trim().parse()?);
    }
    let rate = args.rate.max(1);
    let interval = Duration::from_secs(1) / rate;
    let total = u64::from(rate) * (args.warmup + args.secs);
    let measured_from = u64::from(rate) * args.warmup;
    let begin = Instant::now();
    let mut requests = tokio::task::JoinSet::new();
    let mut answers = Vec::new();
    for i in 0..total {
        let scheduled = begin + interval * u32::try_from(i)?;
        tokio::time::sleep_until(scheduled.into()).await;
        let request = match &args.body {
            Some(body) => http.post(&args.url).header("content-type", "application/json").body(body.clone()),
            None => http.get(&args.url),
        };
        let request = request.headers(headers.clone());
        requests.spawn(async move {
            let status = match request.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let _ = resp.bytes().await;
                    status
                }
                Err(_) => 0,
            };
            (i, scheduled.elapsed().as_micros() as u64, status)
        });
        // Answers are collected as they come, so that finished tasks do not pile up.
        while let Some(done) = requests.try_join_next() {
            answers.push(done?);
        }
    }
    let sent_in = begin.elapsed();
    while let Some(done) = requests.join_next().await {
        answers.push(done?);
    }
    let mut latencies = Vec::new();
    let mut failed = 0usize;
    for (i, micros, status) in answers {
        if i < measured_from {
            continue;
        }
        if (200..300).contains(&status) {
            latencies.push(micros);
        } else {
            failed += 1;
        }
    }
    let s = Summary::of(&mut latencies);
    let achieved = total as f64 / sent_in.as_secs_f64();
    println!(
        "{}: {rate}/s requested, {achieved:.0}/s sent; {} answered 2xx, {failed} not; p50 {} ms, p99 {} ms, max {} ms",
        args.label,
        s.count,
        ms(s.p50),
        ms(s.p99),
        ms(s.max)
    );
    println!(
        "RESULT phase=rate label={} rate={rate} sent_rps={achieved:.0} ok={} failed={failed} {}",
        args.label,
        s.count,
        s.fields("latency")
    );
    Ok(())
}
