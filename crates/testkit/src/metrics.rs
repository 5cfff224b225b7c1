//! Reading a Prometheus text scrape in tests.

/// The value of one series (`name{labels}`, labels as the exposition writes them) in a
/// scrape; `None` when the scrape has no such line.
pub fn sample(scrape: &str, series: &str) -> Option<f64> {
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}
