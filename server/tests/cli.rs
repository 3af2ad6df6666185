//! The `cairn` binary's subcommands on a fresh SQLite data dir.

use std::process::Command;

fn cairn(data_dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run cairn");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn migrate_user_apikey_and_demo() {
    let dir = std::env::temp_dir().join(format!(
        "cairn-cli-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    let (ok, out, _) = cairn(&dir, &["migrate"]);
    assert!(ok && out.contains("up to date"), "{out}");
    assert!(dir.join("cairn.db").exists());

    let (ok, out, err) = cairn(&dir, &["user", "create", "bob", "--admin"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("password: "),
        "a generated password is shown once: {out}"
    );
    let (ok, _, err) = cairn(
        &dir,
        &["user", "create", "bob", "--password", "long-enough"],
    );
    assert!(!ok && err.contains("taken"), "{err}");
    let (ok, _, err) = cairn(
        &dir,
        &["user", "create", "api", "--password", "long-enough"],
    );
    assert!(!ok && err.contains("reserved"), "{err}");

    // A forgotten password is set again from the command line.
    let (ok, out, err) = cairn(&dir, &["user", "password", "bob"]);
    assert!(ok && out.contains("password: "), "{out}{err}");
    let (ok, _, err) = cairn(&dir, &["user", "password", "bob", "--password", "short"]);
    assert!(!ok && err.contains("at least 8"), "{err}");
    let (ok, _, err) = cairn(&dir, &["user", "password", "nobody"]);
    assert!(!ok && err.contains("no user named"), "{err}");

    let (ok, key, err) = cairn(&dir, &["apikey", "create", "--user", "bob"]);
    assert!(ok, "{err}");
    assert!(
        server::auth::credentials::is_valid_api_key(key.trim()),
        "{key:?}"
    );
    let (ok, _, err) = cairn(&dir, &["apikey", "create", "--user", "nobody"]);
    assert!(!ok && err.contains("no user named"), "{err}");

    let (ok, out, err) = cairn(&dir, &["demo", "--user", "bob"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("logged 12 runs") && out.contains("bob/cairn-demo"),
        "{out}"
    );
    std::fs::remove_dir_all(dir).ok();
}
