//! The statements of this store, built with sqlx's `query`, `query_scalar` and
//! `query_as`, and kept prepared on the server or not: not behind a transaction-mode
//! pooler, which hands each transaction to any server connection. Whether they are is
//! the store's own setting ([`PgStoreOptions::behind_pooler`](crate::PgStoreOptions)),
//! carried by where a statement runs ([`Db`]): two stores of one process, one behind a
//! pooler and one not, each keep to their own.

pub(crate) use zora_store_sql::postgres::{Db, query, query_as, query_scalar};
