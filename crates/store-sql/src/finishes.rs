//! [`FinishHub`]: one per store, fed with the ids of tasks that finished (completed or
//! failed for good), by PostgreSQL's notifications of waited tasks or by SQLite's
//! transactions as they commit, and fanned out to whoever waits on a task's outcome in
//! this process.

use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use zora_core::{FinishWatch, TaskId};

/// Ids not read yet beyond this are dropped (a waiter that fell behind looks at once).
const BACKLOG: usize = 4096;

/// See the module documentation. Clones share the channel.
#[derive(Debug, Clone)]
pub struct FinishHub {
    sender: broadcast::Sender<TaskId>,
}

impl Default for FinishHub {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(BACKLOG).0,
        }
    }
}

impl FinishHub {
    /// Tells every waiter that `id` finished.
    pub fn send(&self, id: TaskId) {
        // Nobody waiting: nothing to do.
        let _ = self.sender.send(id);
    }

    /// Whether anyone waits.
    pub fn has_subscribers(&self) -> bool {
        self.sender.receiver_count() > 0
    }

    /// A watch of one task: word comes when `id` is sent.
    pub fn watch(&self, id: TaskId) -> HubWatch {
        HubWatch {
            id,
            receiver: self.sender.subscribe(),
        }
    }
}

/// A [`FinishWatch`] fed by a [`FinishHub`].
#[derive(Debug)]
pub struct HubWatch {
    id: TaskId,
    receiver: broadcast::Receiver<TaskId>,
}

#[async_trait::async_trait]
impl FinishWatch for HubWatch {
    async fn next(&mut self) {
        loop {
            // The only await: `recv` is cancel-safe, so this is too.
            match self.receiver.recv().await {
                Ok(id) if id == self.id => return,
                Ok(_) => {}
                // Fell behind, or no more word can come: look now.
                Err(RecvError::Lagged(_) | RecvError::Closed) => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_watch_wakes_for_its_task_only() {
        let hub = FinishHub::default();
        let mine = TaskId::new();
        let mut watch = hub.watch(mine);
        hub.send(TaskId::new());
        assert!(
            tokio::time::timeout(Duration::from_millis(50), watch.next())
                .await
                .is_err(),
            "another task's finish is not word"
        );
        hub.send(mine);
        tokio::time::timeout(Duration::from_secs(1), watch.next())
            .await
            .expect("its own finish is");
    }
}
