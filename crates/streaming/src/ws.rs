//! The WebSocket pieces the streaming server needs (RFC 6455): the handshake answer and
//! reading/writing frames on an upgraded connection. Client frames are masked, ours are not.

use base64::Engine as _;
use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};

const ACCEPT_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// Largest message accepted from a client.
const MAX_MESSAGE: usize = 16 << 20;

pub const OP_CONTINUATION: u8 = 0x0;
pub const OP_TEXT: u8 = 0x1;
pub const OP_BINARY: u8 = 0x2;
pub const OP_CLOSE: u8 = 0x8;
pub const OP_PING: u8 = 0x9;
pub const OP_PONG: u8 = 0xA;

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`.
pub fn accept_key(key: &str) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(key.trim().as_bytes());
    ctx.update(ACCEPT_GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(ctx.finish().as_ref())
}

/// The subprotocols a request offers (`Sec-WebSocket-Protocol`, comma separated).
pub fn offered_protocols<B>(req: &http::Request<B>) -> Vec<String> {
    req.headers()
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Whether a request is a WebSocket upgrade.
pub fn is_websocket<B>(req: &http::Request<B>) -> bool {
    req.headers()
        .get(http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
        && req.headers().contains_key("sec-websocket-key")
}

/// Encodes one unmasked frame with FIN set.
pub fn encode_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 10);
    out.push(0x80 | opcode);
    let len = payload.len();
    if len < 126 {
        out.push(len as u8);
    } else if len <= usize::from(u16::MAX) {
        out.push(126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(payload);
    out
}

/// One whole message (fragments joined) or control frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub opcode: u8,
    pub payload: Vec<u8>,
}

/// Reads frames from a client, joining fragmented messages.
pub struct FrameReader<R> {
    io: R,
    buf: BytesMut,
    partial: Option<Message>,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    pub fn new(io: R) -> Self {
        Self {
            io,
            buf: BytesMut::with_capacity(8192),
            partial: None,
        }
    }

    async fn fill(&mut self, n: usize) -> std::io::Result<bool> {
        while self.buf.len() < n {
            if self.io.read_buf(&mut self.buf).await? == 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The next message or control frame; `None` at end of stream.
    pub async fn next(&mut self) -> std::io::Result<Option<Message>> {
        loop {
            let Some((fin, opcode, payload)) = self.frame().await? else {
                return Ok(None);
            };
            if opcode >= OP_CLOSE {
                return Ok(Some(Message { opcode, payload }));
            }
            let msg = match (opcode, self.partial.take()) {
                (OP_CONTINUATION, Some(mut m)) => {
                    m.payload.extend_from_slice(&payload);
                    m
                }
                (OP_CONTINUATION, None) => return Err(invalid("continuation without a message")),
                (op, _) => Message {
                    opcode: op,
                    payload,
                },
            };
            if msg.payload.len() > MAX_MESSAGE {
                return Err(invalid("message too large"));
            }
            if fin {
                return Ok(Some(msg));
            }
            self.partial = Some(msg);
        }
    }

    async fn frame(&mut self) -> std::io::Result<Option<(bool, u8, Vec<u8>)>> {
        if !self.fill(2).await? {
            return Ok(None);
        }
        let (b0, b1) = (self.buf[0], self.buf[1]);
        let masked = b1 & 0x80 != 0;
        let (len, header) = match b1 & 0x7F {
            126 => {
                if !self.fill(4).await? {
                    return Ok(None);
                }
                (
                    usize::from(u16::from_be_bytes([self.buf[2], self.buf[3]])),
                    4,
                )
            }
            127 => {
                if !self.fill(10).await? {
                    return Ok(None);
                }
                let mut b = [0u8; 8];
                b.copy_from_slice(&self.buf[2..10]);
                let len = usize::try_from(u64::from_be_bytes(b))
                    .map_err(|_| invalid("frame too large"))?;
                (len, 10)
            }
            n => (usize::from(n), 2),
        };
        if len > MAX_MESSAGE {
            return Err(invalid("frame too large"));
        }
        let mask_len = if masked { 4 } else { 0 };
        if !self.fill(header + mask_len + len).await? {
            return Ok(None);
        }
        self.buf.advance(header);
        let mut mask = [0u8; 4];
        if masked {
            mask.copy_from_slice(&self.buf[..4]);
            self.buf.advance(4);
        }
        let mut payload = self.buf.split_to(len).to_vec();
        if masked {
            for (i, b) in payload.iter_mut().enumerate() {
                *b ^= mask[i % 4];
            }
        }
        Ok(Some((b0 & 0x80 != 0, b0 & 0x0F, payload)))
    }
}

fn invalid(msg: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg.to_string())
}

/// Writes one frame.
pub async fn write_frame<W: AsyncWrite + Unpin>(
    w: &mut W,
    opcode: u8,
    payload: &[u8],
) -> std::io::Result<()> {
    w.write_all(&encode_frame(opcode, payload)).await?;
    w.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_matches_rfc6455_example() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn encodes_lengths() {
        assert_eq!(encode_frame(OP_TEXT, b"Hello"), b"\x81\x05Hello");
        let f = encode_frame(OP_BINARY, &[0u8; 300]);
        assert_eq!(&f[..4], &[0x82, 126, 1, 44]);
        let f = encode_frame(OP_BINARY, &vec![0u8; 70_000]);
        assert_eq!(&f[..10], &[0x82, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
    }

    #[tokio::test]
    async fn reads_masked_and_fragmented_messages() {
        // RFC 6455 5.7: a masked "Hello", then "Hel" + "lo" fragments, a ping, then EOF.
        let mut data = vec![
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        data.extend_from_slice(&[0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f]);
        data.extend_from_slice(&[0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
        let mut r = FrameReader::new(&data[..]);
        for expect in [(OP_TEXT, "Hello"), (OP_TEXT, "Hello"), (OP_PING, "Hello")] {
            let m = r.next().await.unwrap().unwrap();
            assert_eq!(
                (m.opcode, m.payload.as_slice()),
                (expect.0, expect.1.as_bytes())
            );
        }
        assert!(r.next().await.unwrap().is_none());
    }
}
