//! The `concierge` server: the command line, configuration, the HTTP API and the
//! dashboard, over the use cases of `concierge-core`.

pub mod app;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod http;
pub mod telemetry;
