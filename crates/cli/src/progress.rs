//! A progress bar on stderr for batch runs; hidden when stderr is not a terminal, so
//! scripts and logs see only the results on stdout.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use zora_engine::{TaskOutcome, TaskReport};

/// Counts tasks as they end.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar of at most `len` tasks.
    pub fn new(len: u64, what: &str) -> Self {
        Self {
            bar: styled_bar(len, what, "{spinner} {prefix} [{bar:30}] {pos}/{len} {msg}"),
        }
    }

    /// One task ended.
    pub fn task_done(&self, report: &TaskReport) {
        self.bar.inc(1);
        let marker = match report.outcome {
            TaskOutcome::Completed => "done",
            TaskOutcome::Failed | TaskOutcome::Retrying => "failed",
            TaskOutcome::Skipped => "skipped",
        };
        self.bar
            .set_message(format!("{marker}: {}", report.task_type));
    }

    /// Clears the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// A bar of `len` steps for one phase of a long run (`zora bench`), labelled `what`.
pub fn phase_bar(len: u64, what: &str) -> ProgressBar {
    styled_bar(
        len,
        what,
        "{spinner} {prefix} [{bar:30}] {pos}/{len} ({elapsed})",
    )
}

/// A spinner of work of unknown length, labelled `what`, its message set as it goes.
pub fn spinner(what: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix}: {msg} ({elapsed})") {
        bar.set_style(style);
    }
    bar.set_prefix(what.to_owned());
    bar
}

fn styled_bar(len: u64, what: &str, template: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(what.to_owned());
    bar
}
