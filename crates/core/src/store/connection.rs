//! [`Connection`]: the backend's own connection inside a transaction, for a domain's SQL.
//! The queue's tables are the store's; a domain's tables (and the SQL that reads and
//! writes them, one version per backend) are the domain's own, and reach the open
//! transaction through this handle. Opaque here (this crate knows no driver):
//! `zora_store_sql::Sql` opens it as the backend's connection.

use std::any::Any;

/// See the module documentation.
pub struct Connection<'a> {
    conn: &'a mut (dyn Any + Send),
    keep_statements: bool,
}

impl std::fmt::Debug for Connection<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("keep_statements", &self.keep_statements)
            .finish_non_exhaustive()
    }
}

impl<'a> Connection<'a> {
    /// `conn`, the driver's connection of the open transaction; `keep_statements`:
    /// whether a statement may stay prepared on the server (not behind a
    /// transaction-mode pooler).
    pub fn new<C: Any + Send>(conn: &'a mut C, keep_statements: bool) -> Self {
        Self {
            conn,
            keep_statements,
        }
    }

    /// Whether statements may stay prepared on the server.
    pub fn keep_statements(&self) -> bool {
        self.keep_statements
    }

    /// Whether the driver's connection is a `C`.
    pub fn is<C: Any>(&self) -> bool {
        self.conn.is::<C>()
    }

    /// The driver's connection, when it is a `C`.
    pub fn downcast<C: Any>(self) -> Option<&'a mut C> {
        self.conn.downcast_mut::<C>()
    }
}
