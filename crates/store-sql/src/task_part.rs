//! [`TaskPart`]: one task's part of a batch transaction. A savepoint is taken only before
//! the task's first write (marking a plan applied, an upsert), so that its failure undoes
//! that write alone; a task whose rows are all returned as inserts (written by the engine
//! for the whole batch) needs none and costs no round trip of its own.

/// The savepoint statements a task's part uses (one level, one name).
pub const SAVEPOINT: &str = "SAVEPOINT zora_task";
/// Back to [`SAVEPOINT`]; the transaction goes on.
pub const ROLLBACK_TO_SAVEPOINT: &str = "ROLLBACK TO SAVEPOINT zora_task";
/// Forgets [`SAVEPOINT`], keeping what was written since.
pub const RELEASE_SAVEPOINT: &str = "RELEASE SAVEPOINT zora_task";

/// See the module documentation.
#[derive(Debug, Default)]
pub struct TaskPart {
    /// Inside a task's part (`begin` called, `end` not yet).
    in_task: bool,
    /// The current task took a savepoint.
    savepoint: bool,
}

impl TaskPart {
    pub fn begin(&mut self) {
        self.in_task = true;
        self.savepoint = false;
    }

    /// A write is about to run: `true` when a savepoint must be taken first (the first
    /// write of the task). It is then counted as taken.
    pub fn savepoint_needed(&mut self) -> bool {
        let needed = self.in_task && !self.savepoint;
        self.savepoint |= needed;
        needed
    }

    /// Ends the task's part and says which statements close it: none when it took no
    /// savepoint, else a release, after a rollback to it unless `keep`.
    pub fn end(&mut self, keep: bool) -> &'static [&'static str] {
        self.in_task = false;
        match (std::mem::take(&mut self.savepoint), keep) {
            (false, _) => &[],
            (true, true) => &[RELEASE_SAVEPOINT],
            (true, false) => &[ROLLBACK_TO_SAVEPOINT, RELEASE_SAVEPOINT],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_savepoint_per_task_and_only_when_it_writes() {
        let mut part = TaskPart::default();
        assert!(
            !part.savepoint_needed(),
            "outside a task: nothing to protect"
        );
        part.begin();
        assert!(part.end(true).is_empty(), "no write, no savepoint");
        part.begin();
        assert!(part.savepoint_needed());
        assert!(!part.savepoint_needed(), "one savepoint per task");
        assert_eq!(part.end(false), [ROLLBACK_TO_SAVEPOINT, RELEASE_SAVEPOINT]);
        part.begin();
        assert!(part.savepoint_needed());
        assert_eq!(part.end(true), [RELEASE_SAVEPOINT]);
        assert!(!part.savepoint_needed(), "ended: outside a task again");
    }
}
