//! A request, once started, runs to its end even if its client goes away (a closed tab, a
//! timeout, a phone losing signal). Dropping a handler midway would abandon its use case
//! between two writes, and, worse, a database transaction between its BEGIN and the guard
//! that rolls it back: sqlx then hands the connection back still inside that transaction,
//! and on SQLite's single writer every later write fails ("non-zero transaction depth").

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// Runs the rest of the stack in a task of its own, which the client's disconnect does
/// not cancel; a panic in it is raised again here, for the panic layer outside.
pub async fn run_to_completion(request: Request, next: Next) -> Response {
    let handling = tokio::spawn(next.run(request).in_current_span());
    match handling.await {
        Ok(response) => response,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // Only a runtime shutting down cancels it.
        Err(_) => super::error::error_response(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "The server is stopping; try again in a moment.",
        ),
    }
}
