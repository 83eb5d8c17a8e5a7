//! Operations endpoints: liveness, readiness, metrics.

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::error::error_response;
use concierge_core::Services;

/// The metrics recorder is process-wide by the `metrics` crate's design; every server in
/// the process (tests start several) renders from the same one.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("concierge_auth_call_duration_seconds".into()),
                    &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0],
                )
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics may be empty");
            }
            handle
        })
        .clone()
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = String)))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses((status = 200, body = String), (status = 503, body = super::error::ErrorBody)))]
pub async fn readyz(State(s): State<Services>) -> axum::response::Response {
    match s.store.ping().await {
        // The product still works without the bus between instances (each delivers its
        // own events, widgets catch up from the database), so this is ready, and says so.
        Ok(()) if s.bus.shared() == Some(false) => {
            "ready; bus degraded: Redis does not answer, events between instances wait for it".into_response()
        }
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            error_response(StatusCode::SERVICE_UNAVAILABLE, "database_unavailable", "The database does not answer.")
        }
    }
}

/// Prometheus metrics: call-outs by outcome, call latency, sessions started.
#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200, body = String)))]
pub async fn metrics() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], metrics_handle().render())
}

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "ops", responses((status = 200, body = Object)))]
pub async fn openapi() -> impl IntoResponse {
    static DOC: OnceLock<String> = OnceLock::new();
    let doc = DOC.get_or_init(super::openapi_json).clone();
    ([(header::CONTENT_TYPE, "application/json")], doc)
}
