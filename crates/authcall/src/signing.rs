//! Standard Webhooks signing: the customer verifies these headers to accept calls only
//! from Concierge, with any Standard Webhooks library.

use std::time::{SystemTime, UNIX_EPOCH};

use concierge_domain::SigningSecret;
use standardwebhooks::Webhook;

pub(crate) const HEADER_ID: &str = standardwebhooks::HEADER_WEBHOOK_ID;
pub(crate) const HEADER_TIMESTAMP: &str = standardwebhooks::HEADER_WEBHOOK_TIMESTAMP;
pub(crate) const HEADER_SIGNATURE: &str = standardwebhooks::HEADER_WEBHOOK_SIGNATURE;

/// The three Standard Webhooks headers of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Signed {
    pub id: String,
    pub timestamp: i64,
    /// `v1,<base64>` per secret, space-separated; empty when no secret was given.
    pub signature: String,
}

/// Signs `payload` now, under a fresh message id. The id is unique per call so a customer
/// may use it to refuse replays.
pub(crate) fn sign_now(secrets: &[SigningSecret], payload: &str) -> Signed {
    let id = format!("msg_{}", uuid::Uuid::now_v7().simple());
    let timestamp =
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let signature = signature_header(secrets, &id, timestamp, payload);
    Signed { id, timestamp, signature }
}

/// Every secret signs, so during a rotation grace period a customer still verifying with
/// the previous secret accepts the call as well as one already on the new secret.
pub(crate) fn signature_header(secrets: &[SigningSecret], id: &str, timestamp: i64, payload: &str) -> String {
    secrets
        .iter()
        .filter_map(|secret| {
            // A SigningSecret is valid base64 by construction and the payload is a &str, so
            // the signer cannot fail; should that change, a missing signature makes the
            // customer refuse the call, which is visible, rather than a panic here.
            let signed = Webhook::new(secret.expose()).and_then(|wh| wh.sign(id, timestamp, payload.as_bytes()));
            if signed.is_err() {
                tracing::error!("a signing secret could not sign the request");
            }
            signed.ok()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const VECTOR_ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
    const VECTOR_TIMESTAMP: i64 = 1649367553;
    const VECTOR_PAYLOAD: &str = r#"{"email":"test@example.com","username":"test_user"}"#;
    const VECTOR_SIGNATURE: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";

    fn secret(s: &str) -> SigningSecret {
        SigningSecret::parse(s).expect("a valid secret")
    }

    #[test]
    fn the_published_standard_webhooks_vector_is_reproduced() {
        let header = signature_header(&[secret(VECTOR_SECRET)], VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_PAYLOAD);
        assert_eq!(header, VECTOR_SIGNATURE);
    }

    #[test]
    fn each_secret_of_a_rotation_adds_a_space_separated_signature() {
        let other = SigningSecret::generate();
        let header =
            signature_header(&[secret(VECTOR_SECRET), other.clone()], VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_PAYLOAD);
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], VECTOR_SIGNATURE);
        assert_eq!(parts[1], signature_header(&[other], VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_PAYLOAD));
    }

    #[test]
    fn message_ids_are_unique_and_timestamps_current() {
        let a = sign_now(&[secret(VECTOR_SECRET)], "{}");
        let b = sign_now(&[secret(VECTOR_SECRET)], "{}");
        assert_ne!(a.id, b.id);
        assert!(a.id.starts_with("msg_") && a.id.len() == 4 + 32, "{}", a.id);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs() as i64;
        assert!((now - a.timestamp).abs() <= 5);
        assert!(a.signature.starts_with("v1,"));
    }
}
