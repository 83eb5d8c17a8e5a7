//! The load generator of `bench/scale-out`: cross-instance delivery latency, session starts
//! per second, and a stand-in for a customer's authentication endpoint. The script starts
//! the instances, PostgreSQL database and this program's phases, and prints the summary;
//! each phase here prints a human report and one `RESULT key=value …` line for the script.
//!
//! Not a test: figures depend on the machine. See docs/benchmarks.md.

mod cpu;
mod customer;
mod delivery;
mod instance;
mod memory;
mod rate;
mod sessions;
mod sockets;
mod stats;

use clap::{Parser, Subcommand};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Answer Custom Authentication calls: `{"data": {"id": <access_token>}}`, nothing checked.
    Customer(customer::Args),
    /// Agent replies written through one instance at a steady rate, timed to the widget
    /// sockets of the same conversations on every instance.
    Delivery(delivery::Args),
    /// Session starts from a fixed number of keep-alive connections spread over instances.
    Sessions(sessions::Args),
    /// Requests at a fixed rate (open loop), for the latency at a given load.
    Rate(rate::Args),
    /// Create a bot (with Custom Authentication against `--auth-url` if given); prints its id.
    Bot(sessions::BotArgs),
    /// Idle widget sockets held by one instance (its memory per socket, the CPU of their
    /// pings), then delivery latency with many sockets open against a few.
    Sockets(sockets::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Customer(args) => customer::run(args).await,
        Command::Delivery(args) => delivery::run(args).await,
        Command::Sessions(args) => sessions::run(args).await,
        Command::Rate(args) => rate::run(args).await,
        Command::Bot(args) => sessions::create_bot(args).await,
        Command::Sockets(args) => sockets::run(args).await,
    }
}
