//! Reading an answer without letting a hostile or broken endpoint fill memory.

use reqwest::Response;

/// The largest answer read. A user object is well under 1 KiB; the cap leaves room for
/// generous metadata (itself capped at 16 KiB by the domain) and for error pages.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Whether the answer announced (with Content-Length) more than the cap, in which case
/// not one byte of it needs to be read.
pub(crate) fn announced_too_large(response: &Response) -> Option<u64> {
    response.content_length().filter(|len| *len > MAX_RESPONSE_BYTES as u64)
}

/// Appends the body to `into`, chunk by chunk, and stops once `cap` bytes are held, so no
/// more is ever kept. `into` belongs to the caller so that what was read survives a
/// timeout that cancels this future. Returns whether the body was longer than the cap.
/// The customer's API is read with [`MAX_RESPONSE_BYTES`]; other APIs the product calls
/// (embeddings) with caps of their own.
pub async fn read_capped(response: &mut Response, into: &mut Vec<u8>, cap: usize) -> Result<bool, reqwest::Error> {
    while let Some(chunk) = response.chunk().await? {
        let room = cap.saturating_sub(into.len());
        if chunk.len() > room {
            into.extend_from_slice(&chunk[..room]);
            return Ok(true);
        }
        into.extend_from_slice(&chunk);
    }
    Ok(false)
}
