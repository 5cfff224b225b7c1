//! `zora prune`: deletes finished tasks older than an age, window by window over the
//! table's primary key (each a short transaction), and prints how many; `--dry-run`
//! counts them instead.

use std::process::ExitCode;

use zora_core::Store;
use zora_core::retention::Prune;

use crate::cli::PruneArgs;
use crate::config::DatabaseTarget;
use crate::exit::CliError;
use crate::open::open_store;
use crate::output::print_json;

/// What a whole walk of a prune did (or, dry, would do).
#[derive(Debug, Clone, Copy, Default)]
pub struct Walked {
    pub deleted: u64,
    pub kept_as_parents: u64,
    pub windows: u64,
}

/// Walks the whole table window by window, `progress` told after each.
pub async fn walk(
    store: &dyn Store,
    prune: &Prune,
    dry_run: bool,
    progress: impl Fn(&Walked),
) -> Result<Walked, CliError> {
    let mut walked = Walked::default();
    let mut after = None;
    loop {
        let batch = store
            .prune_finished_tasks_all_tenants(prune, after, dry_run)
            .await?;
        walked.windows += 1;
        walked.deleted += batch.deleted;
        walked.kept_as_parents += batch.kept_as_parents;
        progress(&walked);
        match batch.next_after {
            Some(next) => after = Some(next),
            None => return Ok(walked),
        }
    }
}

pub async fn run(
    target: &DatabaseTarget,
    args: &PruneArgs,
    json: bool,
) -> Result<ExitCode, CliError> {
    let store = open_store(target).await?;
    let prune = Prune {
        older_than: args.older_than,
        status: args.status,
        window: args.batch,
    };
    let bar = crate::progress::spinner(if args.dry_run { "counting" } else { "pruning" });
    let walked = walk(store.as_ref(), &prune, args.dry_run, |walked| {
        bar.set_message(format!(
            "{} tasks, {} batches",
            walked.deleted, walked.windows
        ));
        bar.tick();
    })
    .await?;
    let Walked {
        deleted,
        kept_as_parents: kept,
        windows,
    } = walked;
    bar.finish_and_clear();
    let age = humantime::format_duration(args.older_than);
    if json {
        print_json(&serde_json::json!({
            "dry_run": args.dry_run, "status": args.status, "older_than": age.to_string(),
            "deleted": if args.dry_run { 0 } else { deleted },
            "would_delete": if args.dry_run { deleted } else { 0 },
            "kept_as_parents": kept, "batches": windows,
        }))?;
    } else if args.dry_run {
        crate::out!(
            "Would delete {deleted} {} tasks finished more than {age} ago; {kept} kept as \
             parents of unfinished tasks (dry run: nothing deleted)",
            args.status
        );
    } else {
        crate::out!(
            "Deleted {deleted} {} tasks finished more than {age} ago in {windows} batches; \
             {kept} kept as parents of unfinished tasks",
            args.status
        );
    }
    Ok(ExitCode::SUCCESS)
}
