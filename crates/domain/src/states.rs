//! The states a conversation, a message and an authentication attempt can be in, and the
//! ids that must not be swapped for one another: parsed once where they enter (the
//! database, a request) and typed from there on. Their wire names are the database's
//! values and the API's, and CHECK constraints hold the database to them.

use std::fmt;
use std::str::FromStr;

use crate::method::{wire_enum, ParseEnumError};
use crate::AuthErrorCode;

wire_enum!(
    /// Who answers a conversation: the bot, nobody yet (handed to the team), or a person.
    Handler { #[default] Bot => "bot", Waiting => "waiting", Agent => "agent" }
);

// Ordered (`High` above `Normal`): a merge keeps the higher of two.
wire_enum!(
    /// How soon the team should look at a conversation handed to it.
    Priority { #[default] Normal => "normal", High => "high" }
);

wire_enum!(
    /// Who wrote a message.
    Author { #[default] Visitor => "visitor", Bot => "bot", Agent => "agent" }
);

/// How an authentication attempt ended: `ok`, or the failure's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttemptOutcome {
    Ok,
    Failed(AuthErrorCode),
}

impl AttemptOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Ok => "ok",
            AttemptOutcome::Failed(code) => code.as_str(),
        }
    }
}

impl FromStr for AttemptOutcome {
    type Err = ParseEnumError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ok" => Ok(AttemptOutcome::Ok),
            _ => AuthErrorCode::parse(s).map(AttemptOutcome::Failed).ok_or_else(|| ParseEnumError {
                value: s.to_owned(),
                expected: "\"ok\" or an authentication error code",
            }),
        }
    }
}

impl fmt::Display for AttemptOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for AttemptOutcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for AttemptOutcome {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

crate::method::text_column!(AttemptOutcome);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_parse_their_wire_names_only() {
        for h in Handler::ALL {
            assert_eq!(h.as_str().parse::<Handler>().unwrap(), *h);
        }
        assert_eq!("waiting".parse::<Handler>().unwrap(), Handler::Waiting);
        assert!("Waiting".parse::<Handler>().is_err());
        assert_eq!(serde_json::to_string(&Priority::High).unwrap(), "\"high\"");
        assert_eq!(serde_json::from_str::<Author>("\"agent\"").unwrap(), Author::Agent);
        assert!(serde_json::from_str::<Author>("\"admin\"").is_err());
    }

    #[test]
    fn attempt_outcomes_are_ok_or_a_code() {
        assert_eq!("ok".parse::<AttemptOutcome>().unwrap(), AttemptOutcome::Ok);
        for code in AuthErrorCode::ALL {
            let outcome: AttemptOutcome = code.as_str().parse().unwrap();
            assert_eq!(outcome, AttemptOutcome::Failed(code));
            assert_eq!(serde_json::to_value(outcome).unwrap(), code.as_str());
        }
        assert!("fine".parse::<AttemptOutcome>().is_err());
    }
}
