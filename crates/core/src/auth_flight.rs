//! Single flight: identical calls to a customer's API that are in flight at the same time
//! are one call. Two tabs of one person, or a burst of starts with one token, would
//! otherwise each call, and with a slow API each hold one of the bot's call slots.
//!
//! "Identical" is the auth cache's key (bot, settings revision, token, forwarded fields):
//! the starts that share a call are exactly those one answer of the API can serve. What
//! the call answers, a person or a failure, is shared only while it is in flight; after it
//! lands only the auth cache keeps anything, and only what it kept before (a person, when
//! the bot caches). Flights are per server: instances do not share them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use futures::future::{BoxFuture, FutureExt, Shared};

use super::auth_flow::CallOutcome;

/// A call in flight, awaited by every start that shares it.
pub(crate) type Flight = Shared<BoxFuture<'static, Arc<CallOutcome>>>;

#[derive(Default)]
pub(crate) struct Flights(Mutex<HashMap<[u8; 32], Flight>>);

pub(crate) enum Boarding<T> {
    /// An identical call was already in flight: this start waits for its answer.
    Joined(Flight),
    /// This start's own call, just begun.
    Led(Flight),
    /// No call: the answer was found meanwhile.
    Found(T),
}

impl Flights {
    /// The flight under `key`: the one in the air, else what `found` finds, else the one
    /// `start` begins.
    ///
    /// `found` is asked under the lock because a flight stores its answer before it lands:
    /// a start that missed the cache just before a flight landed finds the answer there
    /// instead of calling again.
    pub(crate) fn board<T>(
        &self,
        key: [u8; 32],
        found: impl FnOnce() -> Option<T>,
        start: impl FnOnce() -> BoxFuture<'static, Arc<CallOutcome>>,
    ) -> Boarding<T> {
        let mut flights = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(flight) = flights.get(&key) {
            return Boarding::Joined(flight.clone());
        }
        if let Some(answer) = found() {
            return Boarding::Found(answer);
        }
        let flight = start().shared();
        flights.insert(key, flight.clone());
        Boarding::Led(flight)
    }

    /// Lands the flight under `key` when dropped, so that it lands even when its call
    /// panics: later starts then call again rather than wait on it.
    pub(crate) fn landing(&self, key: [u8; 32]) -> Landing<'_> {
        Landing { flights: self, key }
    }

    #[cfg(test)]
    fn in_flight(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

pub(crate) struct Landing<'a> {
    flights: &'a Flights,
    key: [u8; 32],
}

impl Drop for Landing<'_> {
    fn drop(&mut self) {
        // Only this flight can be under the key: another is boarded only once it is gone.
        self.flights.0.lock().unwrap_or_else(PoisonError::into_inner).remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth_flow::AuthFailure;
    use concierge_domain::AuthErrorCode;

    fn refused() -> Arc<CallOutcome> {
        let failure = AuthFailure { code: AuthErrorCode::InvalidToken, message: "refused".into() };
        Arc::new(CallOutcome { result: Err(failure), trace: None })
    }

    #[tokio::test]
    async fn a_flight_is_shared_until_it_lands_and_then_forgotten() {
        let flights = Arc::new(Flights::default());
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let landing_flights = flights.clone();
        let start = move || {
            async move {
                let _landing = landing_flights.landing([1; 32]);
                let _ = released.await;
                refused()
            }
            .boxed()
        };
        let Boarding::<()>::Led(led) = flights.board([1; 32], || None, start) else { panic!("the first start leads") };
        let Boarding::<()>::Joined(joined) = flights.board([1; 32], || None, || unreachable!()) else {
            panic!("an identical start joins")
        };
        let other = flights.board([2; 32], || Some("cached"), || unreachable!());
        assert!(matches!(other, Boarding::Found("cached")), "another key is another flight");
        assert_eq!(flights.in_flight(), 1);

        let waiting = tokio::spawn(joined);
        release.send(()).expect("the flight waits");
        let (led, joined) = (led.await, waiting.await.expect("joins"));
        assert!(Arc::ptr_eq(&led, &joined), "one answer for both");
        assert_eq!(flights.in_flight(), 0, "nothing is kept once it landed");
    }
}
