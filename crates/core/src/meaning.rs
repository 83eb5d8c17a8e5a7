//! Whether the bot compares what questions and articles mean: it does when the deployment
//! has an embedding model whose scale is measured (`concierge_bot::semantic::calibration`)
//! and usable. The measurement happens once per process, in a task that tries again while
//! the model cannot be asked, so that an index build never waits on a model that failed.

use std::sync::atomic::Ordering;
use std::time::Duration;

use concierge_bot::knowledge::hybrid::Scale;
use concierge_bot::{EmbedError, Embedder};

use super::Services;

/// Whether the bot compares meanings, as far as is known now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Meaning {
    /// The deployment has no embedding model.
    Off,
    /// The model has not been measured yet (an embeddings API that has not answered since
    /// the start): questions are judged on their words until it is.
    Unmeasured,
    /// The model finds the text that answers a question no better than an unrelated one:
    /// it is not used.
    Unusable,
    /// In use, its cosines read on this scale.
    On(Scale),
}

/// The longest wait between two tries at measuring an embeddings API that does not answer.
const MEASURE_RETRY_MAX: Duration = Duration::from_secs(60);

/// A try at measuring the model failed: counted and logged in one place.
fn measuring_failed(error: &EmbedError) {
    metrics::counter!("concierge_embedding_failures_total", "of" => "calibration").increment(1);
    tracing::warn!(
        %error,
        "the embedding model's scale could not be measured; questions are judged on their words until it is \
         (tried again, at most a minute apart)"
    );
}

impl Services {
    /// Whether the bot compares meanings now. Never waits.
    pub fn meaning(&self) -> Meaning {
        match self.embedder().map(Embedder::known_scale) {
            None => Meaning::Off,
            Some(None) => Meaning::Unmeasured,
            Some(Some(None)) => Meaning::Unusable,
            Some(Some(Some(scale))) => Meaning::On(scale),
        }
    }

    /// Measures the model's scale in a task of its own (one at a time), trying again with
    /// growing pauses while the model cannot be asked; once it is measured, every bot's
    /// index is built again, with its vectors. Called at the start, so that the first
    /// question seldom waits for it, and when an index is built without it.
    pub fn measure_meaning(&self) {
        let Some(embedder) = self.embedder().cloned() else { return };
        self.report_meaning();
        if embedder.known_scale().is_some() || self.measuring_meaning.swap(true, Ordering::AcqRel) {
            return;
        }
        let services = self.clone();
        tokio::spawn(async move {
            let mut pause = Duration::from_secs(1);
            while let Err(error) = embedder.scale().await {
                measuring_failed(&error);
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(MEASURE_RETRY_MAX);
            }
            services.measuring_meaning.store(false, Ordering::Release);
            services.report_meaning();
            services.knowledge_cache.invalidate_all();
        });
    }

    /// `concierge_embedding_meaning_in_use`: 1 when the model's meaning counts, 0 while
    /// it is not measured or when it is not to be used.
    fn report_meaning(&self) {
        let in_use = matches!(self.meaning(), Meaning::On(_));
        metrics::gauge!("concierge_embedding_meaning_in_use").set(f64::from(u8::from(in_use)));
    }

    /// The model's scale for an index build: known, or measured while the caller waits
    /// unless this is a `retry` (the model failed when the index was last built); `None`
    /// when it is not known now, and a task measures it.
    pub(super) async fn scale_for_build(&self, embedder: &Embedder, retry: bool) -> Option<Option<Scale>> {
        if let Some(known) = embedder.known_scale() {
            return Some(known);
        }
        if !retry {
            match embedder.scale().await {
                Ok(known) => {
                    self.report_meaning();
                    return Some(known);
                }
                Err(error) => measuring_failed(&error),
            }
        }
        self.measure_meaning();
        None
    }
}
