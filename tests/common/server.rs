//! The real service, started in this process on 127.0.0.1:0, and plain HTTP clients for it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use feedpub::config::{Config, ServeConfig};
use feedpub::publish::serve::{self, App, ReadyCheck, Site};
use feedpub::render::Output;
use feedpub::shutdown::Shutdown;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// A running service.
pub struct Server {
    pub addr: SocketAddr,
    pub app: Arc<App>,
    pub shutdown: Shutdown,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Serves the fixture site's feeds the way `feedpub serve` would (sync, render, prepare),
    /// with `tweak` applied to its `[serve]` settings.
    pub async fn start(site: &super::Site, tweak: impl FnOnce(&mut ServeConfig)) -> Self {
        let mut config = Config::load(&site.config()).unwrap();
        tweak(&mut config.serve);
        let outputs = render(&config);
        Self::with_outputs(outputs, config, Box::new(|| Ok(()))).await
    }

    /// Serves exactly `outputs`.
    pub async fn with_outputs(outputs: Vec<Output>, config: Config, ready: ReadyCheck) -> Self {
        let site = Site::new(outputs, config.compress, None);
        let app = App::new(
            site,
            0.0,
            config.serve.min_refetch,
            config.serve.trusted_proxies.clone(),
            ready,
            Default::default(),
        );
        let listener = serve::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = Shutdown::new();
        let (app2, shutdown2) = (app.clone(), shutdown.clone());
        let task = tokio::spawn(async move { serve::run(listener, app2, &config.serve, shutdown2).await });
        Server { addr, app, shutdown, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops the service and waits for it.
    pub async fn stop(self) {
        self.shutdown.trigger();
        tokio::time::timeout(Duration::from_secs(20), self.task).await.unwrap().unwrap().unwrap();
    }
}

/// Source → Store → Render for `config`, with its SQLite store.
pub fn render(config: &Config) -> Vec<Output> {
    let mut store = feedpub::store::open(&config.database).unwrap();
    feedpub::pipeline::sync_and_render(config, store.as_mut()).unwrap().1
}

/// A client that does not decompress, ask for a coding or follow redirects, so tests see
/// exactly what was sent.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_gzip()
        .no_brotli()
        .no_deflate()
        .build()
        .unwrap()
}

/// Sends `request` verbatim and returns everything the server sends until it closes.
pub async fn raw(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out)).await.unwrap().unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// `GET path` with `Connection: close`, raw.
pub async fn raw_get(addr: SocketAddr, path: &str) -> String {
    raw(addr, &format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")).await
}

/// Waits (polling every 100 ms, at most 30 s) until `check` holds.
pub async fn wait_for(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let started = std::time::Instant::now();
    while !check().await {
        assert!(started.elapsed() < Duration::from_secs(30), "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
