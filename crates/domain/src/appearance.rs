//! How the widget presents a bot: colour, greeting, sign-in text.

pub const MAX_BOT_TEXT: usize = 500;

/// `#RGB` or `#RRGGBB`, returned as lower-case `#rrggbb`.
pub fn parse_color(raw: &str) -> Result<String, String> {
    let hex = raw.trim().strip_prefix('#').filter(|h| h.chars().all(|c| c.is_ascii_hexdigit()));
    match hex {
        Some(h) if h.len() == 6 => Ok(format!("#{}", h.to_ascii_lowercase())),
        Some(h) if h.len() == 3 => Ok(h.chars().fold(String::from("#"), |mut s, c| {
            s.push(c.to_ascii_lowercase());
            s.push(c.to_ascii_lowercase());
            s
        })),
        _ => Err(format!("{raw:?} is not a colour like #2563eb.")),
    }
}

/// A short text shown in the widget: trimmed, not empty, at most [`MAX_BOT_TEXT`] characters.
pub fn parse_bot_text(raw: &str) -> Result<String, String> {
    let text = raw.trim();
    if text.is_empty() || text.chars().count() > MAX_BOT_TEXT {
        return Err(format!("Write 1 to {MAX_BOT_TEXT} characters."));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_hex_and_normalised() {
        assert_eq!(parse_color("#2563EB").unwrap(), "#2563eb");
        assert_eq!(parse_color(" #0aF ").unwrap(), "#00aaff");
        for bad in ["2563eb", "#12345", "red", "#ggg", "#1234567", "url(x)"] {
            assert!(parse_color(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn texts_are_bounded() {
        assert_eq!(parse_bot_text("  Hi {name}! ").unwrap(), "Hi {name}!");
        assert!(parse_bot_text(" ").is_err());
        assert!(parse_bot_text(&"x".repeat(MAX_BOT_TEXT + 1)).is_err());
    }
}
