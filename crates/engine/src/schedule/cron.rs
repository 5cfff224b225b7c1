//! A schedule's cron expression in its time zone: parsed by `croner` (five fields,
//! standard syntax with ranges, lists, steps and names) in an IANA zone from `chrono-tz`.
//!
//! Daylight saving time is croner's (the Open Cron Pattern Specification, as Vixie cron):
//! a fixed time that falls in the hour a spring change skips runs at the first valid time
//! after the gap (`30 2 * * *` in Europe/Copenhagen on the last Sunday of March runs at
//! 03:00 local); an interval or wildcard expression skips the gap. A fixed time in the
//! hour an autumn change repeats runs once, at its first pass; an interval or wildcard
//! expression runs in both passes.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

/// A cron expression and the zone its fields are read in.
#[derive(Debug, Clone)]
pub struct CronSpec {
    cron: Cron,
    zone: Tz,
}

/// What is wrong with a cron or a zone: the field (`cron`, `timezone`) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub field: &'static str,
    pub message: String,
}

impl CronSpec {
    /// Parses `cron` (exactly five fields, or a nickname like `@daily`) in `timezone`.
    pub fn parse(cron: &str, timezone: &str) -> Result<Self, Vec<SpecError>> {
        let mut errors = Vec::new();
        let parser = CronParser::builder()
            .seconds(Seconds::Disallowed)
            .year(Year::Disallowed)
            .build();
        let parsed = parser
            .parse(cron)
            .map_err(|e| {
                errors.push(SpecError {
                    field: "cron",
                    message: format!(
                        "cron must be 5 fields (minute hour day-of-month month day-of-week), \
                         like \"0 9 * * MON\": {e}"
                    ),
                });
            })
            .ok();
        let zone = timezone
            .parse::<Tz>()
            .map_err(|_| {
                errors.push(SpecError {
                    field: "timezone",
                    message: format!(
                        "timezone must be an IANA time zone, like \"Europe/Copenhagen\" or \
                         \"UTC\"; '{timezone}' is not one"
                    ),
                });
            })
            .ok();
        match (parsed, zone) {
            (Some(cron), Some(zone)) if errors.is_empty() => Ok(Self { cron, zone }),
            _ => Err(errors),
        }
    }

    /// The first slot strictly after `at`; `None` when there is none (croner searches
    /// up to the year 5000).
    pub fn next_after(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_next_occurrence(&at.with_timezone(&self.zone), false)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The latest slot at or before `now`, if it is not before `due` (the schedule's next
    /// slot): the one a catch-up runs after downtime, the slots between being skipped.
    pub fn latest_due(&self, due: DateTime<Utc>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if due > now {
            return None;
        }
        let latest = self
            .cron
            .find_previous_occurrence(&now.with_timezone(&self.zone), true)
            .ok()
            .map(|t| t.with_timezone(&Utc))?;
        Some(latest.max(due))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("a time")
            .with_timezone(&Utc)
    }

    #[test]
    fn five_fields_with_names_steps_and_lists() {
        let spec = CronSpec::parse("*/15 9-17 * * MON-FRI", "UTC").expect("valid");
        assert_eq!(
            spec.next_after(at("2026-12-04T17:50:00Z")),
            Some(at("2026-12-07T09:00:00Z"))
        );
    }

    #[test]
    fn faults_name_their_field() {
        let faults = CronSpec::parse("0 0 0 * * *", "Mars/Olympus").expect_err("two faults");
        let fields: Vec<_> = faults.iter().map(|f| f.field).collect();
        assert_eq!(fields, ["cron", "timezone"]);
        assert!(CronSpec::parse("61 * * * *", "UTC").is_err());
        assert!(CronSpec::parse("", "UTC").is_err());
    }

    #[test]
    fn catch_up_is_the_latest_missed_slot() {
        let spec = CronSpec::parse("* * * * *", "UTC").expect("valid");
        let due = at("2026-12-01T10:00:00Z");
        assert_eq!(
            spec.latest_due(due, at("2026-12-01T10:09:30Z")),
            Some(at("2026-12-01T10:09:00Z"))
        );
        assert_eq!(spec.latest_due(due, at("2026-12-01T09:59:59Z")), None);
        assert_eq!(spec.latest_due(due, due), Some(due));
    }

    #[test]
    fn copenhagen_across_both_changes() {
        // 2026-03-29: 02:00 local jumps to 03:00 (UTC+1 → UTC+2).
        let spec = CronSpec::parse("30 2 * * *", "Europe/Copenhagen").expect("valid");
        assert_eq!(
            spec.next_after(at("2026-03-28T12:00:00Z")),
            Some(at("2026-03-29T01:00:00Z")),
            "02:30 does not exist that day: the first valid time after the gap, 03:00 CEST"
        );
        assert_eq!(
            spec.next_after(at("2026-03-29T01:00:00Z")),
            Some(at("2026-03-30T00:30:00Z")),
            "then 02:30 CEST again"
        );
        // 2026-10-25: 03:00 local falls back to 02:00 (UTC+2 → UTC+1): once, first pass.
        assert_eq!(
            spec.next_after(at("2026-10-24T12:00:00Z")),
            Some(at("2026-10-25T00:30:00Z"))
        );
        assert_eq!(
            spec.next_after(at("2026-10-25T00:30:00Z")),
            Some(at("2026-10-26T01:30:00Z"))
        );
    }
}
