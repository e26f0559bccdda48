//! Serving kubectl's WebSocket protocols in front of a runtime that speaks SPDY only
//! (containerd 1.6): `v5.channel.k8s.io` for exec/attach is translated to SPDY
//! remotecommand `v4.channel.k8s.io`, and port-forward's `SPDY/3.1+portforward.k8s.io`
//! tunnel (SPDY carried in WebSocket binary messages) is unwrapped onto a SPDY connection.

use std::collections::HashMap;

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::{BodyExt as _, Empty};
use hyper::body::Incoming;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncWriteExt as _, ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::node::{StreamError, StreamOptions};
use crate::proxy::{Body, BoxError, full};
use crate::{spdy, ws};

/// kubectl 1.30+'s exec/attach WebSocket protocol.
pub const V5_CHANNEL: &str = "v5.channel.k8s.io";
/// kubectl 1.31+'s port-forward tunnel subprotocol.
pub const PORT_FORWARD_TUNNEL: &str = "SPDY/3.1+portforward.k8s.io";

const CH_STDIN: u8 = 0;
const CH_STDOUT: u8 = 1;
const CH_STDERR: u8 = 2;
const CH_ERROR: u8 = 3;
const CH_RESIZE: u8 = 4;
const CH_CLOSE: u8 = 255;

type Io = TokioIo<Upgraded>;

/// Opens a SPDY/3.1 upgrade to the runtime's streaming `url` with `protocol`
/// (`X-Stream-Protocol-Version`). A refusal comes back as the runtime's response.
async fn spdy_upgrade(
    url: &str,
    protocol: &str,
) -> Result<Result<Io, Response<Body>>, StreamError> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| StreamError::Runtime(format!("runtime streaming URL {url:?}: {e}")))?;
    let authority = uri
        .authority()
        .ok_or_else(|| StreamError::Runtime(format!("runtime streaming URL {url:?} has no host")))?
        .clone();
    let tcp = TcpStream::connect((authority.host(), authority.port_u16().unwrap_or(80)))
        .await
        .map_err(|e| StreamError::Runtime(format!("dialing {url}: {e}")))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .map_err(|e| StreamError::Runtime(e.to_string()))?;
    tokio::spawn(async move {
        let _ = conn.with_upgrades().await;
    });
    let req = Request::post(uri.path_and_query().map_or("/", |p| p.as_str()))
        .header(header::HOST, authority.as_str())
        .header(header::CONNECTION, "Upgrade")
        .header(header::UPGRADE, "SPDY/3.1")
        .header("X-Stream-Protocol-Version", protocol)
        .body(Empty::<Bytes>::new())
        .map_err(|e| StreamError::Runtime(e.to_string()))?;
    let mut resp = sender
        .send_request(req)
        .await
        .map_err(|e| StreamError::Runtime(e.to_string()))?;
    if resp.status() != StatusCode::SWITCHING_PROTOCOLS {
        let (parts, body) = resp.into_parts();
        return Ok(Err(Response::from_parts(
            parts,
            body.map_err(BoxError::from).boxed(),
        )));
    }
    let up = hyper::upgrade::on(&mut resp)
        .await
        .map_err(|e| StreamError::Runtime(e.to_string()))?;
    Ok(Ok(TokioIo::new(up)))
}

/// The `101` accepting the client's WebSocket with `protocol`.
fn accept<B>(req: &Request<B>, protocol: &str) -> Response<Body> {
    let key = req
        .headers()
        .get("sec-websocket-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut r = Response::new(full(Bytes::new()));
    *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = r.headers_mut();
    h.insert(header::UPGRADE, http::HeaderValue::from_static("websocket"));
    h.insert(
        header::CONNECTION,
        http::HeaderValue::from_static("Upgrade"),
    );
    if let Ok(v) = http::HeaderValue::from_str(&ws::accept_key(key)) {
        h.insert("sec-websocket-accept", v);
    }
    if let Ok(v) = http::HeaderValue::from_str(protocol) {
        h.insert("sec-websocket-protocol", v);
    }
    r
}

/// Writes everything sent on the channel, in order.
fn writer<W: tokio::io::AsyncWrite + Unpin + Send + 'static>(
    mut w: W,
) -> mpsc::UnboundedSender<Vec<u8>> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    tokio::spawn(async move {
        while let Some(buf) = rx.recv().await {
            if w.write_all(&buf).await.is_err() || w.flush().await.is_err() {
                break;
            }
        }
        let _ = w.shutdown().await;
    });
    tx
}

/// Serves an exec/attach WebSocket (`v5.channel.k8s.io`) against the runtime's SPDY
/// remotecommand v4 endpoint at `url`.
pub async fn exec_over_websocket(
    mut req: Request<Incoming>,
    url: &str,
    opts: StreamOptions,
) -> Result<Response<Body>, StreamError> {
    let backend = match spdy_upgrade(url, "v4.channel.k8s.io").await? {
        Ok(io) => io,
        Err(refused) => return Ok(refused),
    };
    let resp = accept(&req, V5_CHANNEL);
    let client = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        match client.await {
            Ok(up) => remotecommand(TokioIo::new(up), backend, opts).await,
            Err(e) => tracing::debug!(error = %e, "client upgrade failed"),
        }
    });
    Ok(resp)
}

/// Relays v5 channel messages to SPDY streams and back until the runtime closes.
async fn remotecommand(client: Io, backend: Io, opts: StreamOptions) {
    let (c_read, c_write): (ReadHalf<Io>, WriteHalf<Io>) = tokio::io::split(client);
    let (b_read, b_write) = tokio::io::split(backend);
    let to_client = writer(c_write);
    let to_backend = writer(b_write);
    // Streams as client-go's v4 creates them: error, then stdin, stdout, stderr, resize.
    let mut enc = spdy::HeaderEncoder::default();
    let mut next_id = 1u32;
    let mut open = |kind: &str, enc: &mut spdy::HeaderEncoder| {
        let id = next_id;
        next_id += 2;
        let _ = to_backend.send(enc.syn_stream(id, 0, &[("streamType", kind)]));
        id
    };
    let mut to_channel: HashMap<u32, u8> = HashMap::new();
    let mut from_channel: HashMap<u8, u32> = HashMap::new();
    to_channel.insert(open("error", &mut enc), CH_ERROR);
    if opts.stdin {
        from_channel.insert(CH_STDIN, open("stdin", &mut enc));
    }
    if opts.stdout {
        to_channel.insert(open("stdout", &mut enc), CH_STDOUT);
    }
    if opts.stderr && !opts.tty {
        to_channel.insert(open("stderr", &mut enc), CH_STDERR);
    }
    if opts.tty {
        from_channel.insert(CH_RESIZE, open("resize", &mut enc));
    }
    let upstream = {
        let to_backend = to_backend.clone();
        let to_client = to_client.clone();
        tokio::spawn(async move {
            let mut r = ws::FrameReader::new(c_read);
            while let Ok(Some(m)) = r.next().await {
                match m.opcode {
                    ws::OP_BINARY if !m.payload.is_empty() => {
                        let (ch, data) = (m.payload[0], &m.payload[1..]);
                        if ch == CH_CLOSE {
                            if let Some(id) = data.first().and_then(|c| from_channel.get(c)) {
                                let _ = to_backend.send(spdy::data(*id, spdy::FLAG_FIN, &[]));
                            }
                        } else if let Some(id) = from_channel.get(&ch) {
                            for chunk in data.chunks(1 << 16) {
                                let _ = to_backend.send(spdy::data(*id, 0, chunk));
                            }
                        }
                    }
                    ws::OP_PING => {
                        let _ = to_client.send(ws::encode_frame(ws::OP_PONG, &m.payload));
                    }
                    ws::OP_CLOSE => break,
                    _ => {}
                }
            }
        })
    };
    let mut r = spdy::FrameReader::new(b_read);
    while let Ok(Some(frame)) = r.next().await {
        match &frame {
            spdy::Frame::Data {
                stream_id, data, ..
            } => {
                let Some(ch) = to_channel.get(stream_id).copied() else {
                    continue;
                };
                if !data.is_empty() {
                    let mut msg = Vec::with_capacity(data.len() + 1);
                    msg.push(ch);
                    msg.extend_from_slice(data);
                    let _ = to_client.send(ws::encode_frame(ws::OP_BINARY, &msg));
                }
                // A stream's FIN is not signalled to the client: in v5 only the client sends
                // CLOSE (channel 255, for stdin); kubectl rejects one from the server. The
                // WebSocket close after the error stream ends the session.
            }
            spdy::Frame::Control {
                kind: spdy::PING,
                payload,
                ..
            } => {
                let _ = to_backend.send(spdy::control(spdy::PING, 0, payload));
            }
            spdy::Frame::Control {
                kind: spdy::GOAWAY, ..
            } => break,
            spdy::Frame::Control { .. } => {}
        }
    }
    let _ = to_client.send(ws::encode_frame(ws::OP_CLOSE, &1000u16.to_be_bytes()));
    upstream.abort();
}

/// Serves a port-forward WebSocket tunnel (`SPDY/3.1+portforward.k8s.io`): the client's SPDY
/// bytes travel in binary messages; they are unwrapped onto the runtime's SPDY port-forward
/// endpoint at `url`, and its bytes wrapped back.
pub async fn port_forward_tunnel(
    mut req: Request<Incoming>,
    url: &str,
) -> Result<Response<Body>, StreamError> {
    let backend = match spdy_upgrade(url, "portforward.k8s.io").await? {
        Ok(io) => io,
        Err(refused) => return Ok(refused),
    };
    let resp = accept(&req, PORT_FORWARD_TUNNEL);
    let client = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        let client = match client.await {
            Ok(up) => TokioIo::new(up),
            Err(e) => {
                tracing::debug!(error = %e, "client upgrade failed");
                return;
            }
        };
        let (c_read, c_write) = tokio::io::split(client);
        let (mut b_read, b_write) = tokio::io::split(backend);
        let to_client = writer(c_write);
        let to_backend = writer(b_write);
        let upstream = {
            let to_client = to_client.clone();
            tokio::spawn(async move {
                let mut r = ws::FrameReader::new(c_read);
                while let Ok(Some(m)) = r.next().await {
                    match m.opcode {
                        ws::OP_BINARY | ws::OP_TEXT => {
                            let _ = to_backend.send(m.payload);
                        }
                        ws::OP_PING => {
                            let _ = to_client.send(ws::encode_frame(ws::OP_PONG, &m.payload));
                        }
                        ws::OP_CLOSE => break,
                        _ => {}
                    }
                }
            })
        };
        let mut buf = vec![0u8; 32 << 10];
        loop {
            use tokio::io::AsyncReadExt as _;
            match b_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let _ = to_client.send(ws::encode_frame(ws::OP_BINARY, &buf[..n]));
                }
            }
        }
        let _ = to_client.send(ws::encode_frame(ws::OP_CLOSE, &1000u16.to_be_bytes()));
        upstream.abort();
    });
    Ok(resp)
}
