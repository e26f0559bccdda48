//! Service-account tokens: ES256-signed JWTs like upstream's bound tokens. The server
//! issues them through `serviceaccounts/<name>/token` (TokenRequest) and accepts them as
//! bearer tokens; [`SaTokenVerifier`] checks signature, issuer, audience and expiry, and
//! returns the claims so the server can check the service account (and bound pod) still
//! exist with the same uid.

use std::path::Path;

use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair as _, UnparsedPublicKey};
use serde::{Deserialize, Serialize};

use crate::error::{AuthError, Result};
use crate::user::UserInfo;

/// The issuer and default audience, as upstream's default `--service-account-issuer`.
pub const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// What a token says about its bearer (the `kubernetes.io` private claim).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub aud: Vec<String>,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub jti: String,
    #[serde(rename = "kubernetes.io")]
    pub kubernetes: KubernetesClaims,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubernetesClaims {
    pub namespace: String,
    pub serviceaccount: ObjectClaim,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pod: Option<ObjectClaim>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub secret: Option<ObjectClaim>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectClaim {
    pub name: String,
    pub uid: String,
}

impl Claims {
    /// The user a valid token authenticates as.
    pub fn user(&self) -> UserInfo {
        let k = &self.kubernetes;
        let mut u =
            UserInfo::service_account(&k.namespace, &k.serviceaccount.name, &k.serviceaccount.uid);
        u.extra.insert(
            "authentication.kubernetes.io/credential-id".into(),
            vec![format!("JTI={}", self.jti)],
        );
        if let Some(p) = &k.pod {
            u.extra.insert(
                "authentication.kubernetes.io/pod-name".into(),
                vec![p.name.clone()],
            );
            u.extra.insert(
                "authentication.kubernetes.io/pod-uid".into(),
                vec![p.uid.clone()],
            );
        }
        u
    }
}

/// The signing key (ECDSA P-256, PKCS#8).
pub struct SaSigner {
    key: EcdsaKeyPair,
    kid: String,
}

fn crypto(e: impl std::fmt::Display) -> AuthError {
    AuthError::InvalidCertificate(format!("service account key: {e}"))
}

impl SaSigner {
    /// Loads `path` (PEM `PRIVATE KEY`), creating it on first use.
    pub fn load_or_create(path: &Path) -> Result<Self> {
        let pkcs8 = if path.exists() {
            let pem = std::fs::read_to_string(path)
                .map_err(|e| crypto(format!("{}: {e}", path.display())))?;
            let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(crypto)?
        } else {
            let doc = EcdsaKeyPair::generate_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &SystemRandom::new(),
            )
            .map_err(crypto)?;
            let b64 = base64::engine::general_purpose::STANDARD.encode(doc.as_ref());
            let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
            for chunk in b64.as_bytes().chunks(64) {
                pem.push_str(&String::from_utf8_lossy(chunk));
                pem.push('\n');
            }
            pem.push_str("-----END PRIVATE KEY-----\n");
            crate::pki::write_file(path, &pem, 0o600)?;
            doc.as_ref().to_vec()
        };
        let key = EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &pkcs8,
            &SystemRandom::new(),
        )
        .map_err(crypto)?;
        let kid = {
            use sha2::Digest as _;
            B64.encode(sha2::Sha256::digest(key.public_key().as_ref()))
        };
        Ok(Self { key, kid })
    }

    /// Signs `claims` into a compact JWS.
    pub fn sign(&self, claims: &Claims) -> Result<String> {
        let header = serde_json::json!({"alg": "ES256", "kid": self.kid});
        let enc = |v: &[u8]| B64.encode(v);
        let head = enc(&serde_json::to_vec(&header).map_err(crypto)?);
        let body = enc(&serde_json::to_vec(claims).map_err(crypto)?);
        let input = format!("{head}.{body}");
        let sig = self
            .key
            .sign(&SystemRandom::new(), input.as_bytes())
            .map_err(crypto)?;
        Ok(format!("{input}.{}", enc(sig.as_ref())))
    }

    /// A verifier for tokens this key signed.
    pub fn verifier(&self) -> SaTokenVerifier {
        SaTokenVerifier {
            public: self.key.public_key().as_ref().to_vec(),
        }
    }
}

/// Checks tokens signed by the cluster's service-account key.
#[derive(Clone)]
pub struct SaTokenVerifier {
    public: Vec<u8>,
}

impl SaTokenVerifier {
    /// The token's claims when its signature, issuer, audience and validity window hold
    /// at `now` (unix seconds); `None` otherwise (including tokens that are not JWTs).
    pub fn verify(&self, token: &str, now: i64) -> Option<Claims> {
        let mut parts = token.split('.');
        let (head, body, sig) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || token.len() > 16 * 1024 {
            return None;
        }
        let header: serde_json::Value = serde_json::from_slice(&B64.decode(head).ok()?).ok()?;
        if header.get("alg").and_then(|a| a.as_str()) != Some("ES256") {
            return None;
        }
        let sig = B64.decode(sig).ok()?;
        let input = &token[..head.len() + 1 + body.len()];
        UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &self.public)
            .verify(input.as_bytes(), &sig)
            .ok()?;
        let claims: Claims = serde_json::from_slice(&B64.decode(body).ok()?).ok()?;
        let valid = claims.iss == ISSUER
            && claims.aud.iter().any(|a| a == ISSUER)
            && claims.nbf <= now + 60
            && now < claims.exp
            && claims.sub
                == crate::user::service_account_username(
                    &claims.kubernetes.namespace,
                    &claims.kubernetes.serviceaccount.name,
                );
        valid.then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            iss: ISSUER.into(),
            sub: "system:serviceaccount:ns:sa".into(),
            aud: vec![ISSUER.into()],
            exp,
            iat: 100,
            nbf: 100,
            jti: "j".into(),
            kubernetes: KubernetesClaims {
                namespace: "ns".into(),
                serviceaccount: ObjectClaim {
                    name: "sa".into(),
                    uid: "u".into(),
                },
                pod: None,
                secret: None,
            },
        }
    }

    #[test]
    fn sign_verify_and_reject() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sa.key");
        let signer = SaSigner::load_or_create(&path).unwrap();
        let token = signer.sign(&claims(1000)).unwrap();
        let v = signer.verifier();
        let c = v.verify(&token, 500).unwrap();
        assert_eq!(c.user().name, "system:serviceaccount:ns:sa");
        assert!(
            c.user()
                .groups
                .contains(&"system:serviceaccounts:ns".to_string())
        );
        assert!(v.verify(&token, 1000).is_none(), "expired");
        let mut tampered = token.clone();
        tampered.insert(tampered.len() - 3, 'A');
        assert!(v.verify(&tampered, 500).is_none());
        assert!(v.verify("not-a-jwt", 500).is_none());
        // The key persists: a reloaded signer verifies the old token.
        let again = SaSigner::load_or_create(&path).unwrap();
        assert!(again.verifier().verify(&token, 500).is_some());
    }
}
