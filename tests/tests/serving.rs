//! How the server holds up as a network service: clients that connect and
//! then send nothing or send slowly (slowloris), HTTPS, and the files it
//! keeps children's data in. Connection handling does not depend on the
//! database engine, so these run on SQLite; the file test is SQLite's own.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Duration;

use consent_server::config::Limits;
use consent_server::{data_dir, Config, Server};
use consent_tests::{Db, TestServer};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// The head of a request that never ends: no blank line after the headers.
const UNFINISHED_HEAD: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: x\r\n";

/// A connection from `from` that sends an unfinished request head and waits.
async fn half_open(server: SocketAddr, from: [u8; 4]) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((from, 0))).unwrap();
    let mut stream = socket.connect(server).await.unwrap();
    // A connection the server already closed may refuse the write; what
    // counts is whether the server closes it.
    let _ = stream.write_all(UNFINISHED_HEAD).await;
    stream
}

/// Whether the server closes `stream` (end of stream, or a reset). The
/// bound is far beyond what closing takes; it only keeps a failing test
/// from hanging.
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buffer = [0u8; 1024];
    let read = async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return true,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .unwrap_or(false)
}

async fn server_with(limits: Limits) -> TestServer {
    TestServer::start_with(Db::Sqlite, |config| config.limits = limits)
        .await
        .unwrap()
}

async fn healthz(server: &TestServer) -> StatusCode {
    server.anonymous().get("/healthz").await.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_connections_from_one_client_cannot_take_the_server_offline() {
    let server = server_with(Limits {
        max_connections_per_client: 4,
        // Long enough that only the cap can close a connection in this test.
        header_timeout_seconds: 600,
        ..Limits::default()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(half_open(server.address, [127, 0, 0, 2]).await);
    }
    for _ in 0..20 {
        let mut refused = half_open(server.address, [127, 0, 0, 2]).await;
        assert!(
            closed_by_server(&mut refused).await,
            "a connection over the per-client cap is closed at once"
        );
    }
    assert_eq!(healthz(&server).await, StatusCode::OK);
    drop(held);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_total_cap_are_closed_until_others_go() {
    let server = server_with(Limits {
        max_connections: 6,
        max_connections_per_client: 2,
        header_timeout_seconds: 600,
        ..Limits::default()
    })
    .await;
    let mut held = Vec::new();
    for client in 2..=4 {
        for _ in 0..2 {
            held.push(half_open(server.address, [127, 0, 0, client]).await);
        }
    }
    let mut refused = half_open(server.address, [127, 0, 0, 5]).await;
    assert!(closed_by_server(&mut refused).await);
    drop(held);
    // The server notices the clients went away and gives their places back.
    let mut answered = false;
    for _ in 0..100 {
        if let Ok(response) = reqwest::get(format!("{}/healthz", server.url)).await {
            answered = response.status() == StatusCode::OK;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        answered,
        "/healthz is answered once the half-open connections are gone"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_never_finishes_its_request_head_is_closed() {
    let server = server_with(Limits {
        header_timeout_seconds: 1,
        ..Limits::default()
    })
    .await;
    let mut slow = half_open(server.address, [127, 0, 0, 1]).await;
    assert!(closed_by_server(&mut slow).await);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_kept_alive_connection_is_closed() {
    let server = server_with(Limits {
        header_timeout_seconds: 1,
        ..Limits::default()
    })
    .await;
    let mut connection = TcpStream::connect(server.address).await.unwrap();
    connection
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buffer = [0u8; 1024];
    let read = connection.read(&mut buffer).await.unwrap();
    assert!(buffer[..read].starts_with(b"HTTP/1.1 200"));
    // Kept alive, then idle: closed.
    assert!(closed_by_server(&mut connection).await);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stops_arriving_gets_a_timeout_problem_document() {
    let server = server_with(Limits {
        request_timeout_seconds: 1,
        ..Limits::default()
    })
    .await;
    let admin = server.admin("De Linde").await;
    let mut connection = TcpStream::connect(server.address).await.unwrap();
    let head = format!(
        "POST /v1/people/import HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: text/csv\r\nContent-Length: 100000\r\n\r\nexternal_id,display_name,group,birth_date\n",
        admin.token.as_deref().unwrap()
    );
    connection.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), connection.read_to_end(&mut answer))
        .await
        .expect("the server answers")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("\"code\":\"request_timeout\""), "{answer}");
    let people = admin.get("/v1/people").await;
    assert_eq!(people.body, serde_json::json!([]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_speaks_https_with_the_certificate_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let issued = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, issued.cert.pem()).unwrap();
    std::fs::write(&key, issued.signing_key.serialize_pem()).unwrap();
    let server = TestServer::start_with(Db::Sqlite, |config| {
        config.tls.tls_cert = Some(cert.clone());
        config.tls.tls_key = Some(key.clone());
    })
    .await
    .unwrap();
    assert!(server.url.starts_with("https://"));
    let trusting = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(issued.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let response = trusting
        .get(format!("{}/healthz", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // Without the certificate trusted, nothing is exchanged.
    assert!(reqwest::get(format!("{}/healthz", server.url)).await.is_err());
    // Plain HTTP to the HTTPS port gets no answer.
    let plain = reqwest::get(format!("http://{}/healthz", server.address)).await;
    assert!(plain.map_or(true, |response| !response.status().is_success()));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_that_is_not_pem_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    std::fs::write(&cert, "not a certificate").unwrap();
    let config = Config {
        data_dir: Some(dir.path().join("data")),
        tls: consent_server::config::Tls {
            tls_cert: Some(cert.clone()),
            tls_key: Some(cert),
        },
        ..Config::new("127.0.0.1:0".parse().unwrap())
    };
    let error = Server::bind(&config).await.err().expect("refused");
    assert!(format!("{error:#}").contains("cert.pem"), "{error:#}");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_directory_and_database_files_are_private_to_the_server() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = Config {
        data_dir: Some(data.clone()),
        ..Config::new("127.0.0.1:0".parse().unwrap())
    };
    let server = Server::bind(&config).await.unwrap();
    let address = server.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(async move {
        let _ = stopped.await;
    }));
    // The server has opened the database: the write-ahead log and its index exist.
    assert_eq!(
        reqwest::get(format!("http://{address}/readyz"))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let mode = |name: &str| std::fs::metadata(data.join(name)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(""), 0o700, "the data directory");
    for file in [
        "consent.db",
        "consent.db-wal",
        "consent.db-shm",
        "server-signing-key",
    ] {
        assert_eq!(mode(file), 0o600, "{file}");
    }
    assert!(data_dir::exposed(&config).is_empty());
    // A database made readable by others is found (and warned about at start).
    for name in ["", "consent.db", "consent.db-wal"] {
        let widened = if name.is_empty() { 0o755 } else { 0o644 };
        std::fs::set_permissions(data.join(name), std::fs::Permissions::from_mode(widened)).unwrap();
    }
    let exposed: Vec<_> = data_dir::exposed(&config)
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    assert_eq!(
        exposed,
        [data.clone(), data.join("consent.db"), data.join("consent.db-wal")]
    );
    let _ = stop.send(());
    serving.await.unwrap().unwrap();
}
