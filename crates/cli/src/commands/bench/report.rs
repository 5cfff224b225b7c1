//! What `zora bench` prints: one row per line measured, a Markdown table per store (or
//! JSON), with each engine line's ratio to the best limit line.

use serde::Serialize;

/// One line of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// `sqlite` or `postgres`.
    pub store: &'static str,
    /// What was measured.
    pub line: String,
    /// Tasks it covered.
    pub tasks: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Its figure: tasks per second, or the latency or memory it names.
    pub value: f64,
    /// The unit of `value`: `tasks/s`, `requests/s`, `ms` or `MiB`.
    pub unit: &'static str,
    /// The engine's share of the limit, the claim-at-size ratio, and such.
    pub note: String,
}

impl Row {
    /// A throughput row.
    pub fn rate(store: &'static str, line: impl Into<String>, tasks: u64, seconds: f64) -> Self {
        Self {
            store,
            line: line.into(),
            tasks,
            seconds,
            value: tasks as f64 / seconds.max(1e-9),
            unit: "tasks/s",
            note: String::new(),
        }
    }
}

/// The Markdown table of `rows` (the stores in the order they ran).
pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::new();
    let mut stores: Vec<&str> = rows.iter().map(|r| r.store).collect();
    stores.dedup();
    for store in stores {
        out.push_str(&format!("\n### {}\n\n", title(store)));
        out.push_str("| line | tasks | time | figure | note |\n");
        out.push_str("|---|---:|---:|---:|---|\n");
        for row in rows.iter().filter(|r| r.store == store) {
            let tasks = if row.tasks == 0 {
                String::new()
            } else {
                thousands(row.tasks)
            };
            let time = if row.seconds > 0.0 {
                format!("{:.2} s", row.seconds)
            } else {
                String::new()
            };
            let figure = match row.unit {
                "tasks/s" | "requests/s" => {
                    format!("{} {}", thousands(row.value.round() as u64), row.unit)
                }
                unit => format!("{:.1} {unit}", row.value),
            };
            out.push_str(&format!(
                "| {} | {tasks} | {time} | {figure} | {} |\n",
                row.line, row.note
            ));
        }
    }
    out
}

fn title(store: &str) -> &'static str {
    match store {
        "postgres" => "PostgreSQL",
        _ => "SQLite",
    }
}

/// `20000` as `20,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_people_write_them() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(20_000), "20,000");
        assert_eq!(thousands(1_000_000), "1,000,000");
        let table = markdown(&[Row::rate("sqlite", "engine, concurrency 4", 20_000, 2.0)]);
        assert!(table.contains("### SQLite"), "{table}");
        assert!(
            table.contains("| engine, concurrency 4 | 20,000 | 2.00 s | 10,000 tasks/s |  |"),
            "{table}"
        );
    }
}
