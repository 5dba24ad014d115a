//! `feedpub poll`: one round with a runtime of its own, a progress bar on a terminal, and a
//! line per source.

use std::sync::OnceLock;

use anyhow::Context as _;

use super::SourcesFailed;
use crate::config::Config;
use crate::model::Slug;
use crate::pipeline::poll::{Due, PollError, PollRequest, Poller, Progress, Silent};

/// Polls the sources that are due (every one with `force`) of every feed or of `feed`, prints
/// what happened to each, and fails with [`SourcesFailed`] if any did.
pub(super) fn run(config: &Config, feed: Option<&str>, force: bool) -> anyhow::Result<()> {
    let only = feed.map(|f| Slug::new(f).with_context(|| format!("--feed {f}"))).transpose()?;
    let request = PollRequest { only, due: if force { Due::All } else { Due::OnlyDue } };
    let bar = Bar::default();
    let progress: &dyn Progress = if std::io::IsTerminal::is_terminal(&std::io::stderr()) { &bar } else { &Silent };
    let runtime = tokio::runtime::Builder::new_multi_thread().thread_name("feedpub-fetch").enable_all().build()?;
    let outcomes = runtime.block_on(Poller::default().round(config, &request, progress)).map_err(|e| match e {
        PollError::NoSuchFeed { slug, dir } => anyhow::anyhow!("--feed {slug}: no such feed in {}", dir.display()),
        e => e.into(),
    })?;
    for o in &outcomes {
        let next = o.next_poll.map_or_else(|| "never".to_owned(), |t| t.to_rfc3339());
        let removed = match o.report.removed {
            0 => String::new(),
            n => format!(", {n} removed (past keep)"),
        };
        // Nothing is dropped quietly: what was not kept, and what it took to read the document
        // (a repair, another encoding, an old format), follow the counts.
        let not_kept = match o.not_kept.total() {
            0 => String::new(),
            _ => format!(", {}", o.not_kept),
        };
        let reading = o.reading.as_ref().map(ToString::to_string).filter(|r| !r.is_empty());
        let reading = reading.map_or_else(String::new, |r| format!("; {r}"));
        let backfill = o.backfill.as_ref().map_or_else(String::new, |b| format!("; {b}"));
        println!(
            "{} {}: {}; {} new, {} updated{removed}{not_kept}{reading}{backfill}; next poll {next}",
            o.feed, o.url, o.status, o.report.added, o.report.updated
        );
    }
    let failed = outcomes.iter().filter(|o| o.failed()).count();
    if failed > 0 {
        return Err(SourcesFailed(failed).into());
    }
    Ok(())
}

/// A progress bar on stderr, drawn from the moment the fetches start.
#[derive(Default)]
struct Bar(OnceLock<indicatif::ProgressBar>);

impl Progress for Bar {
    fn start(&self, total: usize) {
        let style =
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} sources  {msg}").expect("a valid template");
        let _ = self.0.set(indicatif::ProgressBar::new(total as u64).with_style(style));
    }

    fn advance(&self, source: &url::Url) {
        if let Some(bar) = self.0.get() {
            bar.set_message(source.to_string());
            bar.inc(1);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.0.get() {
            bar.finish_and_clear();
        }
    }
}
