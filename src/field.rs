//! The logical fields of a prospect, whatever the headers of the register.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Id,
    Stage,
    StageSince,
    Name,
    Company,
    Owner,
    Amount,
    Probability,
    ExpectedClose,
    NextAction,
    Products,
    LostReason,
    Created,
    SnoozeUntil,
}

/// What a field holds, which decides how it is read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Stage,
    Date,
    Amount,
    Percent,
    List,
}

impl Field {
    pub const ALL: [Field; 14] = [
        Field::Id,
        Field::Stage,
        Field::StageSince,
        Field::Name,
        Field::Company,
        Field::Owner,
        Field::Amount,
        Field::Probability,
        Field::ExpectedClose,
        Field::NextAction,
        Field::Products,
        Field::LostReason,
        Field::Created,
        Field::SnoozeUntil,
    ];

    /// The field's name in `pipeline.toml`, the journal and on the command line; also its default header.
    pub fn key(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Stage => "stage",
            Field::StageSince => "stage_since",
            Field::Name => "name",
            Field::Company => "company",
            Field::Owner => "owner",
            Field::Amount => "amount",
            Field::Probability => "probability",
            Field::ExpectedClose => "expected_close",
            Field::NextAction => "next_action",
            Field::Products => "products",
            Field::LostReason => "lost_reason",
            Field::Created => "created",
            Field::SnoozeUntil => "snooze_until",
        }
    }

    pub fn kind(self) -> Kind {
        match self {
            Field::Stage => Kind::Stage,
            Field::StageSince
            | Field::ExpectedClose
            | Field::NextAction
            | Field::Created
            | Field::SnoozeUntil => Kind::Date,
            Field::Amount => Kind::Amount,
            Field::Probability => Kind::Percent,
            Field::Products => Kind::List,
            _ => Kind::Text,
        }
    }

    pub fn from_key(key: &str) -> Option<Field> {
        let k = crate::text::fold(key).replace(' ', "_");
        Field::ALL.into_iter().find(|f| f.key() == k)
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn keys() -> impl Iterator<Item = &'static str> {
        Field::ALL.into_iter().map(Field::key)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}
