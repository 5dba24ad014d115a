//! A real PostgreSQL server on 127.0.0.1 for tests: throw-away clusters started from the
//! installed server binaries, or the server named by `FEEDPUB_TEST_DATABASE_URL`.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

/// A PostgreSQL server the tests may create databases on.
pub struct Cluster {
    port: u16,
    /// Where to connect to create databases; `url` swaps its database name.
    admin: url::Url,
    /// `None` for a server given by `FEEDPUB_TEST_DATABASE_URL`: not ours to stop.
    local: Option<Local>,
}

struct Local {
    bin: PathBuf,
    /// Holds `data/`, the server's log and its socket; owned by `postgres` when we are root.
    dir: PathBuf,
    as_postgres: bool,
    watchdog: std::process::Child,
}

/// The one cluster of this test process, started on first use.
pub fn shared() -> &'static Cluster {
    static SHARED: OnceLock<Cluster> = OnceLock::new();
    SHARED.get_or_init(|| match std::env::var("FEEDPUB_TEST_DATABASE_URL") {
        Ok(url) => Cluster::external(&url),
        Err(_) => Cluster::launch(),
    })
}

/// A cluster of the caller's own, for tests that stop and restart it. Always started here,
/// even when `FEEDPUB_TEST_DATABASE_URL` is set: a server we did not start is not ours to stop.
pub fn private() -> Cluster {
    Cluster::launch()
}

impl Cluster {
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `db` on this server.
    pub fn url(&self, db: &str) -> String {
        let mut url = self.admin.clone();
        url.set_path(db);
        url.into()
    }

    /// Creates an empty database no other test uses and returns its URL.
    pub fn scratch_db(&self) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        // The time and pid keep names apart across processes and runs on a shared server.
        let secs = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
        let name = format!("feedpub_{secs}_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let mut client = connect(self.admin.as_str()).unwrap_or_else(|e| panic!("{}: {e}", self.admin));
        client.batch_execute(&format!("CREATE DATABASE \"{name}\"")).unwrap();
        self.url(&name)
    }

    /// Stops the server at once, as a crash would (committed work survives: it is in the WAL).
    pub fn stop(&mut self) {
        let local = self.local.as_ref().expect("only a cluster started here can be stopped");
        local.pg_ctl(&["-m", "immediate", "stop"]).unwrap_or_else(|log| panic!("pg_ctl stop: {log}"));
    }

    /// Starts it again, on the same port and data.
    pub fn start(&mut self) {
        let local = self.local.as_ref().expect("only a cluster started here can be started");
        local.start(self.port).unwrap_or_else(|log| panic!("pg_ctl start: {log}"));
    }

    fn external(url: &str) -> Self {
        let config: postgres::Config = url.parse().unwrap_or_else(|e| panic!("FEEDPUB_TEST_DATABASE_URL={url}: {e}"));
        // Tests may write anything to it: refuse any server but this machine's.
        let loopback = !config.get_hosts().is_empty()
            && config.get_hosts().iter().all(|h| matches!(h, postgres::config::Host::Tcp(h) if h == "127.0.0.1"))
            && config.get_hostaddrs().iter().all(|a| *a == IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert!(loopback, "FEEDPUB_TEST_DATABASE_URL={url}: only a server on 127.0.0.1 may be used");
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let admin = url.parse().unwrap_or_else(|e| panic!("FEEDPUB_TEST_DATABASE_URL={url}: not a URL ({e})"));
        Cluster { port, admin, local: None }
    }

    fn launch() -> Self {
        let bin = server_bin().unwrap_or_else(|| {
            panic!(
                "no PostgreSQL server found for the tests (initdb and pg_ctl, looked in $FEEDPUB_PG_BIN, \
                 /usr/lib/postgresql/*/bin and PATH): install it (apt-get install postgresql), set \
                 FEEDPUB_PG_BIN to the folder holding initdb, or set FEEDPUB_TEST_DATABASE_URL to a \
                 server on 127.0.0.1 (e.g. postgres://postgres@127.0.0.1:5432/postgres; tests that \
                 stop the server still need the binaries)"
            )
        });
        let as_postgres = is_root();
        // /tmp rather than $TMPDIR: the user `postgres` must be able to reach it, and the
        // socket's path must stay under the 107 bytes a Unix socket address allows.
        let dir = tempfile::Builder::new().prefix("feedpub-pg-").tempdir_in("/tmp").unwrap().keep();
        if as_postgres {
            run(Command::new("chown").arg("postgres:").arg(&dir)).unwrap();
        }
        let watchdog = watchdog(&bin, as_postgres, &dir);
        let local = Local { bin, dir, as_postgres, watchdog };
        // -N: a throw-away cluster need not be synced; UTF8 whatever this machine's locale.
        local
            .tool("initdb", &["-D", &local.data(), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "-N"])
            .unwrap_or_else(|log| panic!("initdb: {log}"));
        // The port is free when picked but may be taken before the server binds it.
        let mut failure = String::new();
        for _ in 0..3 {
            let port = free_port();
            match local.start(port) {
                Ok(()) => {
                    let admin = format!("postgres://postgres@127.0.0.1:{port}/postgres").parse().unwrap();
                    return Cluster { port, admin, local: Some(local) };
                }
                Err(log) => failure = log,
            }
        }
        panic!("pg_ctl start: {failure}");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(local) = &mut self.local {
            // Ours to clean now; the watchdog must not later remove a folder reusing the name.
            let _ = local.watchdog.kill();
            let _ = local.watchdog.wait();
            let _ = local.pg_ctl(&["-m", "immediate", "stop"]);
            let _ = std::fs::remove_dir_all(&local.dir);
        }
    }
}

impl Local {
    fn start(&self, port: u16) -> Result<(), String> {
        let dir = self.dir.display();
        let log = self.dir.join("log");
        // fsync and full-page writes only matter if the machine itself crashes. Commits stay
        // synchronous: with them asynchronous, an immediate stop loses the last ones.
        let options = format!(
            "-p {port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off \
             -c max_connections=200"
        );
        self.pg_ctl(&["-o", &options, "-l", log.to_str().unwrap(), "-w", "start"])
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<(), String> {
        self.tool("pg_ctl", &[&["-D", &self.data()], args].concat())
    }

    fn data(&self) -> String {
        self.dir.join("data").to_str().unwrap().to_owned()
    }

    /// Runs one of the server's tools in the cluster's folder, as `postgres` if we are root
    /// (the server refuses to run as root).
    fn tool(&self, name: &str, args: &[&str]) -> Result<(), String> {
        let mut command = self.command(name);
        command.args(args).current_dir(&self.dir);
        // The server's log says why it did not start; pg_ctl only says that it did not.
        run(&mut command)
            .map_err(|e| format!("{e}\n{}", std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()))
    }

    fn command(&self, name: &str) -> Command {
        let tool = self.bin.join(name);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(tool);
            command
        } else {
            Command::new(tool)
        }
    }
}

/// A process that outlives this one and, once it has gone (even killed), stops the server and
/// removes its folder: statics are never dropped, so the shared cluster would be left running.
fn watchdog(bin: &Path, as_postgres: bool, dir: &Path) -> std::process::Child {
    let (bin, dir) = (bin.display(), dir.display());
    let runuser = if as_postgres { "runuser -u postgres -- " } else { "" };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
         cd '{dir}' && {runuser}'{bin}/pg_ctl' -D '{dir}/data' -m immediate stop; rm -rf '{dir}'",
        pid = std::process::id(),
    );
    let mut command = Command::new("sh");
    command.args(["-c", &script]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    // Its own process group: a Ctrl-C meant for the tests must not kill it before it cleans up.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    command.spawn().unwrap()
}

fn connect(url: &str) -> Result<postgres::Client, postgres::Error> {
    let mut config: postgres::Config = url.parse()?;
    config.connect_timeout(Duration::from_secs(10));
    config.connect(postgres::NoTls)
}

/// `$FEEDPUB_PG_BIN`, else the newest of Debian's `/usr/lib/postgresql/<version>/bin`, else PATH.
fn server_bin() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("FEEDPUB_PG_BIN") {
        let bin = PathBuf::from(bin);
        assert!(bin.join("initdb").is_file(), "FEEDPUB_PG_BIN={}: no initdb in it", bin.display());
        return Some(bin);
    }
    let version = |p: &Path| -> Vec<u32> {
        let name = p.file_name().unwrap_or_default().to_string_lossy().into_owned();
        name.split('.').map_while(|n| n.parse().ok()).collect()
    };
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.join("bin/initdb").is_file())
        .max_by_key(|p| version(p))
        .map(|p| p.join("bin"));
    debian.or_else(|| std::env::split_paths(&std::env::var_os("PATH")?).find(|d| d.join("initdb").is_file()))
}

fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// Binds port 0 to have the kernel pick a free port, then frees it for the server.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn run(command: &mut Command) -> Result<(), String> {
    let out = command.stdin(Stdio::null()).output().map_err(|e| format!("{command:?}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{command:?}: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}
