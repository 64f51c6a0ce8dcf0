//! Accepting connections: HTTP/1.1 over TCP or TLS, with the limits that
//! keep clients who connect and then send nothing, or send slowly, from
//! holding the server (slowloris).
//!
//! Each connection gets a header timeout (hyper's: a request head must
//! arrive in time, also between requests on a kept-alive connection), an
//! idle timeout on the socket (a read or write waiting on the client), and a
//! place under two caps: connections per client address and in all. A
//! connection over a cap is closed as soon as it is accepted, so that the
//! server never runs out of file descriptors and `/healthz` stays answered.
//!
//! HTTP/2 is not offered: HTTP/1.1 serves every client this product has,
//! and its timeouts above are the ones tested.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_io_timeout::TimeoutStream;
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::config::{Limits, Tls};

/// The address a client is counted by: IPv4 as is, IPv6 by its /64, which
/// one household or phone typically holds whole.
pub fn client_key(client: IpAddr) -> IpAddr {
    match client.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        v4 => v4,
    }
}

/// Loads the certificate chain and key `tls` names into an acceptor, or
/// `None` for plain HTTP.
pub fn tls_acceptor(tls: &Tls) -> anyhow::Result<Option<TlsAcceptor>> {
    let (Some(cert_path), Some(key_path)) = (&tls.tls_cert, &tls.tls_key) else {
        return Ok(None);
    };
    let chain = CertificateDer::pem_file_iter(cert_path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .with_context(|| pem_problem(cert_path, "a PEM certificate chain"))?;
    anyhow::ensure!(
        !chain.is_empty(),
        "{} holds no certificate (-----BEGIN CERTIFICATE-----)",
        cert_path.display()
    );
    let key =
        PrivateKeyDer::from_pem_file(key_path).with_context(|| pem_problem(key_path, "a PEM private key"))?;
    let config =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .context("setting up TLS")?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .with_context(|| {
                format!(
                    "{} and {} do not make a usable certificate and key",
                    cert_path.display(),
                    key_path.display()
                )
            })?;
    let mut config = config;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(TlsAcceptor::from(Arc::new(config))))
}

fn pem_problem(path: &Path, what: &str) -> String {
    format!("reading {}: expected {what}", path.display())
}

/// Serves `router` on `listener` until `shutdown` completes, then stops
/// accepting and waits for the requests in flight.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let open = Arc::new(OpenConnections::new(&limits));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    pause_after_accept_error(&error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Over a cap the stream is dropped here: closed before any byte is read.
        let Some(place) = OpenConnections::admit(&open, peer.ip()) else {
            continue;
        };
        let connection = Connection {
            router: router.clone(),
            tls: tls.clone(),
            limits: limits.clone(),
            peer,
        };
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            connection.serve(stream, watcher).await;
            drop(place);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Accept fails for the server's own reasons (out of file descriptors) or
/// for one client's (it reset the connection before it was accepted). The
/// first kind is logged and waited out, so the loop does not spin.
async fn pause_after_accept_error(error: &std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused
    ) {
        return;
    }
    tracing::error!(%error, "accepting a connection failed; trying again in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// One accepted connection and what it is served with.
struct Connection {
    router: Router,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    peer: SocketAddr,
}

impl Connection {
    async fn serve(self, stream: TcpStream, watcher: hyper_util::server::graceful::Watcher) {
        let _ = stream.set_nodelay(true);
        let mut stream = TimeoutStream::new(stream);
        stream.set_read_timeout(Some(self.limits.idle_timeout()));
        stream.set_write_timeout(Some(self.limits.idle_timeout()));
        let stream = Box::pin(stream);
        match self.tls.clone() {
            None => self.serve_http(stream, watcher).await,
            Some(acceptor) => {
                let handshake = tokio::time::timeout(self.limits.header_timeout(), acceptor.accept(stream));
                match handshake.await {
                    Ok(Ok(stream)) => self.serve_http(stream, watcher).await,
                    Ok(Err(error)) => tracing::debug!(peer = %self.peer, %error, "TLS handshake failed"),
                    Err(_) => tracing::debug!(peer = %self.peer, "TLS handshake timed out"),
                }
            }
        }
    }

    async fn serve_http<I>(self, io: I, watcher: hyper_util::server::graceful::Watcher)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Connection {
            router, peer, limits, ..
        } = self;
        // Handlers read the peer's address (the enrollment limit keys on it).
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(request)
        });
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout());
        let connection = http.serve_connection(TokioIo::new(io), service);
        if let Err(error) = watcher.watch(connection).await {
            // Timeouts and clients that go away end here; nothing to answer.
            tracing::debug!(%peer, %error, "connection ended");
        }
    }
}

/// The connections open now, per client and in all.
struct OpenConnections {
    max_total: usize,
    max_per_client: usize,
    counts: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_client: HashMap<IpAddr, usize>,
    /// Whether the last connection was refused for the total cap: a refusal
    /// is logged when refusing starts, not for every connection refused,
    /// so that a flood of connections cannot flood the log.
    refusing_all: bool,
    /// The clients whose last connection was refused for their own cap.
    refusing: std::collections::HashSet<IpAddr>,
}

/// A connection's place under the caps, given back when it is dropped.
struct Place {
    open: Arc<OpenConnections>,
    client: IpAddr,
}

impl OpenConnections {
    fn new(limits: &Limits) -> Self {
        Self {
            max_total: limits.max_connections.max(1),
            max_per_client: limits.max_connections_per_client.max(1),
            counts: Mutex::new(Counts::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        // Counts stay meaningful even if a holder panicked.
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A place for a new connection from `client`, or `None` when a cap is
    /// reached.
    fn admit(open: &Arc<Self>, client: IpAddr) -> Option<Place> {
        let key = client_key(client);
        let mut counts = open.lock();
        if counts.total >= open.max_total {
            if !counts.refusing_all {
                counts.refusing_all = true;
                tracing::warn!(
                    open = counts.total,
                    max_connections = open.max_total,
                    "connection limit reached: refusing new connections until some close \
                     (raise --max-connections if this is ordinary load)"
                );
            }
            return None;
        }
        let held = counts.per_client.get(&key).copied().unwrap_or(0);
        if held >= open.max_per_client {
            if counts.refusing.insert(key) {
                tracing::warn!(
                    client = %key,
                    open = held,
                    max_connections_per_client = open.max_per_client,
                    "per-client connection limit reached: refusing this client's new connections \
                     until some close (raise --max-connections-per-client behind a NAT)"
                );
            }
            return None;
        }
        if std::mem::take(&mut counts.refusing_all) {
            tracing::info!("accepting new connections again");
        }
        counts.refusing.remove(&key);
        counts.total += 1;
        *counts.per_client.entry(key).or_insert(0) += 1;
        Some(Place {
            open: Arc::clone(open),
            client: key,
        })
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut counts = self.open.lock();
        counts.total = counts.total.saturating_sub(1);
        if let Some(held) = counts.per_client.get_mut(&self.client) {
            *held = held.saturating_sub(1);
            // A client with nothing open leaves the table, which therefore
            // never holds more clients than there are open connections.
            if *held == 0 {
                counts.per_client.remove(&self.client);
                counts.refusing.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn limits(total: usize, per_client: usize) -> Limits {
        Limits {
            max_connections: total,
            max_connections_per_client: per_client,
            ..Limits::default()
        }
    }

    #[test]
    fn a_client_at_its_cap_does_not_stop_another() {
        let open = Arc::new(OpenConnections::new(&limits(10, 2)));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let held: Vec<_> = (0..2)
            .map(|_| OpenConnections::admit(&open, a).unwrap())
            .collect();
        assert!(OpenConnections::admit(&open, a).is_none());
        assert!(OpenConnections::admit(&open, b).is_some());
        drop(held);
        assert!(OpenConnections::admit(&open, a).is_some());
    }

    #[test]
    fn the_total_cap_holds_and_places_are_given_back() {
        let open = Arc::new(OpenConnections::new(&limits(3, 3)));
        let held: Vec<_> = (1..=3u8)
            .map(|n| OpenConnections::admit(&open, IpAddr::from([10, 0, 0, n])).unwrap())
            .collect();
        assert!(OpenConnections::admit(&open, "10.0.0.9".parse().unwrap()).is_none());
        drop(held);
        assert_eq!(open.lock().total, 0);
        assert!(open.lock().per_client.is_empty());
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key("2001:db8:1:3::1".parse().unwrap()));
        assert_eq!(client_key(mapped), IpAddr::from([10, 0, 0, 1]));
    }
}
