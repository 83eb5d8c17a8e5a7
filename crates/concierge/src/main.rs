use std::process::ExitCode;

use clap::Parser;
use concierge::cli::{Cli, Command, TokenCommand, UserCommand, WorkspaceCommand};
use concierge::{app, config, telemetry};

// Opt-in (`--features mimalloc`): faster allocation, a larger idle process; see
// docs/benchmarks.md, Footprint.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let config = config::load(cli.config.as_deref(), &cli.storage, &args)?;
            telemetry::init(config.log_format, &config.log_level);
            let _claim = app::serve_lock::claim(&config.storage)?;
            let stop = app::shutdown_signal();
            let listen = config.listen;
            let services = app::services(config).await?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
            let addr = listener.local_addr()?;
            println!("Concierge is running at http://{addr}/");
            if let Some(token) = services.setup_link_if_needed().await.map_err(|e| anyhow::anyhow!("{e}"))? {
                println!("No account exists yet. Create the first one (the link works once): http://{addr}/setup?token={token}");
            }
            println!("Admin API: http://{addr}/api/admin/v1 — OpenAPI: http://{addr}/api/openapi.json");
            tracing::info!(%addr, "listening");
            app::serve(services, listener, stop).await
        }
        Command::User(UserCommand::Create { email, name, password, workspace }) => {
            let storage = config::load_storage(cli.config.as_deref(), &cli.storage)?;
            let store = app::open_store(&storage).await?;
            let first = !store.has_users().await?;
            let user =
                concierge_core::create_user(store.as_ref(), &email, name.as_deref(), &password, workspace.as_deref())
                    .await
                    .map_err(describe)?;
            println!("Created user {} ({}) in workspace {}", user.email, user.id, user.workspace_id);
            if first {
                println!(
                    "This is the first account, so the setup link that `serve` printed no longer works: \
                     sign in on the dashboard with this email and password (data in {}).",
                    std::path::absolute(&storage.data_dir).unwrap_or_else(|_| storage.data_dir.clone()).display()
                );
            }
            Ok(())
        }
        Command::Token(TokenCommand::Create { email, name }) => {
            let store = app::open_store(&config::load_storage(cli.config.as_deref(), &cli.storage)?).await?;
            let token = concierge_core::create_api_token(store.as_ref(), &email, &name).await.map_err(describe)?;
            println!("{token}");
            Ok(())
        }
        Command::Workspace(WorkspaceCommand::Create { name }) => {
            let store = app::open_store(&config::load_storage(cli.config.as_deref(), &cli.storage)?).await?;
            let ws = concierge_core::create_workspace(store.as_ref(), &name).await.map_err(describe)?;
            println!("Created workspace {} ({})", ws.name, ws.id);
            Ok(())
        }
    }
}

/// The CLI's words for a refused request.
fn describe(e: concierge_core::Error) -> anyhow::Error {
    match e {
        concierge_core::Error::Validation(fields) => anyhow::anyhow!(
            "{}",
            fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ")
        ),
        concierge_core::Error::NotFound(what) => anyhow::anyhow!("no such {what}"),
        concierge_core::Error::Conflict(what) => anyhow::anyhow!("that {} is already taken", what.replace('_', " ")),
        other => anyhow::Error::from(other),
    }
}
