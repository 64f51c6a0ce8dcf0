//! The consent server: the system of record for consent. It verifies
//! consent before a recording is published, signs its decisions, and keeps a
//! tamper-evident log of grants, revocations, checks and publications.

pub mod config;
mod connections;
pub mod data_dir;
pub mod http;
pub mod media_audit;
pub mod policy;
pub mod retention;
pub mod signed_heads;
mod signing_key;
pub mod store;
pub mod verified_signatures;
pub mod web;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use consent_protocol::PublicKey;
use tokio::net::TcpListener;

pub use config::Config;
use http::{now_unix, AppState};
use store::Store;

/// A server bound to its address, ready to serve.
pub struct Server {
    listener: TcpListener,
    state: AppState,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: config::Limits,
}

impl Server {
    /// Creates the data directory and signing key if needed, connects to the
    /// database (applying migrations), loads the TLS certificate if one is
    /// configured and binds the listening address.
    pub async fn bind(config: &Config) -> anyhow::Result<Self> {
        let tls = connections::tls_acceptor(&config.tls)?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|error| listen_failed(config.listen, error))?;
        // Without a public address, links point at the address actually
        // bound (the real port when asked for port 0).
        let mut config = config.clone();
        config.listen = listener.local_addr()?;
        let state = open_state(&config).await?;
        Ok(Self {
            listener,
            state,
            tls,
            limits: config.limits,
        })
    }

    /// Whether the server speaks HTTPS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then finishes the requests in
    /// flight and closes the database.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let store = self.state.store.clone();
        let retention = retention::start(store.clone()).await;
        let rate_limits = Arc::clone(&self.state.rate_limits);
        let forgetting = tokio::spawn(async move {
            let mut every_minute = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                every_minute.tick().await;
                rate_limits.forget_idle();
            }
        });
        let router = http::router(self.state);
        connections::serve(self.listener, router, self.tls, self.limits, shutdown).await;
        forgetting.abort();
        retention.abort();
        store.close().await;
        Ok(())
    }
}

/// Replaces this instance's signing key: the new public key is published
/// first, then the key file is swapped. What the old key signed still
/// verifies (its public key stays published); the running server signs with
/// the new key from its next start. Returns the new key's id.
pub async fn rotate_signing_key(config: &Config) -> anyhow::Result<consent_protocol::KeyId> {
    let store = open_store(config).await?;
    let key = signing_key::generate();
    let public = PublicKey::of(&key);
    store.register_server_key(&public, now_unix()).await?;
    store.close().await;
    signing_key::replace(&config.data_dir(), &key)?;
    Ok(public.id())
}

/// The state a server runs on, without a listener: creates the data
/// directory and signing key if needed and connects to the database
/// (applying migrations), as [`Server::bind`] does.
///
/// For driving [`http::router`] in-process (the fuzz targets in
/// `server/fuzz/` do). Requests sent to the router that way must carry an
/// `axum::extract::ConnectInfo<SocketAddr>` extension, which serving adds.
pub async fn open_state(config: &Config) -> anyhow::Result<AppState> {
    let store = open_store(config).await?;
    data_dir::warn_if_exposed(config);
    let data_dir = config.data_dir();
    let signing_key = signing_key::load_or_create(&data_dir)?;
    let signed_heads = signed_heads::SignedHeads::load(&data_dir)?;
    store
        .register_server_key(&PublicKey::of(&signing_key), now_unix())
        .await?;
    Ok(AppState::new(
        store,
        signing_key,
        signed_heads,
        &config.limits,
        &config.public_url(),
    ))
}

/// Opens the store a configuration names, creating the data directory and
/// the SQLite file for the server's user only when they are new; for
/// commands run on the server's host too.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    data_dir::prepare(config)?;
    Store::connect(&config.database_url()).await.with_context(|| {
        format!(
            "opening the database {}",
            config::redacted(&config.database_url())
        )
    })
}

/// Why the server cannot listen, with what to do about it: the address is
/// the one setting a first start is likely to get wrong.
fn listen_failed(address: SocketAddr, error: std::io::Error) -> anyhow::Error {
    let advice = match error.kind() {
        std::io::ErrorKind::AddrInUse => {
            "another program (perhaps another consent-server) already listens there: stop it, \
             or choose another address with --listen (or CONSENT_LISTEN), e.g. --listen 127.0.0.1:8081"
        }
        std::io::ErrorKind::AddrNotAvailable => {
            "this machine has no such address: choose one of its own with --listen (or CONSENT_LISTEN), \
             e.g. --listen 0.0.0.0:8080 for every interface"
        }
        std::io::ErrorKind::PermissionDenied => {
            "ports below 1024 need privileges: choose a higher port with --listen (or CONSENT_LISTEN), \
             e.g. --listen 0.0.0.0:8080, and put a reverse proxy in front"
        }
        _ => "choose another address with --listen (or CONSENT_LISTEN)",
    };
    anyhow::Error::new(error).context(format!("cannot listen on {address}: {advice}"))
}
