//! Ids of different things as different types where they meet in one call (a job, its lease
//! and the agent holding it; a user and one of their jobs, sessions, keys or devices), so that two ids passed in the
//! wrong order do not compile instead of silently matching nothing.

use crate::store::{ToValue, Value};

macro_rules! borrowed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name<'a>(pub &'a str);

        impl $name<'_> {
            pub fn as_str(&self) -> &str {
                self.0
            }
        }

        impl std::fmt::Display for $name<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.0)
            }
        }

        impl ToValue for $name<'_> {
            fn to_value(&self) -> Value {
                self.0.to_value()
            }
        }
    };
}

borrowed_id!(
    /// A job's id.
    JobId
);
borrowed_id!(
    /// A lease's id: one claim of a job by an agent.
    LeaseId
);
borrowed_id!(
    /// An agent's id (an operator's server or a user's device).
    AgentId
);
borrowed_id!(
    /// A user's id.
    UserId
);
borrowed_id!(
    /// A session's id.
    SessionId
);
borrowed_id!(
    /// An API key's id.
    ApiKeyId
);
