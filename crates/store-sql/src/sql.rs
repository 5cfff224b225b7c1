//! [`Sql`]: a transaction's [`Connection`] opened as its backend's, for a domain's own
//! queries (one version of each per backend: a domain matches on it).

use zora_core::StoreError;
use zora_core::store::Connection;

#[cfg(feature = "postgres")]
use crate::postgres::PgDb;

/// See the module documentation.
#[derive(Debug)]
pub enum Sql<'a> {
    #[cfg(feature = "postgres")]
    Postgres(PgDb<'a>),
    #[cfg(feature = "sqlite")]
    Sqlite(&'a mut sqlx::SqliteConnection),
}

impl<'a> Sql<'a> {
    /// The backend's connection behind `connection`.
    pub fn open(connection: Connection<'a>) -> Result<Self, StoreError> {
        #[cfg(feature = "postgres")]
        if connection.is::<sqlx::PgConnection>() {
            let keep = connection.keep_statements();
            if let Some(conn) = connection.downcast::<sqlx::PgConnection>() {
                return Ok(Self::Postgres(PgDb::new(conn, keep)));
            }
            return Err(unknown());
        }
        #[cfg(feature = "sqlite")]
        if let Some(conn) = connection.downcast::<sqlx::SqliteConnection>() {
            return Ok(Self::Sqlite(conn));
        }
        Err(unknown())
    }
}

fn unknown() -> StoreError {
    StoreError::Other("the transaction's connection is of no backend this build knows".into())
}
