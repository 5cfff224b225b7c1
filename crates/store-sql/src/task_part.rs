//! [`TaskPart`]: one task's part of a batch transaction. In an undoable part a savepoint is
//! taken only before the task's first write (marking a plan applied, an upsert), so that
//! its failure undoes that write alone; a task whose rows are all returned as inserts
//! (written by the engine for the whole batch) needs none and costs no round trip of its
//! own. A part begun not undoable takes no savepoint at all; undoing one that wrote is
//! refused, and the caller rolls the transaction back.

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
    /// The current part takes a savepoint before its first write.
    undoable: bool,
    /// The current task took a savepoint.
    savepoint: bool,
    /// The current task wrote.
    wrote: bool,
}

/// A part begun not undoable wrote, and was to be undone: only a rollback of the whole
/// transaction can.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CannotUndo;

impl From<CannotUndo> for zora_core::StoreError {
    /// Transient: the same work, rerun with undoable parts, may pass.
    fn from(_: CannotUndo) -> Self {
        Self::Transient(
            "a task's part wrote without a savepoint and cannot be undone alone; \
             the transaction must be rolled back"
                .into(),
        )
    }
}

impl TaskPart {
    pub fn begin(&mut self, undoable: bool) {
        self.in_task = true;
        self.undoable = undoable;
        self.savepoint = false;
        self.wrote = false;
    }

    /// A write is about to run: `true` when a savepoint must be taken first (the first
    /// write of an undoable part). It is then counted as taken.
    pub fn savepoint_needed(&mut self) -> bool {
        self.wrote |= self.in_task;
        let needed = self.in_task && self.undoable && !self.savepoint;
        self.savepoint |= needed;
        needed
    }

    /// Ends the task's part and says which statements close it: none when it took no
    /// savepoint, else a release, after a rollback to it unless `keep`.
    pub fn end(&mut self, keep: bool) -> Result<&'static [&'static str], CannotUndo> {
        self.in_task = false;
        let wrote = std::mem::take(&mut self.wrote);
        match (std::mem::take(&mut self.savepoint), keep) {
            (false, false) if wrote => Err(CannotUndo),
            (false, _) => Ok(&[]),
            (true, true) => Ok(&[RELEASE_SAVEPOINT]),
            (true, false) => Ok(&[ROLLBACK_TO_SAVEPOINT, RELEASE_SAVEPOINT]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_savepoint_per_undoable_task_and_only_when_it_writes() {
        let mut part = TaskPart::default();
        assert!(
            !part.savepoint_needed(),
            "outside a task: nothing to protect"
        );
        part.begin(true);
        assert_eq!(part.end(true), Ok(&[][..]), "no write, no savepoint");
        part.begin(true);
        assert!(part.savepoint_needed());
        assert!(!part.savepoint_needed(), "one savepoint per task");
        assert_eq!(
            part.end(false),
            Ok(&[ROLLBACK_TO_SAVEPOINT, RELEASE_SAVEPOINT][..])
        );
        part.begin(true);
        assert!(part.savepoint_needed());
        assert_eq!(part.end(true), Ok(&[RELEASE_SAVEPOINT][..]));
        assert!(!part.savepoint_needed(), "ended: outside a task again");
    }

    #[test]
    fn a_part_begun_not_undoable_takes_no_savepoint_and_refuses_to_undo_a_write() {
        let mut part = TaskPart::default();
        part.begin(false);
        assert!(!part.savepoint_needed(), "no savepoint before its write");
        assert_eq!(part.end(true), Ok(&[][..]), "kept: nothing to release");
        part.begin(false);
        assert_eq!(part.end(false), Ok(&[][..]), "undone before any write");
        part.begin(false);
        assert!(!part.savepoint_needed());
        assert_eq!(part.end(false), Err(CannotUndo), "a write it cannot undo");
    }
}
