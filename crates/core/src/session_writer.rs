//! Session starts that present no visitor session (a first page load, a sign-in on a new
//! device, every start of a known person) written by group commit: those that arrive
//! while a transaction runs are written together in the next one, in four statements
//! whatever their number (see `concierge_store::Conversations::start_sessions`).

use std::sync::Arc;

use concierge_store::{NewStart, StartedSession, Store};

use super::group_commit::GroupCommit;
use super::session::HISTORY_LIMIT;
use super::{Error, Result};

/// Starts waiting for a transaction; a start beyond this waits to be queued.
const QUEUE: usize = 4096;
/// Starts in one transaction.
const BATCH: usize = 128;
/// Transactions at once on a store with a pool of connections (PostgreSQL): enough to keep
/// the database busy while the next batch forms, few enough to leave connections for the
/// rest.
pub(crate) const SHARED_IN_FLIGHT: usize = 4;

pub(crate) type StartWriter = GroupCommit<NewStart, Result<StartedSession>>;

pub(crate) fn start_writer(store: Arc<dyn Store>, in_flight: usize) -> StartWriter {
    GroupCommit::spawn(
        QUEUE,
        BATCH,
        in_flight,
        Arc::new(move |batch: Vec<NewStart>| {
            let store = store.clone();
            Box::pin(async move { write(store.as_ref(), &batch).await })
        }),
    )
}

/// A batch the database refused is written start by start, so that one start that cannot
/// be written (its bot deleted meanwhile) fails alone; a database that did not answer fails
/// them all at once, without trying each.
async fn write(store: &dyn Store, batch: &[NewStart]) -> Vec<Result<StartedSession>> {
    let e = match store.start_sessions(batch, HISTORY_LIMIT).await {
        Ok(started) => return started.into_iter().map(Ok).collect(),
        Err(e) => e,
    };
    if batch.len() == 1 {
        return vec![Err(e.into())];
    }
    if e.is_unavailable() {
        return batch.iter().map(|_| Err(Error::Unavailable(anyhow::anyhow!("{e}")))).collect();
    }
    let mut answers = Vec::with_capacity(batch.len());
    for start in batch {
        let answer = store.start_sessions(std::slice::from_ref(start), HISTORY_LIMIT).await;
        answers.push(answer.map_err(Error::from).and_then(|mut one| one.pop().ok_or(Error::NotFound("session"))));
    }
    answers
}
