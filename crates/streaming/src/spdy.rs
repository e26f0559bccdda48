//! SPDY/3.1 framing (the parts a streaming client needs): control frames (`SYN_STREAM`,
//! `SYN_REPLY`, `RST_STREAM`, `PING`, `GOAWAY`, ...) and data frames, and header blocks.
//!
//! Header blocks must be one zlib stream per direction. Ours uses stored (uncompressed)
//! deflate blocks, each followed by a sync-flush marker: a valid zlib stream that any SPDY peer
//! decodes (the SPDY dictionary only matters for blocks that reference it; ours reference
//! nothing). Peer header blocks are not decoded: nothing in them is needed.

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt as _};

pub const VERSION: u16 = 3;
pub const SYN_STREAM: u16 = 1;
pub const SYN_REPLY: u16 = 2;
pub const RST_STREAM: u16 = 3;
pub const SETTINGS: u16 = 4;
pub const PING: u16 = 6;
pub const GOAWAY: u16 = 7;
pub const HEADERS: u16 = 8;
pub const WINDOW_UPDATE: u16 = 9;

pub const FLAG_FIN: u8 = 0x01;

/// Largest frame payload accepted (SPDY lengths are 24-bit).
const MAX_LEN: usize = (1 << 24) - 1;

/// A decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Control {
        kind: u16,
        flags: u8,
        payload: Vec<u8>,
    },
    Data {
        stream_id: u32,
        flags: u8,
        data: Vec<u8>,
    },
}

impl Frame {
    /// The stream a control frame names in its first word (SYN_STREAM, SYN_REPLY,
    /// RST_STREAM, HEADERS, WINDOW_UPDATE) or a data frame's stream.
    pub fn stream_id(&self) -> Option<u32> {
        match self {
            Frame::Data { stream_id, .. } => Some(*stream_id),
            Frame::Control { kind, payload, .. }
                if matches!(
                    *kind,
                    SYN_STREAM | SYN_REPLY | RST_STREAM | HEADERS | WINDOW_UPDATE
                ) && payload.len() >= 4 =>
            {
                Some(
                    u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]])
                        & 0x7FFF_FFFF,
                )
            }
            Frame::Control { .. } => None,
        }
    }
}

fn len24(len: usize) -> [u8; 3] {
    let l = u32::try_from(len.min(MAX_LEN)).unwrap_or(0);
    let b = l.to_be_bytes();
    [b[1], b[2], b[3]]
}

/// A control frame.
pub fn control(kind: u16, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + payload.len());
    out.extend_from_slice(&(0x8000 | VERSION).to_be_bytes());
    out.extend_from_slice(&kind.to_be_bytes());
    out.push(flags);
    out.extend_from_slice(&len24(payload.len()));
    out.extend_from_slice(payload);
    out
}

/// A data frame (`data` at most 2^24-1 bytes).
pub fn data(stream_id: u32, flags: u8, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + data.len());
    out.extend_from_slice(&(stream_id & 0x7FFF_FFFF).to_be_bytes());
    out.push(flags);
    out.extend_from_slice(&len24(data.len()));
    out.extend_from_slice(data);
    out
}

/// `PING` with `id`.
pub fn ping(id: u32) -> Vec<u8> {
    control(PING, 0, &id.to_be_bytes())
}

/// The uncompressed name/value block: count, then length-prefixed names and values.
pub fn raw_header_block(headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(headers.len() as u32).to_be_bytes());
    for (name, value) in headers {
        for s in [name.to_ascii_lowercase().as_str(), value] {
            out.extend_from_slice(&(s.len() as u32).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
    }
    out
}

/// Our side's header compression context: one zlib stream across all header blocks.
#[derive(Debug, Default)]
pub struct HeaderEncoder {
    started: bool,
}

impl HeaderEncoder {
    /// The next header block: the zlib header the first time, then stored deflate blocks and
    /// a sync-flush marker.
    pub fn encode(&mut self, headers: &[(&str, &str)]) -> Vec<u8> {
        let raw = raw_header_block(headers);
        let mut out = Vec::with_capacity(raw.len() + 16);
        if !self.started {
            // CMF 0x78 (deflate, 32 KiB window), FLG 0x01 (no dictionary; check bits).
            out.extend_from_slice(&[0x78, 0x01]);
            self.started = true;
        }
        for chunk in raw.chunks(usize::from(u16::MAX)) {
            let len = chunk.len() as u16;
            out.push(0x00); // BFINAL 0, BTYPE 00 (stored)
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&(!len).to_le_bytes());
            out.extend_from_slice(chunk);
        }
        out.extend_from_slice(&[0x00, 0x00, 0x00, 0xFF, 0xFF]);
        out
    }

    /// A `SYN_STREAM` opening client stream `stream_id` with `headers`.
    pub fn syn_stream(&mut self, stream_id: u32, flags: u8, headers: &[(&str, &str)]) -> Vec<u8> {
        let mut payload = Vec::new();
        payload.extend_from_slice(&(stream_id & 0x7FFF_FFFF).to_be_bytes());
        payload.extend_from_slice(&0u32.to_be_bytes()); // associated stream
        payload.extend_from_slice(&[0x00, 0x00]); // priority 0, slot 0
        payload.extend_from_slice(&self.encode(headers));
        control(SYN_STREAM, flags, &payload)
    }
}

/// Reads frames from a connection.
pub struct FrameReader<R> {
    io: R,
    buf: BytesMut,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    pub fn new(io: R) -> Self {
        Self {
            io,
            buf: BytesMut::with_capacity(16 << 10),
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

    /// The next frame; `None` at end of stream.
    pub async fn next(&mut self) -> std::io::Result<Option<Frame>> {
        if !self.fill(8).await? {
            return Ok(None);
        }
        let h = &self.buf[..8];
        let is_control = h[0] & 0x80 != 0;
        let word = u16::from_be_bytes([h[2], h[3]]);
        let stream_id = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) & 0x7FFF_FFFF;
        let flags = h[4];
        let len = usize::from(h[5]) << 16 | usize::from(h[6]) << 8 | usize::from(h[7]);
        if !self.fill(8 + len).await? {
            return Ok(None);
        }
        self.buf.advance(8);
        let payload = self.buf.split_to(len).to_vec();
        Ok(Some(if is_control {
            Frame::Control {
                kind: word,
                flags,
                payload,
            }
        } else {
            Frame::Data {
                stream_id,
                flags,
                data: payload,
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_data_frames_have_the_spec_layout() {
        // SPDY/3 section 2.2: control bit + version 3, type, flags, 24-bit length.
        assert_eq!(
            ping(7),
            [0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 7]
        );
        assert_eq!(
            data(5, FLAG_FIN, b"hi"),
            [0x00, 0x00, 0x00, 0x05, 0x01, 0x00, 0x00, 0x02, b'h', b'i']
        );
    }

    #[test]
    fn header_blocks_are_one_zlib_stream_of_stored_blocks() {
        let mut enc = HeaderEncoder::default();
        let first = enc.encode(&[("streamType", "error")]);
        let raw = raw_header_block(&[("streamType", "error")]);
        assert_eq!(
            raw,
            b"\x00\x00\x00\x01\x00\x00\x00\x0astreamtype\x00\x00\x00\x05error".to_vec()
        );
        assert_eq!(&first[..2], &[0x78, 0x01]);
        assert_eq!((0x78u16 * 256 + 0x01) % 31, 0, "zlib header check bits");
        assert_eq!(first[2], 0x00);
        let len = raw.len() as u16;
        assert_eq!(
            &first[3..7],
            &[len.to_le_bytes(), (!len).to_le_bytes()].concat()[..]
        );
        assert_eq!(&first[7..7 + raw.len()], &raw[..]);
        assert_eq!(&first[7 + raw.len()..], &[0, 0, 0, 0xFF, 0xFF]);
        // Later blocks continue the stream: no second zlib header.
        let second = enc.encode(&[("streamType", "stdout")]);
        assert_eq!(second[0], 0x00);
    }

    #[tokio::test]
    async fn reader_round_trips_frames() {
        let mut enc = HeaderEncoder::default();
        let mut wire = enc.syn_stream(1, 0, &[("streamType", "error")]);
        wire.extend(data(1, FLAG_FIN, b"status"));
        wire.extend(ping(2));
        let mut r = FrameReader::new(&wire[..]);
        let f = r.next().await.unwrap().unwrap();
        assert!(matches!(
            f,
            Frame::Control {
                kind: SYN_STREAM,
                ..
            }
        ));
        assert_eq!(f.stream_id(), Some(1));
        assert_eq!(
            r.next().await.unwrap().unwrap(),
            Frame::Data {
                stream_id: 1,
                flags: FLAG_FIN,
                data: b"status".to_vec()
            }
        );
        assert_eq!(
            r.next().await.unwrap().unwrap(),
            Frame::Control {
                kind: PING,
                flags: 0,
                payload: vec![0, 0, 0, 2]
            }
        );
        assert!(r.next().await.unwrap().is_none());
    }
}
