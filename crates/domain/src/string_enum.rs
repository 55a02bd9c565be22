//! One pattern for enums whose values travel as text (forms, JSON, database columns).
//!
//! [`string_enum!`](crate::string_enum) declares the enum with the wire name of each variant and
//! generates, from that one list: `ALL` (every variant, in declaration order), `as_str`,
//! [`std::str::FromStr`] (exactly the wire names, else [`UnknownName`]), [`std::fmt::Display`]
//! (the wire name) and the [`StringEnum`] trait. With a trailing `invalid(field, key)` it also
//! generates `parse`, the form/API entry point: surrounding blanks are ignored and an unknown
//! name is an [`Invalid`](crate::Invalid) on `field` with catalogue key `key`.
//!
//! ```
//! rumbo_domain::string_enum! {
//!     /// A traffic light.
//!     #[derive(Debug, Clone, Copy, PartialEq, Eq)]
//!     pub enum Light {
//!         Green = "green",
//!         Red = "red",
//!     }
//!     invalid("light", "error.light")
//! }
//!
//! assert_eq!(Light::Red.as_str(), "red");
//! assert_eq!("green".parse::<Light>(), Ok(Light::Green));
//! assert_eq!(Light::parse(" red ").unwrap(), Light::Red);
//! assert_eq!(Light::parse("blue").unwrap_err().key, "error.light");
//! assert_eq!(Light::ALL, [Light::Green, Light::Red]);
//! ```
//!
//! The enum must derive `Clone` and `Copy` (the macro leaves derives to the caller so each enum
//! keeps the ones it needs, e.g. `Ord` or `Default`).

/// A text that is none of an enum's wire names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{name}`")]
pub struct UnknownName {
    /// The enum's type name, e.g. `Status`.
    pub kind: &'static str,
    /// The text that was given.
    pub name: String,
}

/// What [`string_enum!`](crate::string_enum) generates, for code that works on any such enum
/// (a column reader, a select box, a round-trip test).
pub trait StringEnum:
    Copy + Eq + std::fmt::Debug + std::fmt::Display + std::str::FromStr<Err = UnknownName> + 'static
{
    /// The type's name, for messages.
    const KIND: &'static str;
    /// Every variant, in declaration order.
    const VARIANTS: &'static [Self];
    /// The wire name.
    fn name(self) -> &'static str;
}

/// Declares an enum whose variants have wire names; see [the module](crate::string_enum).
#[macro_export]
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
        $( invalid($field:literal, $key:literal) )?
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [$name; [$($wire),+].len()] = [$($name::$variant),+];

            /// The wire name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $wire ),+
                }
            }

            $(
                /// Parses form or API input (surrounding blanks ignored); an unknown name is
                /// an `Invalid` on its field.
                pub fn parse(s: &str) -> ::core::result::Result<Self, $crate::Invalid> {
                    s.trim()
                        .parse()
                        .map_err(|_| $crate::Invalid::new($field, $key))
                }
            )?
        }

        impl ::core::str::FromStr for $name {
            type Err = $crate::UnknownName;

            fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                match s {
                    $( $wire => Ok($name::$variant), )+
                    _ => Err($crate::UnknownName {
                        kind: stringify!($name),
                        name: s.to_string(),
                    }),
                }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl $crate::StringEnum for $name {
            const KIND: &'static str = stringify!($name);
            const VARIANTS: &'static [Self] = &$name::ALL;

            fn name(self) -> &'static str {
                self.as_str()
            }
        }
    };
}

/// Checks that every variant of `T` goes to its wire name and back, and that no two variants
/// share a name. For the tests of crates that declare string enums.
pub fn assert_round_trips<T: StringEnum>() {
    assert!(!T::VARIANTS.is_empty(), "{} has no variants", T::KIND);
    for (i, &v) in T::VARIANTS.iter().enumerate() {
        let name = v.name();
        assert_eq!(
            name,
            v.to_string(),
            "{}::{v:?} displays its wire name",
            T::KIND
        );
        assert_eq!(name.parse::<T>().ok(), Some(v), "{}: {name:?}", T::KIND);
        for &w in &T::VARIANTS[..i] {
            assert_ne!(w, v, "{}::{v:?} is listed twice", T::KIND);
            assert_ne!(
                w.name(),
                name,
                "{}: two variants are named {name:?}",
                T::KIND
            );
        }
    }
    let unknown = "\u{0}not a name";
    assert_eq!(
        unknown.parse::<T>(),
        Err(UnknownName {
            kind: T::KIND,
            name: unknown.to_string(),
        })
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{budget, coordination, diffusion, objectives, roles, strategy};
    use crate::{access, programme};

    crate::string_enum! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Sample {
            One = "one",
            /// A documented variant.
            TwoWords = "two_words",
        }
        invalid("sample", "error.sample")
    }

    #[test]
    fn a_declared_enum_names_its_variants_and_reads_them_back() {
        assert_eq!(Sample::ALL, [Sample::One, Sample::TwoWords]);
        assert_eq!(Sample::TwoWords.as_str(), "two_words");
        assert_eq!(Sample::TwoWords.to_string(), "two_words");
        assert_eq!(
            format!("[{:<5}]", Sample::One),
            "[one  ]",
            "width and alignment apply"
        );
        assert_eq!("one".parse::<Sample>(), Ok(Sample::One));
        assert_round_trips::<Sample>();
    }

    #[test]
    fn wire_names_are_exact_but_form_input_is_trimmed() {
        assert_eq!(
            " one".parse::<Sample>(),
            Err(UnknownName {
                kind: "Sample",
                name: " one".into()
            })
        );
        assert!("ONE".parse::<Sample>().is_err());
        assert_eq!(Sample::parse("  one \n"), Ok(Sample::One));
        assert_eq!(
            Sample::parse("three"),
            Err(crate::Invalid::new("sample", "error.sample"))
        );
    }

    #[test]
    fn every_domain_string_enum_round_trips() {
        assert_round_trips::<access::Role>();
        assert_round_trips::<programme::Status>();
        assert_round_trips::<programme::Channel>();
        assert_round_trips::<budget::SupplyKind>();
        assert_round_trips::<budget::Category>();
        assert_round_trips::<budget::Currency>();
        assert_round_trips::<coordination::Frequency>();
        assert_round_trips::<coordination::CommChannel>();
        assert_round_trips::<coordination::ChangeKind>();
        assert_round_trips::<coordination::ChangeStatus>();
        assert_round_trips::<diffusion::DiffusionKind>();
        assert_round_trips::<diffusion::AdoptionStatus>();
        assert_round_trips::<objectives::Direction>();
        assert_round_trips::<objectives::Rag>();
        assert_round_trips::<objectives::Granularity>();
        assert_round_trips::<objectives::SourceKind>();
        assert_round_trips::<roles::CompetencyKind>();
        assert_round_trips::<roles::Cefr>();
        assert_round_trips::<strategy::ScopeSide>();
        assert_round_trips::<strategy::RiskLevel>();
        assert_round_trips::<strategy::RiskStatus>();
    }

    #[test]
    fn domain_wire_names_are_the_stored_ones() {
        // These names are stored in databases and plan documents: renaming one is a migration.
        let names = |all: &[&str]| all.join(",");
        assert_eq!(
            names(&access::Role::ALL.map(access::Role::as_str)),
            "admin,manager,supervisor,analyst,client_viewer"
        );
        assert_eq!(
            names(&programme::Status::ALL.map(programme::Status::as_str)),
            "draft,planned,running,closed"
        );
        assert_eq!(
            names(&programme::Channel::ALL.map(programme::Channel::as_str)),
            "voice_inbound,voice_outbound,chat,email,whatsapp,social"
        );
        assert_eq!(
            names(&objectives::Direction::ALL.map(objectives::Direction::as_str)),
            "higher,lower"
        );
    }

    #[test]
    fn form_parsers_keep_their_fields_and_keys() {
        assert_eq!(
            programme::Status::parse("open").unwrap_err(),
            crate::Invalid::new("status", "error.programme.status")
        );
        assert_eq!(
            access::Role::parse(" client_viewer "),
            Ok(access::Role::ClientViewer)
        );
        assert_eq!(roles::Cefr::parse("b2"), Ok(roles::Cefr::B2));
        assert_eq!(
            roles::Cefr::parse("D1").unwrap_err().key,
            "error.language.cefr"
        );
    }
}
