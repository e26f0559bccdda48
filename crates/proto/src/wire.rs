//! Protobuf wire format: varints, tags, and splitting a message into its fields,
//! with the nesting and work limits every decode runs under.

use crate::error::ProtoError;

/// Deepest message nesting accepted (envelope, object, and every embedded message).
pub const MAX_DEPTH: usize = 100;
/// Work allowed per body byte: each nesting level re-reads its bytes once, and each
/// field costs one more unit; ordinary objects need well under half of this.
pub const WORK_PER_BYTE: u64 = 64;
/// Work allowed on top of the per-byte allowance.
pub const BASE_WORK: u64 = 1 << 16;

/// Wire types.
pub(crate) const VARINT: u8 = 0;
pub(crate) const FIXED64: u8 = 1;
pub(crate) const LEN: u8 = 2;
const START_GROUP: u8 = 3;
pub(crate) const FIXED32: u8 = 5;
/// Stands for a (skipped) group in [`Val::wire`].
pub(crate) const GROUP: u8 = START_GROUP;

/// The limits of one decode: nesting depth and a work budget.
#[derive(Debug)]
pub(crate) struct Ctx {
    depth: usize,
    work: u64,
    limit: u64,
}

impl Ctx {
    pub(crate) fn new(body_len: usize) -> Self {
        let len = u64::try_from(body_len).unwrap_or(u64::MAX);
        Ctx {
            depth: 0,
            work: 0,
            limit: len.saturating_mul(WORK_PER_BYTE).saturating_add(BASE_WORK),
        }
    }

    /// Spend `n` units of work.
    pub(crate) fn charge(&mut self, n: usize) -> Result<(), ProtoError> {
        self.work = self
            .work
            .saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
        if self.work > self.limit {
            return Err(ProtoError::TooMuchWork);
        }
        Ok(())
    }

    /// Go one message deeper; pair with [`Ctx::leave`].
    pub(crate) fn enter(&mut self) -> Result<(), ProtoError> {
        if self.depth >= MAX_DEPTH {
            return Err(ProtoError::TooDeep { limit: MAX_DEPTH });
        }
        self.depth += 1;
        Ok(())
    }

    pub(crate) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }
}

/// One field's value as found on the wire.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Val<'a> {
    Varint(u64),
    Fixed64(u64),
    /// No Kubernetes field is fixed32; the value is skipped.
    Fixed32,
    Bytes(&'a [u8]),
    /// A group; its contents were skipped (no Kubernetes field is a group).
    Group,
}

impl Val<'_> {
    pub(crate) fn wire(&self) -> u8 {
        match self {
            Val::Varint(_) => VARINT,
            Val::Fixed64(_) => FIXED64,
            Val::Bytes(_) => LEN,
            Val::Fixed32 => FIXED32,
            Val::Group => GROUP,
        }
    }
}

/// A field number and its value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawField<'a> {
    pub tag: u32,
    pub val: Val<'a>,
}

/// A cursor over protobuf bytes.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    message: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8], message: &'static str) -> Self {
        Reader {
            buf,
            pos: 0,
            message,
        }
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    pub(crate) fn varint(&mut self) -> Result<u64, ProtoError> {
        let mut v: u64 = 0;
        for i in 0..10u32 {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(ProtoError::Truncated {
                    message: self.message,
                });
            };
            self.pos += 1;
            // Bits past 64 are dropped, as Go's decoder does.
            v |= u64::from(b & 0x7f).checked_shl(7 * i).unwrap_or(0);
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(ProtoError::VarintOverflow {
            message: self.message,
        })
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtoError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let Some(end) = end else {
            return Err(ProtoError::Truncated {
                message: self.message,
            });
        };
        let out = self.buf.get(self.pos..end).unwrap_or_default();
        self.pos = end;
        Ok(out)
    }

    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], ProtoError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn fixed64(&mut self) -> Result<u64, ProtoError> {
        self.fixed::<8>().map(u64::from_le_bytes)
    }

    fn len_delimited(&mut self) -> Result<&'a [u8], ProtoError> {
        let length = self.varint()?;
        let remaining = self.buf.len().saturating_sub(self.pos);
        match usize::try_from(length) {
            Ok(n) if n <= remaining => self.take(n),
            _ => Err(ProtoError::LengthOutOfRange {
                message: self.message,
                length,
            }),
        }
    }

    /// The next tag: (field number, wire type).
    fn key(&mut self) -> Result<(u32, u8), ProtoError> {
        let key = self.varint()?;
        let field = key >> 3;
        let wire = u8::try_from(key & 7).unwrap_or(7);
        match u32::try_from(field) {
            Ok(tag) if tag > 0 && wire <= FIXED32 => Ok((tag, wire)),
            _ => Err(ProtoError::IllegalTag {
                message: self.message,
                field,
                wire,
            }),
        }
    }

    /// Skip a group whose start tag was just read, up to its matching end.
    fn skip_group(&mut self, ctx: &mut Ctx, tag: u32) -> Result<(), ProtoError> {
        ctx.enter()?;
        loop {
            if self.at_end() {
                return Err(ProtoError::Truncated {
                    message: self.message,
                });
            }
            let (t, wire) = self.key()?;
            ctx.charge(1)?;
            match wire {
                VARINT => drop(self.varint()?),
                FIXED64 => drop(self.take(8)?),
                LEN => drop(self.len_delimited()?),
                FIXED32 => drop(self.take(4)?),
                START_GROUP => self.skip_group(ctx, t)?,
                _ if t == tag => break,
                _ => {
                    return Err(ProtoError::BadGroup {
                        message: self.message,
                    });
                }
            }
        }
        ctx.leave();
        Ok(())
    }

    /// The next field.
    pub(crate) fn field(&mut self, ctx: &mut Ctx) -> Result<RawField<'a>, ProtoError> {
        let (tag, wire) = self.key()?;
        let val = match wire {
            VARINT => Val::Varint(self.varint()?),
            FIXED64 => Val::Fixed64(self.fixed64()?),
            LEN => Val::Bytes(self.len_delimited()?),
            FIXED32 => {
                self.take(4)?;
                Val::Fixed32
            }
            START_GROUP => {
                self.skip_group(ctx, tag)?;
                Val::Group
            }
            _ => {
                return Err(ProtoError::BadGroup {
                    message: self.message,
                });
            }
        };
        Ok(RawField { tag, val })
    }
}

/// Split a message into its fields, sorted by field number (stable: wire order is kept
/// among fields with the same number).
pub(crate) fn fields<'a>(
    ctx: &mut Ctx,
    buf: &'a [u8],
    message: &'static str,
) -> Result<Vec<RawField<'a>>, ProtoError> {
    ctx.charge(buf.len())?;
    let mut r = Reader::new(buf, message);
    let mut out = Vec::new();
    while !r.at_end() {
        out.push(r.field(ctx)?);
        ctx.charge(1)?;
    }
    out.sort_by_key(|f| f.tag);
    Ok(out)
}

/// The fields with number `tag` from a sorted field list.
pub(crate) fn with_tag<'f, 'a>(fields: &'f [RawField<'a>], tag: u32) -> &'f [RawField<'a>] {
    let start = fields.partition_point(|f| f.tag < tag);
    let rest = fields.get(start..).unwrap_or_default();
    let len = rest.partition_point(|f| f.tag == tag);
    rest.get(..len).unwrap_or_default()
}
