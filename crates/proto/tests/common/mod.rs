//! A tiny protobuf encoder for building test bodies by hand.
#![allow(dead_code)]

/// Protobuf bytes under construction; every method appends one field.
#[derive(Default, Clone)]
pub struct Enc(pub Vec<u8>);

pub fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

impl Enc {
    pub fn new() -> Self {
        Enc(Vec::new())
    }
    pub fn key(mut self, tag: u32, wire: u8) -> Self {
        varint(&mut self.0, (u64::from(tag) << 3) | u64::from(wire));
        self
    }
    pub fn raw(mut self, bytes: &[u8]) -> Self {
        self.0.extend_from_slice(bytes);
        self
    }
    /// A varint field (int32 is sign-extended to 64 bits, as Go writes it).
    pub fn int(self, tag: u32, v: i64) -> Self {
        let mut s = self.key(tag, 0);
        varint(&mut s.0, v as u64);
        s
    }
    pub fn boolean(self, tag: u32, v: bool) -> Self {
        self.int(tag, i64::from(v))
    }
    pub fn double(self, tag: u32, v: f64) -> Self {
        self.key(tag, 1).raw(&v.to_bits().to_le_bytes())
    }
    pub fn bytes(self, tag: u32, b: &[u8]) -> Self {
        let mut s = self.key(tag, 2);
        varint(&mut s.0, b.len() as u64);
        s.raw(b)
    }
    pub fn string(self, tag: u32, v: &str) -> Self {
        self.bytes(tag, v.as_bytes())
    }
    pub fn msg(self, tag: u32, m: Enc) -> Self {
        self.bytes(tag, &m.0)
    }
    /// A `map<string, string>` entry.
    pub fn entry(self, tag: u32, k: &str, v: &str) -> Self {
        self.msg(tag, Enc::new().string(1, k).string(2, v))
    }
    /// A `map<string, bytes>` entry.
    pub fn bytes_entry(self, tag: u32, k: &str, v: &[u8]) -> Self {
        self.msg(tag, Enc::new().string(1, k).bytes(2, v))
    }
}

/// `k8s\0` + runtime.Unknown{typeMeta{apiVersion, kind}, raw}.
pub fn envelope(api_version: &str, kind: &str, obj: Enc) -> Vec<u8> {
    let unknown = Enc::new()
        .msg(1, Enc::new().string(1, api_version).string(2, kind))
        .msg(2, obj)
        .string(3, "")
        .string(4, "");
    let mut out = b"k8s\x00".to_vec();
    out.extend_from_slice(&unknown.0);
    out
}

/// ObjectMeta with a name (and, as Go always writes it, an empty creationTimestamp).
pub fn meta(name: &str) -> Enc {
    Enc::new().string(1, name).msg(8, Enc::new())
}

/// A metav1.Time.
pub fn time(seconds: i64, nanos: i32) -> Enc {
    Enc::new().int(1, seconds).int(2, i64::from(nanos))
}
