//! The binary as an operator runs it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::utils::Customer;

const BIN: &str = env!("CARGO_BIN_EXE_concierge");

fn tmp_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("concierge-cli-{}", uuid::Uuid::now_v7().simple()))
}

fn concierge(data_dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("CONCIERGE_ADMIN_TOKEN")
        .output()
        .expect("runs")
}

/// Starts `concierge serve` and returns it with the base URL it printed.
fn serve(data_dir: &Path, log: &Path, extra_env: &[(&str, &str)]) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .envs(extra_env.iter().copied())
        .env("CONCIERGE_LOG_FORMAT", "json")
        .env("CONCIERGE_LOG_LEVEL", "debug")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).expect("log file"))
        .spawn()
        .expect("starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let url = loop {
        let line = lines.next().expect("the server prints its URL").expect("line");
        if let Some(rest) = line.strip_prefix("Concierge is running at ") {
            break rest.trim_end_matches('/').to_owned();
        }
    };
    let log = log.to_owned();
    std::thread::spawn(move || {
        let mut out = std::fs::OpenOptions::new().append(true).open(log).expect("log");
        for line in lines.map_while(Result::ok) {
            use std::io::Write;
            let _ = writeln!(out, "{line}");
        }
    });
    (child, url)
}

/// POSTs or PUTs JSON, with a bearer token when given, and returns the JSON answer.
async fn send(method: reqwest::Method, url: String, token: Option<&str>, body: serde_json::Value) -> serde_json::Value {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut req = http.request(method, url).json(&body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.unwrap().json().await.unwrap()
}

fn terminate(mut child: Child) -> std::process::ExitStatus {
    Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().expect("kill");
    for _ in 0..100 {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().ok();
    panic!("the server did not stop within 10 s of SIGTERM");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_sets_up_users_and_tokens_and_no_secret_reaches_disk_or_logs() {
    let dir = tmp_dir();
    let data = dir.join("data");
    let log = dir.join("server.log");
    std::fs::create_dir_all(&dir).unwrap();

    let made =
        concierge(&data, &["user", "create", "--email", "Ops@Example.com", "--password", "correct horse battery"]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let said = String::from_utf8_lossy(&made.stdout);
    assert!(said.contains("the setup link that `serve` printed no longer works"), "{said}");
    assert!(said.contains(&data.display().to_string()), "it names the data directory it wrote to: {said}");
    let again =
        concierge(&data, &["user", "create", "--email", "ops@example.com", "--password", "correct horse battery"]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already taken"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let short = concierge(&data, &["user", "create", "--email", "b@example.com", "--password", "short"]);
    assert!(String::from_utf8_lossy(&short.stderr).contains("password"));
    let elsewhere = concierge(
        &data,
        &["user", "create", "--email", "c@example.com", "--password", "long enough pw", "--workspace", "Nope"],
    );
    let second =
        concierge(&data, &["user", "create", "--email", "second@example.com", "--password", "correct horse battery"]);
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    assert!(!String::from_utf8_lossy(&second.stdout).contains("setup link"), "only the first account says so");
    assert!(String::from_utf8_lossy(&elsewhere.stderr).contains("no such workspace"));
    let token = concierge(&data, &["token", "create", "--email", "ops@example.com"]);
    assert!(token.status.success(), "{}", String::from_utf8_lossy(&token.stderr));
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("cat_"));

    let customer = Customer::with_users().await;
    let (child, url) = serve(&data, &log, &[("CONCIERGE_ALLOW_PRIVATE_UPSTREAMS", "true")]);
    let bot = send(Method::POST, format!("{url}/api/admin/v1/bots"), Some(&token), json!({"name": "Shop"})).await;
    let bot = bot["id"].as_str().expect("the user's token creates a bot").to_owned();
    let settings = send(
        Method::PUT,
        format!("{url}/api/admin/v1/bots/{bot}/custom-auth"),
        Some(&token),
        json!({"enabled": true, "url": customer.url, "headers": {"X-Api-Key": "hdr-secret-value"}}),
    )
    .await;
    let signing_secret = settings["signing_secret"].as_str().unwrap().to_owned();
    let mut session_tokens = Vec::new();
    for access_token in ["tok-alice", "tok-bob", "wrong-token-zzz"] {
        let body = json!({"bot_id": bot, "access_token": access_token});
        let s = send(Method::POST, format!("{url}/api/widget/v1/sessions"), None, body).await;
        session_tokens.push(s["session_token"].as_str().unwrap().to_owned());
    }
    let test_url = format!("{url}/api/admin/v1/bots/{bot}/custom-auth/test");
    let test = send(Method::POST, test_url, Some(&token), json!({"access_token": "tok-carol"})).await;
    assert_eq!(test["ok"], true);
    // Revealed on request (to replay the test's curl), and still nowhere in the logs.
    let reveal_url = format!("{url}/api/admin/v1/bots/{bot}/custom-auth/headers/reveal");
    let revealed = send(Method::POST, reveal_url, Some(&token), json!({})).await;
    assert_eq!(revealed["headers"][0]["value"], "hdr-secret-value");
    // An agent's inbox is open: its event stream never ends by itself, and must not keep
    // the server from stopping.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let inbox = http.get(format!("{url}/api/admin/v1/bots/{bot}/events")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(inbox.status(), 200);
    let status = terminate(child);
    drop(inbox);
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");

    let mut haystack = std::fs::read(&log).unwrap();
    assert!(String::from_utf8_lossy(&haystack).contains("\"level\":\"DEBUG\""), "debug logs were captured");
    for entry in std::fs::read_dir(&data).unwrap() {
        haystack.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let mut secrets = vec![
        "tok-alice",
        "tok-bob",
        "wrong-token-zzz",
        "tok-carol",
        "hdr-secret-value",
        &signing_secret[6..],
        &token,
        "correct horse battery",
    ];
    secrets.extend(session_tokens.iter().map(String::as_str));
    for secret in secrets {
        assert!(
            !haystack.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret:?} leaked to the database or logs"
        );
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn bad_configuration_is_refused_at_start_with_a_clear_message() {
    let dir = tmp_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("c.toml");
    std::fs::write(&config, "listen = 5\n").unwrap();
    let out = Command::new(BIN).args(["serve", "--config"]).arg(&config).output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("invalid config file"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out =
        Command::new(BIN).args(["serve", "--database-url", "mysql://x", "--data-dir"]).arg(&dir).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("postgres://"));
    let out = Command::new(BIN)
        .args(["serve", "--data-dir"])
        .arg(&dir)
        .env("CONCIERGE_ADMIN_TOKEN", "short")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 16"));
    // "warning" would be read as a module named so, and every log would go silent.
    let out = Command::new(BIN).args(["serve", "--log-level", "warning", "--data-dir"]).arg(&dir).output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("\"warning\" is not a level"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A password given as a query parameter is masked in what is said.
    let out = Command::new(BIN)
        .args(["serve", "--database-url", "mysql://u@db.invalid/c?password=query-secret-9", "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("password=****") && !said.contains("query-secret-9"), "{said}");
    // A command that only touches storage does not judge the server's settings.
    let mut workspace = Command::new(BIN);
    workspace.args(["workspace", "create", "--name", "Acme", "--data-dir"]).arg(&dir);
    let out = workspace.env("CONCIERGE_LOG_FORMAT", "xml").env("CONCIERGE_ADMIN_TOKEN", "short").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_dir_all(dir).ok();
}

/// A second `serve` on the same SQLite data dir would run and never see the first one's
/// messages: it is refused, with what to run instead, and the dir is free again as soon as
/// the first instance stops.
#[tokio::test]
async fn a_second_instance_on_one_sqlite_data_dir_is_refused_with_the_way_to_scale_out() {
    let dir = tmp_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let (first, _) = serve(&dir, &dir.join("first.log"), &[]);
    let second = Command::new(BIN).args(["serve", "--listen", "127.0.0.1:0", "--data-dir"]).arg(&dir).output().unwrap();
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "{said}");
    assert!(said.contains(&format!("pid {}", first.id())), "{said}");
    assert!(said.contains("--database-url postgres://") && said.contains("--redis-url"), "{said}");
    // Commands that only touch storage still work beside the running server.
    let out = concierge(&dir, &["workspace", "create", "--name", "Acme"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let stopped = terminate(first);
    assert!(stopped.success(), "{stopped:?}: {}", std::fs::read_to_string(dir.join("first.log")).unwrap_or_default());
    let (again, url) = serve(&dir, &dir.join("again.log"), &[]);
    let ready = reqwest::Client::builder().no_proxy().build().unwrap().get(format!("{url}/readyz")).send().await;
    assert_eq!(ready.expect("the restarted instance answers").status(), 200);
    assert!(terminate(again).success());
    std::fs::remove_dir_all(dir).ok();
}

/// Redis over TLS (`rediss://`), its certificate checked against the system's store, or
/// against `SSL_CERT_FILE` as for a private CA: refused at start while untrusted, connected
/// once trusted.
#[tokio::test]
async fn redis_over_tls_is_connected_once_its_certificate_is_trusted() {
    if concierge_store::testing::skip_requested("CONCIERGE_TEST_SKIP_REDIS") {
        eprintln!("skipping a Redis test: CONCIERGE_TEST_SKIP_REDIS is set");
        return;
    }
    let Some(postgres) = concierge_store::testing::TempPostgres::create().await else { return };
    let dir = tmp_dir();
    std::fs::create_dir_all(&dir).unwrap();
    // A private CA made now, and Redis's certificate for 127.0.0.1 signed by it.
    let (ca, cert, key) = (dir.join("ca.pem"), dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(dir.join("leaf.ext"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n").unwrap();
    let steps = [
        "req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=Concierge-test-CA -keyout ca.key -out ca.pem",
        "req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout key.pem -out leaf.csr",
        "x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile leaf.ext -out cert.pem",
    ];
    for step in steps {
        let made = Command::new("openssl").args(step.split(' ')).current_dir(&dir).output().expect("openssl runs");
        assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let _redis = Stopped(
        Command::new("redis-server")
            .args(["--port", "0", "--bind", "127.0.0.1", "--tls-port", &port, "--tls-auth-clients", "no"])
            .args(["--save", "", "--appendonly", "no", "--tls-cert-file"])
            .arg(&cert)
            .arg("--tls-key-file")
            .arg(&key)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server runs"),
    );
    crate::utils::eventually("the TLS Redis listens", || async {
        tokio::net::TcpStream::connect(format!("127.0.0.1:{port}")).await.ok().map(drop)
    })
    .await;
    let redis_url = format!("rediss://127.0.0.1:{port}");
    let data = dir.join("data");
    let env = |trusted: bool| {
        let mut env =
            vec![("CONCIERGE_DATABASE_URL", postgres.url.clone()), ("CONCIERGE_REDIS_URL", redis_url.clone())];
        if trusted {
            env.push(("SSL_CERT_FILE", ca.display().to_string()));
        }
        env
    };

    let mut untrusted = Command::new(BIN);
    untrusted.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"]).arg(&data);
    let untrusted = untrusted.envs(env(false)).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let said = tokio::task::spawn_blocking(move || untrusted.wait_with_output().unwrap()).await.unwrap();
    let said = String::from_utf8_lossy(&said.stderr).into_owned();
    assert!(said.contains("cannot connect to Redis at rediss://127.0.0.1"), "{said}");
    assert!(said.to_lowercase().contains("certificate"), "says why: {said}");

    let trusted: Vec<(&str, String)> = env(true);
    let trusted: Vec<(&str, &str)> = trusted.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (child, url) = serve(&data, &dir.join("server.log"), &trusted);
    let ready = reqwest::Client::builder().no_proxy().build().unwrap().get(format!("{url}/readyz")).send().await;
    assert_eq!(ready.unwrap().text().await.unwrap(), "ready", "the bus is connected over TLS");
    assert!(terminate(child).success());
    std::fs::remove_dir_all(dir).ok();
}

/// A child process stopped when the test ends, passed or not.
struct Stopped(Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}
