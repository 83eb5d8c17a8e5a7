use crate::method::IdentifyMethod;

/// The maximum length of any identifier, after normalisation.
pub const MAX_IDENTIFIER_LEN: usize = 320;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    #[error("is empty")]
    Empty,
    #[error("is longer than {MAX_IDENTIFIER_LEN} characters")]
    TooLong,
    #[error("is not an email address (no @)")]
    NotAnEmail,
    #[error("is not a phone number (it must contain digits and may contain only + ( ) - . and spaces besides)")]
    NotAPhoneNumber,
}

/// The key a contact is found by: an identify method and the value normalised for it, so
/// that " Ann@Example.com" and "ann@example.com", or "+1 (555) 010-2030" and "+15550102030",
/// are the same person.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identifier {
    method: IdentifyMethod,
    value: String,
}

impl Identifier {
    pub fn parse(method: IdentifyMethod, raw: &str) -> Result<Self, IdentifierError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(IdentifierError::Empty);
        }
        let value = match method {
            IdentifyMethod::Id => trimmed.to_owned(),
            IdentifyMethod::Email => normalise_email(trimmed)?,
            IdentifyMethod::PhoneNumber => normalise_phone(trimmed)?,
        };
        if value.chars().count() > MAX_IDENTIFIER_LEN {
            return Err(IdentifierError::TooLong);
        }
        Ok(Self { method, value })
    }

    /// Rebuilds an identifier that was normalised before it was stored.
    pub fn from_stored(method: IdentifyMethod, value: String) -> Self {
        Self { method, value }
    }

    pub fn method(&self) -> IdentifyMethod {
        self.method
    }

    pub fn value(&self) -> &str {
        &self.value
    }
}

/// Emails compare case-insensitively: the whole address is lower-cased, as every mail
/// provider a support team meets treats the local part case-insensitively too.
pub fn normalise_email(raw: &str) -> Result<String, IdentifierError> {
    let email = raw.trim().to_lowercase();
    match email.split_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => Ok(email),
        _ => Err(IdentifierError::NotAnEmail),
    }
}

/// Phone numbers compare without the punctuation people type: spaces, dashes, dots and
/// brackets are dropped; a leading `+` is kept.
pub fn normalise_phone(raw: &str) -> Result<String, IdentifierError> {
    let mut out = String::with_capacity(raw.len());
    for (i, c) in raw.trim().chars().enumerate() {
        match c {
            '0'..='9' => out.push(c),
            '+' if i == 0 => out.push(c),
            ' ' | '-' | '.' | '(' | ')' | '\u{a0}' => {}
            _ => return Err(IdentifierError::NotAPhoneNumber),
        }
    }
    if !out.chars().any(|c| c.is_ascii_digit()) {
        return Err(IdentifierError::NotAPhoneNumber);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(method: IdentifyMethod, raw: &str) -> Result<String, IdentifierError> {
        Identifier::parse(method, raw).map(|i| i.value().to_owned())
    }

    #[test]
    fn ids_are_trimmed_and_otherwise_kept_verbatim() {
        assert_eq!(parse(IdentifyMethod::Id, "  AbC-12 ").unwrap(), "AbC-12");
        assert_eq!(parse(IdentifyMethod::Id, "   "), Err(IdentifierError::Empty));
    }

    #[test]
    fn emails_compare_case_insensitively() {
        assert_eq!(parse(IdentifyMethod::Email, " John.Doe@Example.COM ").unwrap(), "john.doe@example.com");
        assert_eq!(parse(IdentifyMethod::Email, "john"), Err(IdentifierError::NotAnEmail));
        assert_eq!(parse(IdentifyMethod::Email, "@x"), Err(IdentifierError::NotAnEmail));
    }

    #[test]
    fn phone_numbers_lose_spaces_dashes_dots_and_brackets() {
        assert_eq!(parse(IdentifyMethod::PhoneNumber, "+1 (555) 010-20.30").unwrap(), "+15550102030");
        assert_eq!(parse(IdentifyMethod::PhoneNumber, "0987654321").unwrap(), "0987654321");
        assert_eq!(parse(IdentifyMethod::PhoneNumber, "call me"), Err(IdentifierError::NotAPhoneNumber));
        assert_eq!(parse(IdentifyMethod::PhoneNumber, "1+2"), Err(IdentifierError::NotAPhoneNumber));
        assert_eq!(parse(IdentifyMethod::PhoneNumber, "()-"), Err(IdentifierError::NotAPhoneNumber));
    }

    #[test]
    fn overlong_identifiers_are_refused() {
        let long = "x".repeat(MAX_IDENTIFIER_LEN + 1);
        assert_eq!(parse(IdentifyMethod::Id, &long), Err(IdentifierError::TooLong));
    }
}
