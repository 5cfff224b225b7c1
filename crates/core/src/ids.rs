//! Typed ids: one newtype per table, so a task id can never be passed as a tenant id. A
//! domain declares its own tables' ids with the same macro ([`crate::uuid_id`]).

use uuid::Uuid;

/// Declares uuid newtypes, one per table: `uuid_id!(/// A row of `things`. ThingId);`.
/// The crate using it depends on `serde`, `schemars` and `uuid`.
#[macro_export]
macro_rules! uuid_id {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema)]
        #[serde(transparent)]
        pub struct $name(pub ::uuid::Uuid);

        impl $name {
            /// A fresh, time-ordered (UUIDv7) id: new rows land at the right edge of
            /// their B-tree instead of on random pages.
            pub fn new() -> Self {
                Self(::uuid::Uuid::now_v7())
            }

            /// The id as a plain `Uuid`.
            pub fn as_uuid(&self) -> ::uuid::Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<::uuid::Uuid> for $name {
            fn from(id: ::uuid::Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for ::uuid::Uuid {
            fn from(id: $name) -> ::uuid::Uuid {
                id.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                // Lower-case and hyphenated, the one text form ids take everywhere.
                ::std::fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::uuid::Error;

            /// Accepts any case and the forms `uuid` accepts; displays normalized.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                ::uuid::Uuid::parse_str(s.trim()).map(Self)
            }
        }
    )*};
}

crate::uuid_id!(
    /// A row of `tenants`: every other row belongs to exactly one.
    TenantId,
    /// A row of `agent_tasks`.
    TaskId,
    /// A row of `users`.
    UserId,
    /// A row of `agent_commands`.
    CommandId,
    /// A row of `agent_task_schedules`.
    ScheduleId,
    /// A row of `journal_entries`.
    JournalEntryId,
);

/// The tenant ZORA CORE uses by default, and the one the migrations create.
pub const DEFAULT_TENANT_ID: TenantId = TenantId(Uuid::from_u128(1));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_tenant_is_zora_cores() {
        assert_eq!(
            DEFAULT_TENANT_ID.to_string(),
            "00000000-0000-0000-0000-000000000001"
        );
    }

    #[test]
    fn ids_parse_in_any_case_and_display_lower_case() {
        let id: TaskId = " 6F9619FF-8B86-D011-B42D-00C04FC964FF "
            .parse()
            .expect("valid");
        assert_eq!(id.to_string(), "6f9619ff-8b86-d011-b42d-00c04fc964ff");
        assert!("not-a-uuid".parse::<TaskId>().is_err());
    }
}
