//! The `concierge` server: configuration, the HTTP layer and the use cases over the
//! store and the outbound authentication call.

pub mod app;
pub mod bus;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod http;
pub mod seal;
pub mod service;
pub mod telemetry;
