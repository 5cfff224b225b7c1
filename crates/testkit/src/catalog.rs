//! Catalog snapshots: a database's schema as a set of comparable lines (columns, enum
//! values, constraints, indexes, triggers, table options, policies), and its rows as
//! JSON, for tests that compare two databases or one database before and after.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use sqlx::PgPool;

/// Every catalog fact of the current schema, one line each.
pub async fn snapshot(pool: &PgPool) -> BTreeSet<String> {
    let queries = [
        // columns: type with modifiers, nullability, default
        "SELECT format('column %s.%s %s%s default=%s', c.relname, a.attname, \
            format_type(a.atttypid, a.atttypmod), CASE WHEN a.attnotnull THEN ' not null' ELSE '' END, \
            COALESCE(pg_get_expr(d.adbin, d.adrelid), 'none')) \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped",
        // enum types and their values in order
        "SELECT format('enum %s (%s)', t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)) \
         FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace \
         WHERE n.nspname = current_schema() GROUP BY t.typname",
        // constraints: PK, FK, UNIQUE, CHECK, with definition and validity
        "SELECT format('constraint %s.%s %s%s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid), \
            CASE WHEN c.convalidated THEN '' ELSE ' NOT VALID' END) \
         FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
         WHERE n.nspname = current_schema() AND c.contype IN ('p', 'f', 'u', 'c')",
        // indexes, with validity
        "SELECT format('index %s %s%s', ci.relname, pg_get_indexdef(i.indexrelid), \
            CASE WHEN i.indisvalid THEN '' ELSE ' INVALID' END) \
         FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid \
         JOIN pg_namespace n ON n.oid = ci.relnamespace WHERE n.nspname = current_schema()",
        // triggers
        "SELECT format('trigger %s', pg_get_triggerdef(t.oid)) FROM pg_trigger t \
         JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND NOT t.tgisinternal",
        // tables: options and row-level security
        "SELECT format('table %s rls=%s options=%s', c.relname, c.relrowsecurity, \
            COALESCE(array_to_string(c.reloptions, ','), '')) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relkind = 'r'",
        // policies
        "SELECT format('policy %s.%s %s', tablename, policyname, qual) FROM pg_policies \
         WHERE schemaname = current_schema()",
        // functions
        "SELECT format('function %s', p.oid::regprocedure) FROM pg_proc p \
         JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE n.nspname = current_schema() AND NOT EXISTS \
           (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')",
        // extensions
        "SELECT format('extension %s', extname) FROM pg_extension",
    ];
    let mut lines = BTreeSet::new();
    for sql in queries {
        let rows: Vec<String> = sqlx::query_scalar(sql)
            .fetch_all(pool)
            .await
            .unwrap_or_else(|e| panic!("catalog query failed: {e}\n{sql}"));
        lines.extend(rows);
    }
    lines
}

/// The rows of `tables`, each row as JSON with only the columns it has now, in `id`
/// order: `columns` limits a table to the columns it had before a migration.
pub async fn rows(
    pool: &PgPool,
    tables: &[&str],
    columns: Option<&BTreeMap<String, Vec<String>>>,
) -> BTreeMap<String, Vec<Value>> {
    let mut out = BTreeMap::new();
    for table in tables {
        let select = match columns.and_then(|c| c.get(*table)) {
            Some(cols) => cols
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(", "),
            None => "*".to_owned(),
        };
        let sql = format!("SELECT to_jsonb(r) FROM (SELECT {select} FROM {table} ORDER BY id) r");
        let rows: Vec<Value> = sqlx::query_scalar(&sql)
            .fetch_all(pool)
            .await
            .unwrap_or_else(|e| panic!("reading {table} failed: {e}"));
        out.insert((*table).to_owned(), rows);
    }
    out
}

/// The columns each of `tables` has now.
pub async fn columns(pool: &PgPool, tables: &[&str]) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for table in tables {
        let cols: Vec<String> = sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(table)
        .fetch_all(pool)
        .await
        .expect("read columns");
        out.insert((*table).to_owned(), cols);
    }
    out
}
