//! `zora serve` as a process: its first line, refusing to start without a secret, the
//! development mode's token, CORS, and a graceful stop on SIGTERM.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use zora_testkit::TestSqlite;

use common::{assert_one_line_error, run, zora_on};

/// Starts `zora serve` and returns it with the lines it printed first.
fn start(url: &str, args: &[&str], env: &[(&str, &str)], lines: usize) -> (Child, Vec<String>) {
    let mut command = zora_on(url, args);
    command
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn zora serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let mut printed = Vec::new();
    for _ in 0..lines {
        let mut line = String::new();
        reader.read_line(&mut line).expect("read a line");
        printed.push(line.trim_end().to_owned());
    }
    (child, printed)
}

fn terminate(child: &mut Child) -> Option<i32> {
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill -TERM");
    child.wait().expect("wait").code()
}

#[test]
fn serve_refuses_to_start_without_a_secret() {
    let files = TestSqlite::new();
    let output = run(&mut zora_on(
        &files.url(),
        &["serve", "--bind", "127.0.0.1:0"],
    ));
    assert_one_line_error(&output, 2, "ZORA_JWT_SECRET is not set");
}

#[tokio::test]
async fn dev_mode_prints_its_address_and_a_founder_token_then_stops_gracefully() {
    let files = TestSqlite::new();
    let (mut child, lines) = start(
        &files.url(),
        &["serve", "--dev", "--bind", "127.0.0.1:0"],
        &[],
        3,
    );
    let address = lines[0]
        .strip_prefix("listening on ")
        .expect("the first line says where it listens");
    assert!(
        address.starts_with("http://127.0.0.1:") && !address.ends_with(":0"),
        "{address}"
    );
    let token = &lines[2];
    let client = zora_engine::http_client();
    let health = client
        .get(format!("{address}/health"))
        .send()
        .await
        .expect("health");
    assert_eq!(health.status(), 200);
    let without = client
        .get(format!("{address}/api/agents/tasks"))
        .send()
        .await
        .expect("list");
    assert_eq!(without.status(), 401, "tokens are still required");
    let with = client
        .get(format!("{address}/api/agents/tasks"))
        .bearer_auth(token)
        .send()
        .await
        .expect("list");
    assert_eq!(with.status(), 200);
    assert_eq!(terminate(&mut child), Some(0), "SIGTERM stops it cleanly");
}

#[tokio::test]
async fn configured_origins_get_cors_headers_and_others_do_not() {
    let files = TestSqlite::new();
    let env = [
        ("ZORA_JWT_SECRET", "s3cret"),
        (
            "ZORA_CORS_ORIGINS",
            "https://app.zora.test,https://admin.zora.test",
        ),
    ];
    let (mut child, lines) = start(&files.url(), &["serve", "--bind", "127.0.0.1:0"], &env, 1);
    let address = lines[0].strip_prefix("listening on ").expect("address");
    let client = zora_engine::http_client();
    let preflight = |origin: &'static str| {
        client
            .request(
                reqwest::Method::OPTIONS,
                format!("{address}/api/agents/tasks"),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type,idempotency-key",
            )
            .send()
    };
    let allowed = preflight("https://admin.zora.test")
        .await
        .expect("preflight");
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://admin.zora.test")
    );
    let allowed_headers = allowed
        .headers()
        .get("access-control-allow-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    for header in ["authorization", "content-type", "idempotency-key"] {
        assert!(
            allowed_headers.contains(header),
            "a browser may send {header}: {allowed_headers}"
        );
    }
    let refused = preflight("https://evil.test").await.expect("preflight");
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    assert_eq!(terminate(&mut child), Some(0));
}
