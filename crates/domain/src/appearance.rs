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

/// WCAG 2.1 AA: normal text needs 4.5:1 against its background.
pub const MIN_TEXT_CONTRAST: f64 = 4.5;

const WHITE: &str = "#ffffff";
/// The dashboard's and widget's usual dark text; softer than black where it is enough.
const NEAR_BLACK: &str = "#111827";
const BLACK: &str = "#000000";

/// The text written on a bot's colour (launcher, header, Send, the visitor's bubbles) and
/// how it reads there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextOn {
    /// `#rrggbb`: white, near-black or black.
    pub ink: &'static str,
    /// The contrast of `ink` on the colour, at least [`MIN_TEXT_CONTRAST`].
    pub contrast: f64,
    /// The contrast white text would have: below [`MIN_TEXT_CONTRAST`] is why a colour has
    /// dark text, which an admin choosing a brand colour may not expect.
    pub white_contrast: f64,
}

impl TextOn {
    pub fn is_dark(&self) -> bool {
        self.ink != WHITE
    }
}

/// The readable text for a `#rrggbb` colour (as [`parse_color`] returns it): white or
/// near-black, whichever contrasts more, and black where neither reaches 4.5:1. One of
/// white and black always does, since their contrasts multiply to 21.
pub fn text_on(color: &str) -> TextOn {
    let l = luminance(color);
    let on =
        |ink: &'static str| TextOn { ink, contrast: contrast(l, luminance(ink)), white_contrast: contrast(l, 1.0) };
    let best = [on(WHITE), on(NEAR_BLACK)].into_iter().max_by(|a, b| a.contrast.total_cmp(&b.contrast));
    best.filter(|t| t.contrast >= MIN_TEXT_CONTRAST).unwrap_or_else(|| on(BLACK))
}

/// WCAG relative luminance of `#rrggbb`; anything else counts as black.
fn luminance(color: &str) -> f64 {
    let n = color.strip_prefix('#').and_then(|h| u32::from_str_radix(h, 16).ok()).unwrap_or(0);
    [(16, 0.2126), (8, 0.7152), (0, 0.0722)]
        .into_iter()
        .map(|(shift, weight)| {
            let c = f64::from((n >> shift) & 255) / 255.0;
            weight * if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        })
        .sum()
}

fn contrast(a: f64, b: f64) -> f64 {
    (a.max(b) + 0.05) / (a.min(b) + 0.05)
}

/// An integer as people write it in English: `30000` is "30,000".
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::from(if n < 0 { "-" } else { "" });
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
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
    fn text_on_every_colour_reaches_aa() {
        // Every 12-bit colour (#rgb), which spans the whole range of luminance.
        for n in 0..4096u32 {
            let hex = format!("#{:03x}", n);
            let color = parse_color(&hex).unwrap();
            let t = text_on(&color);
            assert!(t.contrast >= MIN_TEXT_CONTRAST, "{color}: {t:?}");
        }
    }

    #[test]
    fn text_on_prefers_white_then_near_black() {
        // The default blue keeps white text.
        let blue = text_on("#2563eb");
        assert_eq!(blue.ink, "#ffffff");
        assert!((blue.contrast - 5.17).abs() < 0.01, "{blue:?}");
        assert!(!blue.is_dark());
        // A pale colour gets the usual dark text.
        assert_eq!(text_on("#fde68a").ink, "#111827");
        // A mid-tone violet: white is 4.23:1 and near-black about 4.0:1, so black (5.0:1).
        let violet = text_on("#8b5cf6");
        assert_eq!(violet.ink, "#000000");
        assert!(violet.contrast >= 4.9 && violet.white_contrast < 4.5, "{violet:?}");
        assert!(violet.is_dark());
        assert_eq!(text_on("#ffffff").ink, "#111827");
        assert_eq!(text_on("#000000").ink, "#ffffff");
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        for (n, s) in
            [(0, "0"), (100, "100"), (1000, "1,000"), (30_000, "30,000"), (1_234_567, "1,234,567"), (-4500, "-4,500")]
        {
            assert_eq!(grouped(n), s);
        }
    }

    #[test]
    fn texts_are_bounded() {
        assert_eq!(parse_bot_text("  Hi {name}! ").unwrap(), "Hi {name}!");
        assert!(parse_bot_text(" ").is_err());
        assert!(parse_bot_text(&"x".repeat(MAX_BOT_TEXT + 1)).is_err());
    }
}
