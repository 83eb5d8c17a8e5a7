//! All integration tests in one binary: the real server on a random port with a fresh
//! database per test, on SQLite and on PostgreSQL, against real customer servers.
#![allow(clippy::unwrap_used)]

mod admin;
mod auth_cache;
mod auth_single_flight;
mod auth_test;
mod bad_input;
mod bot;
mod cli;
mod dashboard;
mod deploy_doc;
mod errors;
mod identity;
mod inbox;
mod independent;
mod limits;
mod ops;
mod outage;
mod scale_out;
mod session_end;
mod sessions;
mod sign_in;
mod unfinished;
mod utils;
mod widget;
mod widget_script;
