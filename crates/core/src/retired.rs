//! Secrets a rotation retired. Each keeps working for the rotation's grace period, so the
//! customer's servers can move to the new secret without failed calls or sign-ins. A second
//! rotation within that period keeps the first one's retired secret as well: a second
//! click, or a rotation before the first new secret was deployed, must not drop the secret
//! the customer's servers still use.

use concierge_store::RetiredSecret;

use super::Result;

/// The most retired secrets of one kind that work at once; past that, the oldest goes.
/// Every one of them signs each call to the customer's API.
pub const MAX_RETIRED: usize = 4;

/// Retired secrets with the moment each stops working, newest first.
#[derive(Debug, Clone)]
pub struct Retired<T>(Vec<(T, i64)>);

impl<T> Default for Retired<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T> Retired<T> {
    /// `old` keeps working until `until`; those retired before keep their own time.
    pub fn retire(&mut self, old: T, until: i64, now: i64) {
        self.0.retain(|(_, u)| *u > now);
        if until > now {
            self.0.insert(0, (old, until));
        }
        self.0.truncate(MAX_RETIRED);
    }

    /// The retired secrets still working at `now`, newest first.
    pub fn live(&self, now: i64) -> impl Iterator<Item = &T> {
        self.0.iter().filter(move |(_, until)| *until > now).map(|(secret, _)| secret)
    }

    /// When the last one still working at `now` stops.
    pub fn until(&self, now: i64) -> Option<i64> {
        self.0.iter().map(|(_, until)| *until).filter(|until| *until > now).max()
    }

    /// As stored: the newest in the columns instances before the list read, the others in
    /// the list.
    pub(crate) fn seal(&self, seal: impl Fn(&T) -> String) -> (Option<String>, Option<i64>, Vec<RetiredSecret>) {
        let mut sealed = self.0.iter().map(|(secret, until)| RetiredSecret { sealed: seal(secret), until: *until });
        let newest = sealed.next();
        let (previous, until) = newest.map_or((None, None), |n| (Some(n.sealed), Some(n.until)));
        (previous, until, sealed.collect())
    }

    pub(crate) fn open(
        newest: Option<(&str, i64)>,
        earlier: &[RetiredSecret],
        open: impl Fn(&str) -> Result<T>,
    ) -> Result<Self> {
        let stored = newest.into_iter().chain(earlier.iter().map(|r| (r.sealed.as_str(), r.until)));
        Ok(Self(stored.map(|(sealed, until)| Ok((open(sealed)?, until))).collect::<Result<_>>()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_rotation_within_the_grace_period_keeps_both() {
        let mut retired = Retired::default();
        retired.retire("first", 1_000, 0);
        retired.retire("second", 1_010, 10);
        assert_eq!(retired.live(20).collect::<Vec<_>>(), [&"second", &"first"]);
        assert_eq!(retired.until(20), Some(1_010));
        assert_eq!(retired.live(1_005).collect::<Vec<_>>(), [&"second"], "each keeps its own time");
        assert_eq!(retired.until(2_000), None);
    }

    #[test]
    fn expired_ones_go_and_at_most_a_few_are_kept() {
        let mut retired = Retired::default();
        retired.retire("expired", 5, 0);
        retired.retire("kept", 100, 10);
        assert_eq!(retired.0.len(), 1, "the expired one is dropped at the next rotation");
        for i in 0..10 {
            retired.retire("more", 200 + i, 20 + i);
        }
        assert_eq!(retired.0.len(), MAX_RETIRED);
        retired.retire("without grace", 50, 50);
        assert_eq!(retired.live(50).count(), MAX_RETIRED, "a secret retired without grace stops at once");
    }
}
