//! The harness: a real Concierge server on a random loopback port with its own fresh
//! database, and real "customer API" servers on loopback.

mod calls;
pub mod customer;
pub mod cut;
pub mod embeddings;
pub mod model;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use concierge::cli::{ServeArgs, StorageArgs};
use concierge::config::Config;
use concierge_authcall::Lookup;
use concierge_core::Services;
use concierge_store::testing::TempPostgres;
use tokio::sync::oneshot;

pub use customer::{Customer, Received};

pub const ADMIN_TOKEN: &str = "admin-token-for-tests-0123456789";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs one async test body on each backend: `both_backends!(name, body_fn)` defines
/// `name::sqlite` and `name::postgres`; `both_backends!(name, body_fn, args_fn)` starts
/// their servers with `args_fn()` instead of [`test_args`].
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:path) => {
        $crate::both_backends!($name, $body, $crate::utils::test_args);
    };
    ($name:ident, $body:path, $args:path) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                if let Some(app) = $crate::utils::TestApp::spawn_with($crate::utils::Backend::Sqlite, $args()).await {
                    $body(app).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if let Some(app) = $crate::utils::TestApp::spawn_with($crate::utils::Backend::Postgres, $args()).await {
                    $body(app).await;
                }
            }
        }
    };
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub services: Services,
    pub backend: Backend,
    pub data_dir: PathBuf,
    storage: StorageArgs,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    postgres: Option<TempPostgres>,
    owns_storage: bool,
}

/// Polls `check` until it gives a value. The bound (30 s) is generous: a slow machine never
/// fails a test, only a condition that never comes does.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}: not within {DEADLINE:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How long a test waits for something that must happen.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// A customer's public host name, as the test servers' table resolves it: to loopback.
pub const CUSTOMER_HOST: &str = "auth.customer.test";

/// `localhost` and [`CUSTOMER_HOST`], both loopback; any other name does not resolve.
fn test_lookup() -> Lookup {
    let v4 = [std::net::IpAddr::from([127, 0, 0, 1])];
    let both = [v4[0], std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST)];
    Lookup::fixed([("localhost", &both[..]), (CUSTOMER_HOST, &v4[..])])
}

pub fn test_args() -> ServeArgs {
    ServeArgs {
        listen: Some("127.0.0.1:0".parse().expect("addr")),
        allow_private_upstreams: Some(true),
        admin_token: Some(ADMIN_TOKEN.into()),
        session_rate_per_ip: Some(1_000_000),
        session_rate_per_bot: Some(1_000_000),
        max_concurrent_calls_per_bot: Some(256),
        log_level: Some("warn".into()),
        ..Default::default()
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, test_args()).await
    }

    /// `None` only when `CONCIERGE_TEST_SKIP_POSTGRES=1` skips the PostgreSQL tests (the
    /// harness says so); otherwise a missing PostgreSQL fails the test.
    pub async fn spawn_with(backend: Backend, args: ServeArgs) -> Option<TestApp> {
        Self::spawn_tuned(backend, args, |_| {}).await
    }

    /// [`TestApp::spawn_with`] with `tune` applied to its configuration (see
    /// [`TestApp::sibling_tuned`]).
    pub async fn spawn_tuned(backend: Backend, args: ServeArgs, tune: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let data_dir = std::env::temp_dir().join(format!("concierge-it-{}", uuid::Uuid::now_v7().simple()));
        let postgres = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(TempPostgres::create().await?),
        };
        let storage = StorageArgs {
            data_dir: Some(data_dir.clone()),
            database_url: postgres.as_ref().map(|p| p.url.clone()),
            ..Default::default()
        };
        let mut app = Self::start(backend, storage, args, tune).await;
        app.postgres = postgres;
        Some(app)
    }

    /// A server on a fresh PostgreSQL database that it reaches only through a [`cut::Cuttable`]
    /// proxy, so that a test can take the database away from it and give it back.
    pub async fn spawn_behind_proxy(args: ServeArgs) -> Option<(TestApp, cut::Cuttable)> {
        let postgres = TempPostgres::create().await?;
        let mut url = reqwest::Url::parse(&postgres.url).expect("a database URL");
        let upstream = format!("{}:{}", url.host_str().expect("a host"), url.port().unwrap_or(5432));
        let proxy = cut::Cuttable::start(&upstream).await;
        url.set_host(Some("127.0.0.1")).expect("a host");
        url.set_port(Some(proxy.addr.port())).expect("a port");
        let storage = StorageArgs {
            data_dir: Some(std::env::temp_dir().join(format!("concierge-it-{}", uuid::Uuid::now_v7().simple()))),
            database_url: Some(url.to_string()),
            ..Default::default()
        };
        let mut app = Self::start(Backend::Postgres, storage, args, |_| {}).await;
        app.postgres = Some(postgres);
        Some((app, proxy))
    }

    /// `n` instances started at the same instant on one fresh PostgreSQL database (and one
    /// data dir, for the shared secret key), as a deployment starting together. The first
    /// cleans up.
    pub async fn cluster(n: usize, args: impl Fn() -> ServeArgs) -> Option<Vec<TestApp>> {
        let data_dir = std::env::temp_dir().join(format!("concierge-it-{}", uuid::Uuid::now_v7().simple()));
        let postgres = TempPostgres::create().await?;
        let storage = || StorageArgs {
            data_dir: Some(data_dir.clone()),
            database_url: Some(postgres.url.clone()),
            ..Default::default()
        };
        let starting = (0..n).map(|_| Self::start(Backend::Postgres, storage(), args(), |_| {}));
        let mut apps = futures::future::join_all(starting).await;
        for app in apps.iter_mut().skip(1) {
            app.owns_storage = false;
        }
        apps[0].postgres = Some(postgres);
        Some(apps)
    }

    /// The rows of `sql` run with psql on this server's PostgreSQL database, one line each
    /// (fields separated by `|`).
    pub async fn psql(&self, sql: &str) -> Vec<String> {
        let url = self.storage.database_url.clone().expect("a PostgreSQL instance");
        let out =
            tokio::process::Command::new("psql").args(["-tA", "-c", sql, &url]).output().await.expect("psql runs");
        assert!(out.status.success(), "psql: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect()
    }

    /// A second server on this one's database and secret key, e.g. another instance, or
    /// the same one restarted with other settings. It cleans up nothing.
    pub async fn sibling(&self, args: ServeArgs) -> TestApp {
        self.sibling_tuned(args, |_| {}).await
    }

    /// What starting another instance on this one's database and data dir, with `env` as
    /// its environment (e.g. another `CONCIERGE_SECRET_KEY`), does.
    pub async fn start_another(&self, env: &[(&str, &str)]) -> anyhow::Result<concierge_core::Services> {
        let storage = StorageArgs {
            data_dir: self.storage.data_dir.clone(),
            database_url: self.storage.database_url.clone(),
            ..Default::default()
        };
        let config = concierge::config::load_with_env(None, env, &storage, &test_args())?;
        concierge::app::services_with(config, test_lookup()).await
    }

    /// [`TestApp::sibling`] with `tune` applied to its configuration: for what is fixed for
    /// an operator but not for a test, such as the widget socket's timings.
    pub async fn sibling_tuned(&self, args: ServeArgs, tune: impl FnOnce(&mut Config)) -> TestApp {
        let storage = StorageArgs {
            data_dir: self.storage.data_dir.clone(),
            database_url: self.storage.database_url.clone(),
            ..Default::default()
        };
        let mut app = Self::start(self.backend, storage, args, tune).await;
        app.owns_storage = false;
        app
    }

    async fn start(backend: Backend, storage: StorageArgs, args: ServeArgs, tune: impl FnOnce(&mut Config)) -> TestApp {
        let data_dir = storage.data_dir.clone().expect("data dir");
        // The process's CONCIERGE_* variables are the developer's, not the test's.
        let mut config = concierge::config::load_with_env(None, &[], &storage, &args).expect("test config is valid");
        tune(&mut config);
        // Outbound names resolve from an in-process table: tests send no DNS query.
        let services = concierge::app::services_with(config, test_lookup()).await.expect("services start");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let server_services = services.clone();
        let server = tokio::spawn(async move {
            concierge::app::serve(server_services, listener, async {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
        });
        TestApp {
            addr,
            // A request that never ends fails its test instead of hanging it.
            http: reqwest::Client::builder().no_proxy().timeout(DEADLINE).build().expect("client"),
            services,
            backend,
            data_dir,
            storage,
            shutdown: Some(tx),
            server: Some(server),
            postgres: None,
            owns_storage: true,
        }
    }
}

impl TestApp {
    /// Runs `sql` on this server's database behind its back (e.g. a table renamed away),
    /// so that the server's next statement on it fails.
    pub async fn sabotage(&self, sql: &str) {
        let database = match &self.storage.database_url {
            Some(url) => url.clone(),
            None => self.data_dir.join("concierge.db").display().to_string(),
        };
        concierge_store::testing::execute_behind(&database, sql).await;
    }

    /// Fails if `needle` is anywhere in what the database holds: every SQLite file, or a
    /// full dump of the PostgreSQL database.
    pub async fn assert_not_stored(&self, needle: &str) {
        let haystack: Vec<u8> = match self.backend {
            Backend::Sqlite => {
                let mut all = Vec::new();
                for entry in std::fs::read_dir(&self.data_dir).expect("data dir") {
                    all.extend(std::fs::read(entry.expect("entry").path()).unwrap_or_default());
                }
                all
            }
            Backend::Postgres => {
                let url = self.storage.database_url.clone().expect("postgres url");
                let out = tokio::process::Command::new("pg_dump")
                    .arg("--data-only")
                    .arg(&url)
                    .output()
                    .await
                    .expect("pg_dump runs");
                assert!(out.status.success(), "pg_dump: {}", String::from_utf8_lossy(&out.stderr));
                out.stdout
            }
        };
        assert!(!haystack.is_empty(), "the database is empty: nothing was checked");
        let found = haystack.windows(needle.len()).any(|w| w == needle.as_bytes());
        assert!(!found, "{needle:?} is stored in plain text in the {:?} database", self.backend);
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
        if self.owns_storage {
            std::fs::remove_dir_all(&self.data_dir).ok();
        }
        drop(self.postgres.take());
    }
}
