use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not one of {expected}")]
pub struct ParseEnumError {
    pub value: String,
    pub expected: &'static str,
}

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] #[cfg_attr(feature = "openapi", schema(rename = $wire))] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
        }

        impl FromStr for $name {
            type Err = ParseEnumError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(ParseEnumError {
                        value: s.to_owned(),
                        expected: concat!($("\"", $wire, "\" "),+),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        $crate::method::text_column!($name);
    };
}

/// A type stored as its wire string in a TEXT column, on any sqlx backend.
#[cfg(feature = "sqlx")]
macro_rules! text_column {
    ($name:ident) => {
        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
        where
            str: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(value: <DB as sqlx::Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                Ok(<&'r str as sqlx::Decode<'r, DB>>::decode(value)?.parse()?)
            }
        }

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $name
        where
            &'q str: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&'q str as sqlx::Encode<'q, DB>>::encode(self.as_str(), buf)
            }
        }
    };
}
#[cfg(not(feature = "sqlx"))]
macro_rules! text_column {
    ($name:ident) => {};
}
pub(crate) use {text_column, wire_enum};

wire_enum!(
    /// Which field of the customer's answer identifies the contact ("Identify method").
    IdentifyMethod { #[default] Id => "id", Email => "email", PhoneNumber => "phone_number" }
);

wire_enum!(
    /// A widget-provided field that may be forwarded to the Authentication URL
    /// ("Additional request body").
    AdditionalField { #[default] UserId => "user_id", Email => "email", Name => "name", PhoneNumber => "phone_number" }
);

wire_enum!(
    /// What the widget does when authentication fails.
    OnFailure { #[default] Anonymous => "anonymous", Block => "block" }
);

impl IdentifyMethod {
    /// The field of `data` in the customer's answer that this method requires.
    pub fn response_field(self) -> &'static str {
        self.as_str()
    }

    /// How a person names the method in the dashboard and in explanations.
    pub fn label(self) -> &'static str {
        match self {
            Self::Id => "Id",
            Self::Email => "Email",
            Self::PhoneNumber => "Phone number",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_parse_and_unknown_names_are_refused() {
        assert_eq!("phone_number".parse(), Ok(IdentifyMethod::PhoneNumber));
        assert_eq!("user_id".parse(), Ok(AdditionalField::UserId));
        assert_eq!("block".parse(), Ok(OnFailure::Block));
        let err = "phone".parse::<IdentifyMethod>().unwrap_err();
        assert!(err.to_string().contains("\"phone_number\""), "{err}");
        assert_eq!(IdentifyMethod::default(), IdentifyMethod::Id);
        assert_eq!(OnFailure::default(), OnFailure::Anonymous);
    }

    #[test]
    fn serde_uses_the_wire_names() {
        let json = serde_json::to_string(&[AdditionalField::PhoneNumber]).unwrap();
        assert_eq!(json, r#"["phone_number"]"#);
    }
}
