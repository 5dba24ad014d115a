//! The command line: parses arguments, calls the library ([`crate::pipeline`] for `poll` and
//! `serve`) and prints. It builds the runtimes the library's async stages run on.

mod poll;
mod readers;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Config;
use crate::shutdown::Shutdown;

use crate::pipeline::{build, check};

/// feedpub: publish stored articles as RSS 2.0, Atom 1.0, JSON Feed 1.1 and HTML.
#[derive(Debug, Parser)]
#[command(name = "feedpub", version, about)]
pub struct Cli {
    /// Configuration file.
    #[arg(long, short, global = true, env = "FEEDPUB_CONFIG", default_value = "config/feedpub.toml")]
    pub config: PathBuf,
    /// Log format on stderr (the level comes from RUST_LOG).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    Human,
    /// One JSON object per line, for log collectors.
    Json,
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
    /// Sync the articles under feeds/ into the store and render nothing: the host that holds
    /// feeds/ for replicas sharing a PostgreSQL store, which re-render from it.
    Sync,
    /// Validate the config, feed definitions and articles; write nothing.
    Check,
    /// Serve the feeds and pages over HTTP, re-rendering when articles change.
    Serve {
        /// Address to listen on (default: `[serve] listen` from the config).
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Poll the upstream sources that are due (all with --force) once, for cron.
    Poll {
        /// Only this feed's sources.
        #[arg(long)]
        feed: Option<String>,
        /// Poll every source now, due or not.
        #[arg(long)]
        force: bool,
    },
    /// Show how feed readers poll a running `serve`: per User-Agent, requests, conditional
    /// share, 304 share and the median interval between polls.
    Readers {
        /// The service's reader report (default: http://<[serve] listen>/readers).
        #[arg(long)]
        url: Option<String>,
        /// Print the raw JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// `poll` finished, but this many sources failed (exit status 3; what was fetched is stored).
#[derive(Debug, thiserror::Error)]
#[error("{0} source(s) failed; see the lines above")]
pub struct SourcesFailed(pub usize);

/// `build` published, but the hub (`[websub] hub`) did not take this many pings after every
/// retry (exit status 3; readers subscribed there miss the change until the next one).
#[derive(Debug, thiserror::Error)]
#[error("the hub was not told of {0} changed feed document(s); see the lines above")]
pub struct HubNotTold(pub usize);

/// Runs a parsed command line, printing a summary on stdout.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(&cli.config)?;
    match cli.command {
        Command::Build { out } => {
            let out = out.unwrap_or_else(|| config.output_dir.clone());
            let crate::pipeline::BuildOutcome { sync, report, scope, hub } = build(&config, &out)?;
            print_sync(&sync);
            match scope {
                crate::pipeline::Scope::Nothing => println!("render: nothing changed since the last build"),
                crate::pipeline::Scope::Changed { feeds, pages } => {
                    println!("render: {feeds} feeds and {pages} pages changed since the last build, and the index")
                }
                crate::pipeline::Scope::Full => println!("render: the whole site"),
            }
            println!(
                "{}: {} files, {} written ({} bytes), {} removed",
                out.display(),
                report.files,
                report.written,
                report.bytes_written,
                report.removed
            );
            if let Some(hub) = hub {
                println!("hub: told of {} changed feed documents", hub.sent);
                for (topic, error) in &hub.failed {
                    println!("hub: not told of {topic}: {error}");
                }
                if !hub.failed.is_empty() {
                    return Err(HubNotTold(hub.failed.len()).into());
                }
            }
        }
        Command::Sync => {
            let sync = crate::pipeline::sync_store(&config)?;
            print_sync(&sync);
        }
        Command::Check => {
            let (feeds, outputs) = check(&config)?;
            let articles: usize = feeds.iter().map(|f| f.articles.len()).sum();
            println!("ok: {} feeds, {articles} articles, {} files would be published", feeds.len(), outputs.len());
        }
        Command::Serve { listen } => serve(config, listen)?,
        Command::Poll { feed, force } => poll::run(&config, feed.as_deref(), force)?,
        Command::Readers { url, json } => {
            let url = url.unwrap_or_else(|| format!("http://{}/readers", config.serve.listen));
            readers::print(&url, json)?;
        }
    }
    Ok(())
}

/// The store lines of `build` and `sync`.
fn print_sync(sync: &crate::store::SyncReport) {
    println!(
        "store: {} added, {} changed, {} removed, {} unchanged",
        sync.added, sync.changed, sync.removed, sync.unchanged
    );
    if sync.unlisted > 0 {
        println!("store: {} items removed with the [[source]]s feed.toml no longer lists", sync.unlisted);
    }
}

/// Runs the service on one runtime until SIGINT or SIGTERM.
fn serve(config: Config, listen: Option<SocketAddr>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let shutdown = Shutdown::new();
        shutdown.trigger_on_signals()?;
        crate::pipeline::serve::run(config, listen, shutdown).await?;
        Ok(())
    })
}
