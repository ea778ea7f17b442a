//! The bench's network pieces: a minimal HTTP/1.1 client from a chosen local address,
//! the fault-injecting TCP proxy between the clients and the server (drop before the
//! request reaches the server, or after the server committed), and starting the real
//! server in-process on a loopback port.

use super::*;

/// A minimal HTTP/1.1 client: one connection per request (`Connection: close`), from a
/// chosen local address, through hyper.
pub(crate) struct Http {
    /// Where to connect (the proxy or the server).
    pub target: SocketAddr,
    /// Per-attempt timeout.
    pub timeout: Duration,
}

/// What came back.
pub(crate) struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Http {
    /// Sends one request; `Err` for a connection or protocol failure (retryable).
    pub async fn send(
        &self,
        from: Option<IpAddr>,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<Reply> {
        let fut = async {
            let socket = TcpSocket::new_v4()?;
            if let Some(ip) = from {
                socket.bind(SocketAddr::new(ip, 0))?;
            }
            let stream = socket.connect(self.target).await?;
            stream.set_nodelay(true)?;
            let (mut sender, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            let payload = body.map(|b| b.to_string()).unwrap_or_default();
            let mut req = hyper::Request::builder()
                .method(method)
                .uri(path)
                .header("host", self.target.to_string())
                .header("connection", "close")
                .header("content-type", "application/json");
            if let Some(t) = token {
                req = req.header("authorization", format!("Bearer {t}"));
            }
            let req = req.body(Full::new(Bytes::from(payload)))?;
            let resp = sender.send_request(req).await?;
            let status = resp.status().as_u16();
            let bytes = resp.into_body().collect().await?.to_bytes();
            let body = if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
            };
            anyhow::Ok(Reply { status, body })
        };
        tokio::time::timeout(self.timeout, fut)
            .await
            .map_err(|_| anyhow::anyhow!("timed out"))?
    }

    /// Sends with retries: a dropped connection, a timeout, 429 or 5xx is retried up to
    /// `retries` times with a short backoff; any other status is returned.
    pub async fn send_retrying(
        &self,
        from: Option<IpAddr>,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        retries: u32,
    ) -> (anyhow::Result<Reply>, u32) {
        let mut attempt = 0;
        loop {
            let r = self.send(from, method, path, token, body).await;
            let retry = match &r {
                Err(_) => true,
                Ok(reply) => reply.status == 429 || reply.status >= 500,
            };
            if !retry || attempt >= retries {
                return (r, attempt + 1);
            }
            attempt += 1;
            tokio::time::sleep(Duration::from_millis(50 << attempt.min(5))).await;
        }
    }
}

/// Connections the proxy handled, by fate.
#[derive(Default)]
pub(super) struct ProxyCounts {
    pub(super) forwarded: AtomicU64,
    pub(super) dropped_before: AtomicU64,
    pub(super) dropped_after_commit: AtomicU64,
    /// Requests sent to the server and not yet answered (a client may have timed out).
    pub(super) in_flight: AtomicU64,
}

/// Reads one whole HTTP request (head and `content-length` body).
pub(super) async fn read_request(s: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    loop {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = s.read(&mut chunk).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Ok(buf);
        }
    }
}

/// The failure-injecting proxy: one request per connection.
pub(super) async fn run_proxy(
    listener: TcpListener,
    server: SocketAddr,
    seed: u64,
    drop_before: f64,
    drop_after: f64,
    counts: Arc<ProxyCounts>,
) {
    let mut n: u64 = 0;
    loop {
        let Ok((mut client, peer)) = listener.accept().await else {
            continue;
        };
        n += 1;
        let roll = unit(seed ^ 0x5052_4f58, n);
        let counts = counts.clone();
        tokio::spawn(async move {
            let Ok(request) = read_request(&mut client).await else {
                return;
            };
            if roll < drop_before {
                counts.dropped_before.fetch_add(1, Ordering::Relaxed);
                return; // the request never reaches the server
            }
            let upstream = async {
                let socket = TcpSocket::new_v4()?;
                // Keep the client's address, so the server sees one address per chair.
                socket.bind(SocketAddr::new(peer.ip(), 0))?;
                let mut up = socket.connect(server).await?;
                up.write_all(&request).await?;
                let mut response = Vec::new();
                up.read_to_end(&mut response).await?;
                std::io::Result::Ok(response)
            };
            counts.in_flight.fetch_add(1, Ordering::SeqCst);
            let response = upstream.await;
            counts.in_flight.fetch_sub(1, Ordering::SeqCst);
            let Ok(response) = response else {
                return;
            };
            if roll < drop_before + drop_after {
                // The server answered (and committed); the client never hears it.
                counts.dropped_after_commit.fetch_add(1, Ordering::Relaxed);
                return;
            }
            counts.forwarded.fetch_add(1, Ordering::Relaxed);
            let _ = client.write_all(&response).await;
            let _ = client.shutdown().await;
        });
    }
}

/// A free loopback port.
pub(super) fn free_addr() -> anyhow::Result<SocketAddr> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?)
}

/// Starts the real server in-process on a free loopback port; waits until it accepts.
pub(crate) async fn start_server(
    store: Arc<dyn Store>,
    feeds: votebase_vip::store::FeedDir,
    bind: Option<&str>,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let mut addr: SocketAddr = match bind {
        Some(b) => b.parse().with_context(|| format!("bad address {b}"))?,
        None => free_addr()?,
    };
    if addr.port() == 0 {
        addr.set_port(free_addr()?.port());
    }
    let bind = addr.to_string();
    let handle = tokio::spawn(async move {
        if let Err(e) = crate::serve::serve(store, &bind, feeds, None, &[]).await {
            eprintln!("error: server stopped: {e}");
        }
    });
    for _ in 0..200 {
        if TcpStream::connect(addr).await.is_ok() {
            return Ok((addr, handle));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    bail!("the server did not start on {addr}")
}
