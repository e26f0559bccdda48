//! Just enough DER to give a certificate a subject rcgen cannot express.
//!
//! rcgen keeps one value per attribute type in a distinguished name, but Kubernetes reads
//! a user's groups from *every* `O` attribute of the client certificate's subject. So a
//! client certificate is first issued by rcgen, then its subject is replaced by one with
//! an `O` per group and the TBS part is signed again with the CA key.

use rcgen::SigningKey;

use crate::error::{AuthError, Result};

/// DER of OID 2.5.4.3 (commonName).
const OID_COMMON_NAME: &[u8] = &[0x06, 0x03, 0x55, 0x04, 0x03];
/// DER of OID 2.5.4.10 (organizationName).
const OID_ORGANIZATION: &[u8] = &[0x06, 0x03, 0x55, 0x04, 0x0a];
const TAG_SEQUENCE: u8 = 0x30;
const TAG_SET: u8 = 0x31;
const TAG_UTF8_STRING: u8 = 0x0c;
const TAG_BIT_STRING: u8 = 0x03;

/// One parsed TLV: its tag, the whole encoding and the content.
struct Tlv<'a> {
    tag: u8,
    whole: &'a [u8],
    content: &'a [u8],
}

fn bad(what: &str) -> AuthError {
    AuthError::InvalidCertificate(format!("malformed DER: {what}"))
}

/// Reads one TLV from the front of `input`, returning it and the rest.
fn read_tlv(input: &[u8]) -> Result<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input.split_first().ok_or_else(|| bad("truncated tag"))?;
    let (&first, mut rest) = rest.split_first().ok_or_else(|| bad("truncated length"))?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return Err(bad("unsupported length"));
        }
        let (bytes, after) = rest.split_at(n);
        rest = after;
        bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
    };
    if rest.len() < len {
        return Err(bad("truncated content"));
    }
    let header = input.len() - rest.len();
    let (content, after) = rest.split_at(len);
    Ok((
        Tlv {
            tag,
            whole: &input[..header + len],
            content,
        },
        after,
    ))
}

/// Encodes a TLV with a definite length.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8); // < 0x80, fits
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8); // at most size_of::<usize>() bytes
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// `Name` with one RDN per organization then the common name, the order Go's
/// `pkix.Name.ToRDNSequence` writes them in.
pub(crate) fn encode_name(common_name: &str, organizations: &[String]) -> Vec<u8> {
    let rdn = |oid: &[u8], value: &str| {
        let mut atv = oid.to_vec();
        atv.extend(tlv(TAG_UTF8_STRING, value.as_bytes()));
        tlv(TAG_SET, &tlv(TAG_SEQUENCE, &atv))
    };
    let mut rdns = Vec::new();
    for o in organizations {
        rdns.extend(rdn(OID_ORGANIZATION, o));
    }
    rdns.extend(rdn(OID_COMMON_NAME, common_name));
    tlv(TAG_SEQUENCE, &rdns)
}

/// Returns `cert_der` with its subject replaced by `subject` (an encoded `Name`) and
/// signed again with `key`, which must be the issuer's key.
pub(crate) fn replace_subject(
    cert_der: &[u8],
    subject: &[u8],
    key: &impl SigningKey,
) -> Result<Vec<u8>> {
    let (cert, _) = read_tlv(cert_der)?;
    let (tbs, rest) = read_tlv(cert.content)?;
    let (sig_alg, _) = read_tlv(rest)?;
    if cert.tag != TAG_SEQUENCE || tbs.tag != TAG_SEQUENCE || sig_alg.tag != TAG_SEQUENCE {
        return Err(bad("not a certificate"));
    }
    // TBSCertificate: [0] version, serial, signature, issuer, validity, subject, ...
    let mut fields = Vec::new();
    let mut cursor = tbs.content;
    while !cursor.is_empty() {
        let (field, after) = read_tlv(cursor)?;
        fields.push(field.whole);
        cursor = after;
    }
    if fields.len() < 7 {
        return Err(bad("short TBSCertificate"));
    }
    fields[5] = subject;
    let new_tbs = tlv(TAG_SEQUENCE, &fields.concat());
    let signature = key.sign(&new_tbs)?;
    let mut bits = vec![0u8];
    bits.extend(signature);
    let mut body = new_tbs;
    body.extend_from_slice(sig_alg.whole);
    body.extend(tlv(TAG_BIT_STRING, &bits));
    Ok(tlv(TAG_SEQUENCE, &body))
}

/// DER of OID 1.2.840.113549.1.1.1 (rsaEncryption) with NULL parameters.
const RSA_ENCRYPTION_ALG_ID: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];

/// Wraps a PKCS#1 `RSAPrivateKey` (kubeadm's `RSA PRIVATE KEY`) in a PKCS#8
/// `PrivateKeyInfo`, the only form ring loads.
pub(crate) fn pkcs1_to_pkcs8(pkcs1: &[u8]) -> Vec<u8> {
    let mut body = vec![0x02, 0x01, 0x00];
    body.extend_from_slice(RSA_ENCRYPTION_ALG_ID);
    body.extend(tlv(0x04, pkcs1));
    tlv(TAG_SEQUENCE, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lengths_round_trip() {
        let content = vec![7u8; 300];
        let enc = tlv(TAG_SEQUENCE, &content);
        assert_eq!(&enc[..4], &[0x30, 0x82, 0x01, 0x2c]);
        let (t, rest) = read_tlv(&enc)
            .map_err(|e| e.to_string())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(rest.is_empty());
        assert_eq!(t.content.len(), 300);
    }

    #[test]
    fn truncated_input_is_an_error() {
        for input in [
            &[][..],
            &[0x30],
            &[0x30, 0x05, 1],
            &[0x30, 0x80],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
        ] {
            assert!(read_tlv(input).is_err());
        }
    }
}
