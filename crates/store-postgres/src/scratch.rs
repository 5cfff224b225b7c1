//! Scratch databases on a server: created for a run (`zora bench`, the tests) and dropped
//! after, with their connections.

use sqlx::{Connection, PgConnection};

use crate::error::PgError;

/// `url` with its database replaced by `name` (user, password, host and query kept).
pub fn url_with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let prefix = match base.rfind('/') {
        Some(slash) if slash > base.find("://").map_or(0, |i| i + 2) => &base[..slash],
        _ => base,
    };
    format!("{prefix}/{name}{query}")
}

/// One connection to the server of `admin_url`; the error names the server, not the
/// password.
async fn connect_admin(admin_url: &str) -> Result<PgConnection, PgError> {
    PgConnection::connect(admin_url)
        .await
        .map_err(|e| PgError::Connect {
            target: admin_url
                .split('@')
                .next_back()
                .unwrap_or(admin_url)
                .to_owned(),
            unreachable: crate::connect::unreachable(&e),
            reason: e.to_string(),
        })
}

/// Creates the empty database `name` on the server of `admin_url` (a role that may
/// create databases) and returns its URL.
pub async fn create_database(admin_url: &str, name: &str) -> Result<String, PgError> {
    let mut conn = connect_admin(admin_url).await?;
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .map_err(|e| {
            PgError::Store(zora_core::StoreError::Unavailable(format!(
                "cannot create the database {name}: {e} (the role needs CREATEDB)"
            )))
        })?;
    let _ = conn.close().await;
    Ok(url_with_database(admin_url, name))
}

/// Drops the database `name`, ending its connections; a missing one is no error.
///
/// Tried again for up to 5 s while the server refuses because of a process it will not let
/// this role end: an autovacuum worker that started on the database (SQLSTATE 42501 for a
/// role that is not a superuser) is gone a moment later.
pub async fn drop_database(admin_url: &str, name: &str) -> Result<(), PgError> {
    const PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);
    let mut conn = connect_admin(admin_url).await?;
    let started = std::time::Instant::now();
    let dropped = loop {
        let tried = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
        match tried {
            Err(sqlx::Error::Database(e))
                if e.code().as_deref() == Some("42501") && started.elapsed() < PATIENCE =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            other => break other,
        }
    };
    let _ = conn.close().await;
    dropped
        .map(drop)
        .map_err(|e| PgError::Store(crate::error::store_error(e)))
}

#[cfg(test)]
mod tests {
    use super::url_with_database;

    #[test]
    fn the_database_is_replaced_and_the_rest_kept() {
        assert_eq!(
            url_with_database("postgres://u:p@h:5432/postgres?sslmode=disable", "x"),
            "postgres://u:p@h:5432/x?sslmode=disable"
        );
        assert_eq!(url_with_database("postgres://h", "x"), "postgres://h/x");
    }
}
