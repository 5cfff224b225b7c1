//! Injected faults, for `zora chaos` (`zora worker --inject-faults`): a chosen share of
//! tasks fails after its handler wrote its effects, so the run proves those effects are
//! undone. Which tasks is decided by the task's id alone ([`FaultPlan::fault_of`]), so the
//! chaos driver knows, without asking any worker, which tasks must end failed.

use std::str::FromStr;

use zora_core::handler::TaskError;
use zora_core::{Task, TaskId};

/// The message of an injected permanent fault (the task's `error_message`).
pub const INJECTED_PERMANENT: &str = "Injected permanent fault (zora chaos)";
/// The message of an injected transient fault.
pub const INJECTED_TRANSIENT: &str = "Injected transient fault (zora chaos)";

/// What an injected fault does to a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Fails its first attempt with an error that may pass; a retry completes it.
    Transient,
    /// Fails every attempt for good.
    Permanent,
}

/// The shares of tasks that fault, each a fraction in `0..=1`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FaultPlan {
    pub transient: f64,
    pub permanent: f64,
}

impl FaultPlan {
    /// The fault `id` is given, if any: its random bits (a UUIDv7's last 62) read as a
    /// fraction, the first `transient` of the range transient, the next `permanent`
    /// permanent.
    pub fn fault_of(&self, id: TaskId) -> Option<Fault> {
        let low = u64::from_be_bytes(id.0.as_bytes()[8..].try_into().unwrap_or_default());
        let share = (low % 1_000_000) as f64 / 1_000_000.0;
        if share < self.transient {
            Some(Fault::Transient)
        } else if share < self.transient + self.permanent {
            Some(Fault::Permanent)
        } else {
            None
        }
    }

    /// The error `task` fails with on this run, if it faults now: a transient fault only
    /// on its first attempt.
    pub fn error_for(&self, task: &Task) -> Option<TaskError> {
        match self.fault_of(task.id)? {
            Fault::Transient if task.attempts <= 1 => {
                Some(TaskError::transient(INJECTED_TRANSIENT))
            }
            Fault::Transient => None,
            Fault::Permanent => Some(TaskError::permanent(INJECTED_PERMANENT)),
        }
    }
}

impl FromStr for FaultPlan {
    type Err = String;

    /// `transient=2%,permanent=0.5%` (either may be left out; a share is a percentage).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut plan = FaultPlan::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}`: expected transient=N% or permanent=N%"))?;
            let percent: f64 = value
                .trim()
                .trim_end_matches('%')
                .parse()
                .map_err(|_| format!("`{part}`: {value} is not a percentage"))?;
            if !(0.0..=100.0).contains(&percent) {
                return Err(format!("`{part}`: a share is between 0% and 100%"));
            }
            match name.trim() {
                "transient" => plan.transient = percent / 100.0,
                "permanent" => plan.permanent = percent / 100.0,
                other => return Err(format!("`{other}`: expected transient or permanent")),
            }
        }
        if plan.transient + plan.permanent > 1.0 {
            return Err("the shares add up to more than 100%".into());
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_parse_and_split_the_ids() {
        let plan: FaultPlan = "transient=10%, permanent=5%".parse().expect("parses");
        assert_eq!(
            plan,
            FaultPlan {
                transient: 0.1,
                permanent: 0.05
            }
        );
        let (mut transient, mut permanent) = (0, 0);
        for _ in 0..20_000 {
            match plan.fault_of(TaskId::new()) {
                Some(Fault::Transient) => transient += 1,
                Some(Fault::Permanent) => permanent += 1,
                None => {}
            }
        }
        assert!((1_600..2_400).contains(&transient), "{transient}");
        assert!((700..1_300).contains(&permanent), "{permanent}");
        for bad in ["transient", "often=1%", "transient=x", "permanent=120%"] {
            assert!(bad.parse::<FaultPlan>().is_err(), "{bad}");
        }
    }
}
