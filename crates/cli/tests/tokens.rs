//! `zora tokens worker`: the token it prints is a worker token the server verifies, with
//! the tenant and types asked for; without the secret, or with a bad type or lifetime, it
//! prints nothing and exits 2 naming what is wrong.

mod common;

use common::{assert_one_line_error, json, run, stdout, zora};
use zora_api::AuthConfig;
use zora_core::TenantId;

const SECRET: &str = "secret of the tokens test";

#[test]
fn a_worker_token_names_its_tenant_and_types_and_is_no_users_token() {
    let tenant = TenantId::new();
    let output = run(zora(&[
        "tokens",
        "worker",
        "--tenant-id",
        &tenant.to_string(),
        "--types",
        "review_accessibility, research.deep",
        "--ttl",
        "2h",
    ])
    .env("ZORA_JWT_SECRET", SECRET));
    assert!(output.status.success(), "{output:?}");
    let token = stdout(&output).trim().to_owned();
    let auth = AuthConfig::with_secret(SECRET);
    let worker = auth.verify_worker(&token).expect("a worker token");
    assert_eq!(worker.tenant_id, Some(tenant));
    assert_eq!(
        worker.types.as_deref(),
        Some(
            &[
                "review_accessibility".to_owned(),
                "research.deep".to_owned()
            ][..]
        )
    );
    assert!(auth.verify(&token).is_err(), "not a user's token");
    assert!(
        AuthConfig::with_secret("another secret")
            .verify_worker(&token)
            .is_err(),
        "signed with the secret given"
    );
}

#[test]
fn json_gives_the_claims_and_no_tenant_means_every_tenant() {
    let output = run(zora(&["tokens", "worker", "--json"]).env("ZORA_JWT_SECRET", SECRET));
    assert!(output.status.success(), "{output:?}");
    let answer = json(&output);
    assert!(answer["tenant_id"].is_null(), "{answer}");
    assert!(answer["types"].is_null(), "{answer}");
    let expires: chrono::DateTime<chrono::Utc> = answer["expires_at"]
        .as_str()
        .expect("expires_at")
        .parse()
        .expect("RFC 3339");
    let days = (expires - chrono::Utc::now()).num_days();
    assert!((29..=30).contains(&days), "30 days by default, got {days}");
    let worker = AuthConfig::with_secret(SECRET)
        .verify_worker(answer["token"].as_str().expect("token"))
        .expect("a worker token");
    assert_eq!(worker.tenant_id, None);
    assert_eq!(worker.types, None);
}

#[test]
fn without_a_secret_or_with_a_bad_value_nothing_is_printed() {
    let output = run(&mut zora(&["tokens", "worker"]));
    assert_one_line_error(&output, 2, "ZORA_JWT_SECRET");
    assert!(stdout(&output).is_empty());
    for (args, expected) in [
        (&["--types", "Review Pages"][..], "--types"),
        (&["--types", ""][..], "--types"),
        (&["--ttl", "10s"][..], "at least a minute"),
        (&["--ttl", "soon"][..], "--ttl"),
        (&["--tenant-id", "nobody"][..], "--tenant-id"),
    ] {
        let mut command = zora(&["tokens", "worker"]);
        command.args(args).env("ZORA_JWT_SECRET", SECRET);
        let output = run(&mut command);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        assert!(stdout(&output).is_empty(), "{args:?}");
        let err = String::from_utf8_lossy(&output.stderr);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}
