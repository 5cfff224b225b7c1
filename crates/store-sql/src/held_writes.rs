//! [`HeldWrites`]: how a batch's tasks write in one transaction without a round trip per
//! task. Between `begin_task` and `end_task`, a task's inserts of missions, shop projects,
//! plan-item links and journal entries are held here; `flush_held_writes` writes each
//! kind for the whole batch in one statement. A savepoint is taken only before a task's
//! first write that cannot be held (marking a plan applied, an upsert), so that its
//! failure undoes that write alone; a task that only inserts needs none.

use zora_core::climate::NewMission;
use zora_core::journal::NewJournalEntry;
use zora_core::shop::NewShopProject;
use zora_core::{MissionId, PlanItemId, TenantId};

/// See the module documentation.
#[derive(Debug, Default)]
pub struct HeldWrites {
    /// Inside a task's part (`begin_task` called, `end_task` not yet).
    in_task: bool,
    /// The current task took a savepoint.
    savepoint: bool,
    /// Lengths when the current task began: its own rows are those past them.
    marks: [usize; 4],
    pub missions: Vec<NewMission>,
    pub projects: Vec<NewShopProject>,
    pub links: Vec<(TenantId, PlanItemId, MissionId)>,
    pub journal: Vec<NewJournalEntry>,
}

impl HeldWrites {
    /// Whether inserts are held now.
    pub fn holding(&self) -> bool {
        self.in_task
    }

    /// Inside a task's part, holds what `add` puts in and returns `true`; outside one,
    /// returns `false` and the caller writes at once.
    pub fn hold(&mut self, add: impl FnOnce(&mut Self)) -> bool {
        if self.in_task {
            add(self);
        }
        self.in_task
    }

    pub fn begin_task(&mut self) {
        self.in_task = true;
        self.savepoint = false;
        self.marks = self.lengths();
    }

    /// A write that cannot be held is about to run: `true` when a savepoint must be taken
    /// first (the first such write of the task). It is then counted as taken.
    pub fn savepoint_needed(&mut self) -> bool {
        let needed = self.in_task && !self.savepoint;
        self.savepoint |= needed;
        needed
    }

    /// Ends the task's part; `keep: false` drops what it held. Returns whether it took a
    /// savepoint (to release, or roll back to and release).
    pub fn end_task(&mut self, keep: bool) -> bool {
        if !keep {
            let [missions, projects, links, journal] = self.marks;
            self.missions.truncate(missions);
            self.projects.truncate(projects);
            self.links.truncate(links);
            self.journal.truncate(journal);
        }
        self.in_task = false;
        std::mem::take(&mut self.savepoint)
    }

    /// Takes everything held, leaving the buffer empty.
    pub fn take(&mut self) -> Self {
        std::mem::take(self)
    }

    /// The links, grouped by tenant (a batch spans few).
    pub fn links_by_tenant(
        links: Vec<(TenantId, PlanItemId, MissionId)>,
    ) -> Vec<(TenantId, Vec<(PlanItemId, MissionId)>)> {
        let mut grouped: Vec<(TenantId, Vec<(PlanItemId, MissionId)>)> = Vec::new();
        for (tenant, item, mission) in links {
            match grouped.iter_mut().find(|(t, _)| *t == tenant) {
                Some((_, items)) => items.push((item, mission)),
                None => grouped.push((tenant, vec![(item, mission)])),
            }
        }
        grouped
    }

    fn lengths(&self) -> [usize; 4] {
        [
            self.missions.len(),
            self.projects.len(),
            self.links.len(),
            self.journal.len(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zora_core::JournalEntryId;
    use zora_core::journal::JournalCategory;

    fn entry(title: &str) -> NewJournalEntry {
        NewJournalEntry {
            id: JournalEntryId::new(),
            tenant_id: TenantId::new(),
            category: JournalCategory::SystemEvent,
            title: title.into(),
            body: None,
            details: serde_json::json!({}),
            author: None,
        }
    }

    #[test]
    fn a_failed_task_drops_only_its_own_rows_and_says_if_it_took_a_savepoint() {
        let mut held = HeldWrites::default();
        assert!(!held.holding());
        assert!(
            !held.savepoint_needed(),
            "outside a task: nothing to protect"
        );
        held.begin_task();
        held.journal.push(entry("kept"));
        assert!(!held.end_task(true), "no savepoint taken");
        held.begin_task();
        held.journal.push(entry("dropped"));
        assert!(held.savepoint_needed());
        assert!(!held.savepoint_needed(), "one savepoint per task");
        assert!(held.end_task(false), "its savepoint is rolled back to");
        let titles: Vec<_> = held.journal.iter().map(|e| e.title.as_str()).collect();
        assert_eq!(titles, ["kept"]);
        assert!(held.take().journal.len() == 1 && held.journal.is_empty());
    }

    #[test]
    fn links_are_grouped_per_tenant() {
        let (a, b) = (TenantId::new(), TenantId::new());
        let link = |t| (t, PlanItemId::new(), MissionId::new());
        let grouped = HeldWrites::links_by_tenant(vec![link(a), link(b), link(a)]);
        assert_eq!(grouped.len(), 2);
        assert_eq!((grouped[0].0, grouped[0].1.len()), (a, 2));
        assert_eq!((grouped[1].0, grouped[1].1.len()), (b, 1));
    }
}
