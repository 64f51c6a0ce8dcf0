//! Marks the PostgreSQL half of `on_both_databases!` as ignored, with the
//! reason, when no PostgreSQL server was named: `cargo test` then prints
//! `ignored, set CONSENT_TEST_POSTGRES_URL ...` instead of an `ok` that
//! never touched PostgreSQL. libtest cannot skip at run time, so the choice
//! is made when the tests are built.

fn main() {
    println!("cargo::rerun-if-env-changed=CONSENT_TEST_POSTGRES_URL");
    println!("cargo::rustc-check-cfg=cfg(postgres_configured)");
    if std::env::var_os("CONSENT_TEST_POSTGRES_URL").is_some_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=postgres_configured");
    }
}
