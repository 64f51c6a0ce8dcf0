//! Measurements of the consent platform, printed as Markdown tables for
//! `BENCHMARKS.md`.
//!
//! `cargo run -p bench --release -- tokens` compares the size of a consent
//! token with the same claims as a JWT (EdDSA) and as a PASETO v4.public token.

mod tokens;

use anyhow::{bail, Result};

fn main() -> Result<()> {
    let command = std::env::args().nth(1).unwrap_or_else(|| "tokens".to_owned());
    match command.as_str() {
        "tokens" => tokens::print_size_table(),
        other => bail!("unknown benchmark {other:?}; available: tokens"),
    }
}
