//! `serve`: answer feed readers over HTTP from the rendered bytes, held in memory.
//!
//! [`run`] takes a bound listener, the shared [`App`] and a [`Shutdown`], so tests start it on
//! `127.0.0.1:0`. The accept loop bounds concurrent connections, hyper closes connections that
//! are slow to send their headers, every request has a deadline, and on shutdown the listener
//! closes at once while requests in flight get a grace period to finish.

mod app;
pub mod callback;
mod hub;
mod metrics;
mod negotiate;
mod pages;
pub mod readers;
mod respond;
mod site;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

use crate::config::ServeConfig;
use crate::shutdown::Shutdown;

pub use app::{App, ReadyCheck, WebSub, router};
pub use pages::{PageSource, Pages, Unavailable};
pub use readers::AgentReport;
pub use site::{Coding, Resource, Site, Variant};

/// Largest request head accepted, in bytes (hyper's buffer; it cannot be under 8 KiB).
pub const MAX_HEAD_BYTES: usize = 16 << 10;

/// Kernel queue of connections not yet accepted (Linux caps it at `net.core.somaxconn`,
/// 4096 by default). tokio's default of 1024 overflowed in a burst of 10,000 connections:
/// the kernel then drops handshakes and clients retry after 1, 3, 7 … seconds.
pub const LISTEN_BACKLOG: u32 = 4096;

/// A listener on `addr` with [`LISTEN_BACKLOG`], for [`run`].
pub fn bind(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    // A restarted service must not wait for the old one's connections to time out.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Serves `app` on `listener` until `shutdown` is triggered, then lets requests in flight
/// finish (up to `options.shutdown_grace`) and returns.
pub async fn run(
    listener: TcpListener,
    app: Arc<App>,
    options: &ServeConfig,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    let limit = Arc::new(Semaphore::new(options.max_connections));
    let router = router(app.clone(), options.request_timeout);
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    // A feed reader's request head is a few hundred bytes. nginx refuses lines past 8 KB; we
    // refuse heads past 16 KiB or 64 fields with 431, instead of hyper's ~400 KB and 100.
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .max_buf_size(MAX_HEAD_BYTES)
        .max_headers(64);
    tracing::info!(address = %listener.local_addr()?, "serving");
    loop {
        // Wait for a free slot before accepting: excess connections queue in the kernel.
        let permit = tokio::select! {
            permit = limit.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = shutdown.wait() => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = shutdown.wait() => break,
        };
        let (app, router) = (app.clone(), router.clone());
        let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            // Files held in memory skip the router: the answer is ready before any await.
            let fast = (!app::is_ops_path(request.uri().path()))
                .then(|| app::published(&app, peer.ip(), &request, app::Held::Only))
                .flatten();
            let router = router.clone();
            async move {
                if let Some(response) = fast {
                    return Ok::<_, Infallible>(response);
                }
                request.extensions_mut().insert(ConnectInfo(peer));
                Ok(router.oneshot(request).await.unwrap_or_else(|never| match never {}))
            }
        });
        // A client that stops reading its response for `request_timeout` is dropped, so it
        // cannot hold a connection slot forever.
        let mut stream = tokio_io_timeout::TimeoutStream::new(stream);
        // (Reads need no timer of their own: hyper's header timeout covers a silent client.)
        stream.set_write_timeout(Some(options.request_timeout));
        let stream = Box::pin(stream);
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!("stopped accepting; finishing requests in flight");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(options.shutdown_grace) => tracing::warn!("grace period over; closing the rest"),
    }
    Ok(())
}
