//! `feedpub serve` as a child process, for tests of the real binary.

use std::io::BufRead as _;
use std::time::{Duration, Instant};

use super::Site;

/// `feedpub serve` as a child process; its address is read from its JSON log.
pub struct Child {
    pub process: std::process::Child,
    pub addr: String,
    /// Every line it wrote to stderr so far (its log).
    pub logs: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Child {
    /// Starts `serve` on 127.0.0.1:0 for `site`, with extra environment `env`.
    pub fn start(site: &Site, env: &[(&str, &str)]) -> Self {
        let process = std::process::Command::new(env!("CARGO_BIN_EXE_feedpub"))
            .args([
                "--config",
                site.config().to_str().unwrap(),
                "--log-format",
                "json",
                "serve",
                "--listen",
                "127.0.0.1:0",
            ])
            .env_remove("FEEDPUB_DATABASE_URL")
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Owned by a `Child` from here on, so a failed start still kills it.
        let mut child = Child { process, addr: String::new(), logs: Default::default() };
        let stderr = std::io::BufReader::new(child.process.stderr.take().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        let logs = child.logs.clone();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                logs.lock().unwrap().push(line.clone());
                let _ = tx.send(line);
            }
        });
        let started = Instant::now();
        loop {
            let line = rx.recv_timeout(Duration::from_secs(60)).expect("serve logs its address");
            let log: serde_json::Value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            if log["fields"]["message"] == "serving" {
                child.addr = log["fields"]["address"].as_str().unwrap().to_owned();
                // Keep draining stderr so the child never blocks on a full pipe.
                std::thread::spawn(move || while rx.recv().is_ok() {});
                return child;
            }
            assert!(started.elapsed() < Duration::from_secs(60));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Child {
    /// A failed test must not leave a server behind.
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}
