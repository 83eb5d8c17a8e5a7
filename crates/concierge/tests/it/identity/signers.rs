//! Tokens and hashes made by independent, stock implementations (tests/identity-signers):
//! `jose` and `jsonwebtoken` from npm, PyJWT and `hmac` from Python. A token our server
//! accepts from them is interoperable, not merely consistent with our own signing.

use std::path::PathBuf;
use std::process::Stdio;

use base64::Engine;
use concierge_store::testing::skip_requested;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

fn dir() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/identity-signers")
}

/// Whether the signers can run here; `false` only when the developer asked to skip them.
/// Anything missing otherwise fails the test with what to do.
pub fn available() -> bool {
    if skip_requested("CONCIERGE_TEST_SKIP_NODE") || skip_requested("CONCIERGE_TEST_SKIP_PYTHON") {
        eprintln!("skipping: the independent signers need Node and Python (a CONCIERGE_TEST_SKIP_* variable is set)");
        return false;
    }
    assert!(
        dir().join("node_modules/jose").exists(),
        "tests/identity-signers has no node_modules: run `npm ci` there (scripts/test does)"
    );
    assert!(
        python().exists(),
        "no Python with PyJWT at {}: scripts/test makes it (python3 -m venv, pip install -r \
         tests/identity-signers/requirements.txt), or set CONCIERGE_TEST_IDENTITY_PYTHON",
        python().display()
    );
    true
}

fn python() -> PathBuf {
    match std::env::var_os("CONCIERGE_TEST_IDENTITY_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/identity-venv/bin/python"),
    }
}

async fn run(program: PathBuf, script: &str, request: &Value) -> Value {
    let mut child = tokio::process::Command::new(&program)
        .arg(script)
        .current_dir(dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("{} runs: {e}", program.display()));
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(request.to_string().as_bytes()).await.expect("request written");
    drop(stdin);
    let out = child.wait_with_output().await.expect("signer finishes");
    assert!(out.status.success(), "{script} {request}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("a JSON answer")
}

/// `request` to the library's signer (`jose` and `jsonwebtoken`: Node; `pyjwt`: Python).
pub async fn ask(lib: &str, request: Value) -> Value {
    match lib {
        "pyjwt" => run(python(), "sign.py", &request).await,
        _ => run(PathBuf::from("node"), "sign.mjs", &request).await,
    }
}

/// A compact JWS of `claims` signed by `lib` with `alg` and `key` (an HMAC key's text, or
/// a PKCS#8 PEM), naming `kid` when given.
pub async fn sign(lib: &str, alg: &str, key: &str, kid: Option<&str>, claims: Value) -> String {
    let mut request = json!({"op": "sign", "lib": lib, "alg": alg, "key": key, "claims": claims});
    if let Some(kid) = kid {
        request["kid"] = json!(kid);
    }
    ask(lib, request).await["token"].as_str().expect("a token").to_owned()
}

/// A key pair for `alg` (RS256, ES256, EdDSA) made by `jose`: `private_pem`, `public_pem`
/// and the public `jwk` (with `kid`).
pub async fn key_pair(alg: &str, kid: &str) -> Value {
    ask("jose", json!({"op": "keys", "alg": alg, "kid": kid})).await
}

/// The hex HMAC-SHA256 of `message` under `secret`, by Node's `crypto` (`lib` "node") or
/// Python's `hmac` (`lib` "python").
pub async fn hmac(lib: &str, secret: &str, message: &str) -> String {
    let request = json!({"op": "hmac", "secret": secret, "message": message});
    let answer = match lib {
        "python" => run(python(), "sign.py", &request).await,
        _ => run(PathBuf::from("node"), "sign.mjs", &request).await,
    };
    answer["hash"].as_str().expect("a hash").to_owned()
}

/// Seconds since the epoch, as tokens count time.
pub fn now() -> i64 {
    concierge_core::now_ms() / 1000
}

/// An unsigned token (`alg: none`), which no library here will make on request.
pub fn unsigned(claims: &Value) -> String {
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT"})), b64(claims))
}

/// `token` with its claims replaced by `claims`, its header and signature kept.
pub fn tampered(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{}.{payload}.{}", parts[0], parts[2])
}
