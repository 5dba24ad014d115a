//! One shutdown signal that every long-running task selects on.
//!
//! Cloning is cheap; triggering any clone stops them all. `serve` triggers it from SIGINT and
//! SIGTERM; tests trigger it directly.

use tokio_util::sync::CancellationToken;

/// A shared "stop now" signal.
#[derive(Debug, Clone, Default)]
pub struct Shutdown(CancellationToken);

impl Shutdown {
    /// A signal nobody has triggered yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every task watching this signal to stop.
    pub fn trigger(&self) {
        self.0.cancel();
    }

    /// Whether the signal was triggered.
    pub fn is_triggered(&self) -> bool {
        self.0.is_cancelled()
    }

    /// Completes once the signal is triggered (immediately if it already was).
    pub async fn wait(&self) {
        self.0.cancelled().await;
    }

    /// Triggers this signal on SIGINT or SIGTERM (Ctrl-C elsewhere). Needs a Tokio runtime.
    pub fn trigger_on_signals(&self) -> std::io::Result<()> {
        #[cfg(unix)]
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let this = self.clone();
        tokio::spawn(async move {
            #[cfg(unix)]
            let terminated = term.recv();
            #[cfg(not(unix))]
            let terminated = std::future::pending::<Option<()>>();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: shutting down"),
                _ = terminated => tracing::info!("SIGTERM: shutting down"),
                () = this.wait() => return,
            }
            this.trigger();
        });
        Ok(())
    }
}
