//! The `feedpub` binary: parse the command line, run it, map errors to an exit code.

use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::Parser as _;
use feedpub::cli::{Cli, Command, LogFormat, run};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The service reports what it does; one-shot commands speak only when something is wrong.
    let default_level = if matches!(cli.command, Command::Serve { .. }) { "info" } else { "warn" };
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    // The HTML parser's warnings are about an upstream's markup, not about feedpub, and one item
    // can hold thousands ("foster parenting not implemented" per misplaced element in a table):
    // off unless RUST_LOG names them.
    let named = std::env::var("RUST_LOG").unwrap_or_default();
    for quiet in ["html5ever", "markup5ever"] {
        if !named.contains(quiet) {
            filter = filter.add_directive(format!("{quiet}=off").parse().expect("a valid directive"));
        }
    }
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match cli.log_format {
        LogFormat::Human => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let partial = e.downcast_ref::<feedpub::cli::SourcesFailed>().is_some()
                || e.downcast_ref::<feedpub::cli::HubNotTold>().is_some();
            let code = if partial { 3 } else { 1 };
            // One line per cause; source errors already list one bad input per line.
            for line in format!("{e:#}").lines() {
                eprintln!("error: {line}");
            }
            ExitCode::from(code)
        }
    }
}
