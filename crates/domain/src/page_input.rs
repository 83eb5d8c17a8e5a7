//! What a page sends when the widget starts a session, and what people type: unverified
//! text, bounded before it is forwarded to a customer's API or stored.

use crate::settings::FieldError;

/// Far above any real session token or JWT (a JWT with a generous set of claims is 1–2
/// KiB), and small enough that a page cannot make Concierge forward megabytes.
pub const MAX_ACCESS_TOKEN_BYTES: usize = 8 * 1024;
/// `user_id`, `email`, `name` and `phone_number` as the page passes them.
pub const MAX_PAGE_FIELD_BYTES: usize = 1024;
/// A message as a visitor or an agent writes it.
pub const MAX_MESSAGE_CHARS: usize = 4000;

pub fn check_access_token(token: &str) -> Result<(), FieldError> {
    if token.len() > MAX_ACCESS_TOKEN_BYTES {
        return Err(FieldError::new(
            "access_token",
            format!("An access token has at most {MAX_ACCESS_TOKEN_BYTES} bytes; this one has {}.", token.len()),
        ));
    }
    Ok(())
}

pub fn check_page_field(field: &str, value: &str) -> Result<(), FieldError> {
    if value.len() > MAX_PAGE_FIELD_BYTES {
        return Err(FieldError::new(field, format!("At most {MAX_PAGE_FIELD_BYTES} bytes.")));
    }
    Ok(())
}

/// A message: trimmed, 1 to [`MAX_MESSAGE_CHARS`] characters, line breaks as `\n`, and no
/// control character but the line break and the tab (a NUL or an escape sequence would
/// reach every agent's screen and every log that quotes it).
pub fn parse_message_text(raw: &str) -> Result<String, FieldError> {
    let text = raw.trim().replace("\r\n", "\n").replace('\r', "\n");
    if text.is_empty() || text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(FieldError::new("text", format!("A message has 1 to {MAX_MESSAGE_CHARS} characters.")));
    }
    if let Some(c) = text.chars().find(|c| c.is_control() && !matches!(c, '\n' | '\t')) {
        return Err(FieldError::new(
            "text",
            format!("A message cannot contain control characters such as U+{:04X}.", u32::from(c)),
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_tokens_up_to_8_kib_pass() {
        assert!(check_access_token(&"a".repeat(MAX_ACCESS_TOKEN_BYTES)).is_ok());
        let error = check_access_token(&"a".repeat(MAX_ACCESS_TOKEN_BYTES + 1)).unwrap_err();
        assert_eq!(error.field, "access_token");
        assert!(error.message.contains("8192"), "{}", error.message);
        // Bytes, not characters: what is forwarded is bytes.
        assert!(check_access_token(&"é".repeat(MAX_ACCESS_TOKEN_BYTES / 2 + 1)).is_err());
    }

    #[test]
    fn page_fields_are_bounded() {
        assert!(check_page_field("email", &"a".repeat(MAX_PAGE_FIELD_BYTES)).is_ok());
        assert_eq!(check_page_field("email", &"a".repeat(MAX_PAGE_FIELD_BYTES + 1)).unwrap_err().field, "email");
    }

    #[test]
    fn messages_keep_line_breaks_and_tabs_and_refuse_other_controls() {
        assert_eq!(parse_message_text("  two\r\nlines\tand a tab \n").unwrap(), "two\nlines\tand a tab");
        assert_eq!(parse_message_text("old\rmac").unwrap(), "old\nmac");
        for bad in ["nul\0byte", "bell\u{7}", "escape\u{1b}[31m", "del\u{7f}", "c1\u{85}inside"] {
            let error = parse_message_text(bad).unwrap_err();
            assert_eq!(error.field, "text");
            assert!(error.message.contains("control"), "{bad:?}: {}", error.message);
        }
        assert!(parse_message_text(" \n\t ").is_err());
        assert!(parse_message_text(&"é".repeat(MAX_MESSAGE_CHARS)).is_ok());
        assert!(parse_message_text(&"é".repeat(MAX_MESSAGE_CHARS + 1)).is_err());
        assert!(parse_message_text("emoji 👋 and ünïcode").is_ok());
    }
}
