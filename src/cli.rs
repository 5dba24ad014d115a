//! The command line: the one place that knows the order Source → Store → Render → Publish.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::{SubsecRound as _, Utc};
use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::model::Item;
use crate::publish::{self, BuildReport};
use crate::render::{self, FeedView, Output, SiteMeta};
use crate::source::{self, LocalFeed};
use crate::store::{self, SyncReport};

/// feedpub: publish stored articles as RSS 2.0, Atom 1.0, JSON Feed 1.1 and HTML.
#[derive(Debug, Parser)]
#[command(name = "feedpub", version, about)]
pub struct Cli {
    /// Configuration file.
    #[arg(long, short, global = true, env = "FEEDPUB_CONFIG", default_value = "config/feedpub.toml")]
    pub config: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sync articles into the store and write every feed and page to the output folder.
    Build {
        /// Output folder (default: `output_dir` from the config).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Validate the config, feed definitions and articles; write nothing.
    Check,
}

/// Runs a parsed command line, printing a summary on stdout.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(&cli.config)?;
    match cli.command {
        Command::Build { out } => {
            let out = out.unwrap_or_else(|| config.output_dir.clone());
            let (sync, report) = build(&config, &out)?;
            println!(
                "store: {} added, {} changed, {} removed, {} unchanged",
                sync.added, sync.changed, sync.removed, sync.unchanged
            );
            println!(
                "{}: {} files, {} written ({} bytes), {} removed",
                out.display(),
                report.files,
                report.written,
                report.bytes_written,
                report.removed
            );
        }
        Command::Check => {
            let (feeds, outputs) = check(&config)?;
            let articles: usize = feeds.iter().map(|f| f.articles.len()).sum();
            println!("ok: {} feeds, {articles} articles, {} files would be published", feeds.len(), outputs.len());
        }
    }
    Ok(())
}

/// Source → Store → Render → Publish, for `build`. Nothing is written before every input has
/// been read and every file rendered, so bad input leaves the previous output as it was.
pub fn build(config: &Config, out: &Path) -> anyhow::Result<(SyncReport, BuildReport)> {
    let feeds = source::load(&config.feeds_dir)?;
    let mut store = store::open(&config.database)?;
    let synced: Vec<_> = feeds.iter().map(|f| (&f.meta.slug, f.articles.as_slice())).collect();
    let sync = store.sync_local(&synced, Utc::now().trunc_subsecs(0))?;
    let mut items = Vec::with_capacity(feeds.len());
    for f in &feeds {
        // Every stored article keeps its page; the feeds carry the newest `limit` of them.
        items.push(store.items(&f.meta.slug, None)?);
    }
    let outputs = render_all(config, &feeds, &items)?;
    let report =
        publish::write_site(out, &outputs, config.compress).with_context(|| format!("writing {}", out.display()))?;
    Ok((sync, report))
}

/// Reads and renders everything in memory, as `build` would, without a store or any writes.
pub fn check(config: &Config) -> anyhow::Result<(Vec<LocalFeed>, Vec<Output>)> {
    let feeds = source::load(&config.feeds_dir)?;
    let items: Vec<Vec<Item>> = feeds
        .iter()
        .map(|f| {
            let mut items: Vec<Item> = f
                .articles
                .iter()
                .map(|a| Item {
                    id: a.id.clone(),
                    content: a.content.clone(),
                    published: a.published,
                    updated: a.updated.unwrap_or(a.published),
                })
                .collect();
            items.sort_by(Item::newest_first);
            items
        })
        .collect();
    let outputs = render_all(config, &feeds, &items)?;
    Ok((feeds, outputs))
}

fn render_all(config: &Config, feeds: &[LocalFeed], items: &[Vec<Item>]) -> anyhow::Result<Vec<Output>> {
    let site = SiteMeta {
        base_url: config.base_url.clone(),
        title: config.title.clone(),
        language: config.language.clone(),
        ttl: config.ttl,
    };
    let views: Vec<FeedView> = feeds.iter().zip(items).map(|(f, items)| FeedView { meta: &f.meta, items }).collect();
    Ok(render::render_site(&site, &views)?)
}
