//! `zora prune`: deletes finished tasks older than an age, window by window over the
//! table's primary key (each a short transaction), and prints how many; `--dry-run`
//! counts them instead.

use std::process::ExitCode;

use zora_core::retention::Prune;

use crate::cli::PruneArgs;
use crate::config::DatabaseTarget;
use crate::exit::CliError;
use crate::open::open_store;
use crate::output::print_json;

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
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_prefix(if args.dry_run { "counting" } else { "pruning" });
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{spinner} {prefix}: {msg} ({elapsed})")
    {
        bar.set_style(style);
    }
    let (mut deleted, mut kept, mut windows) = (0u64, 0u64, 0u64);
    let mut after = None;
    loop {
        let batch = store
            .prune_finished_tasks_all_tenants(&prune, after, args.dry_run)
            .await?;
        windows += 1;
        deleted += batch.deleted;
        kept += batch.kept_as_parents;
        bar.set_message(format!("{deleted} tasks, {windows} batches"));
        bar.tick();
        match batch.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
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
