//! The statements both backends run alike, written once with `$N` placeholders (sqlx's
//! SQLite driver takes them too) and generic over the driver through [`Backend`]. Each
//! backend's area files call these from their trait impls, passing the pool, connection or
//! transaction to use; what differs between the two (how a write transaction begins, which
//! rows a statement locks) stays with the backend.

mod backend;

pub(crate) mod accounts;
pub(crate) mod attempts;
pub(crate) mod bots;
pub(crate) mod contacts;
pub(crate) mod conversations;
pub(crate) mod knowledge;
pub(crate) mod sessions;

pub(crate) use backend::{Arg, Backend, Db};
