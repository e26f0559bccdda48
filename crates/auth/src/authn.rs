//! Authentication: client certificates, bearer tokens and the anonymous fallback, chained
//! the way kube-apiserver chains them.
//!
//! Order and failure rules follow upstream's authenticator union: a client certificate
//! with a common name wins; otherwise a bearer token is tried, and a token nobody
//! recognises is an error (401), never a silent fall back to anonymous. Only a request
//! that presents no usable credential at all becomes `system:anonymous`.

use std::collections::BTreeMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::user::{CREDENTIAL_ID_KEY, UserInfo};

/// Why a request could not be authenticated (the server answers 401 `Unauthorized`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthnError {
    /// A bearer token no token authenticator recognised (upstream: `invalid bearer token`).
    #[error("invalid bearer token")]
    InvalidBearerToken,
    /// The client certificate could not be parsed.
    #[error("invalid client certificate: {0}")]
    InvalidCertificate(String),
    /// No credential was presented and anonymous requests are disabled.
    #[error("anonymous requests are disabled")]
    AnonymousDisabled,
}

/// Resolves bearer tokens to identities. Service-account JWTs plug in here later.
pub trait TokenAuthenticator: Send + Sync {
    /// `Some(user)` when the token is known, `None` when this authenticator does not know it.
    fn authenticate_token(&self, token: &str) -> Option<UserInfo>;
}

/// Several token authenticators tried in order; the first that knows the token wins.
#[derive(Default, Clone)]
pub struct TokenAuthenticators(pub Vec<Arc<dyn TokenAuthenticator>>);

impl TokenAuthenticator for TokenAuthenticators {
    fn authenticate_token(&self, token: &str) -> Option<UserInfo> {
        self.0.iter().find_map(|a| a.authenticate_token(token))
    }
}

/// The identity in a client certificate that the TLS layer already verified against the
/// cluster CA (upstream's `CommonNameUserConversion`): CN is the user name, each O a group,
/// and the extra `authentication.kubernetes.io/credential-id` is `X509SHA256=<hex>`.
/// `Ok(None)` when the certificate has no common name (the next authenticator is tried).
/// `system:authenticated` is *not* added here; [`Authenticator`] adds it.
pub fn user_from_client_cert(der: &[u8]) -> Result<Option<UserInfo>, AuthnError> {
    let (_, cert) = X509Certificate::from_der(der)
        .map_err(|e| AuthnError::InvalidCertificate(e.to_string()))?;
    let subject = cert.subject();
    // Go's pkix keeps the last CN when several are present, and every O in order.
    let Some(cn) = subject
        .iter_common_name()
        .filter_map(|a| a.as_str().ok())
        .last()
    else {
        return Ok(None);
    };
    if cn.is_empty() {
        return Ok(None);
    }
    let groups = subject
        .iter_organization()
        .filter_map(|a| a.as_str().ok())
        .map(str::to_string)
        .collect();
    let fingerprint: String = Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut extra = BTreeMap::new();
    extra.insert(
        CREDENTIAL_ID_KEY.to_string(),
        vec![format!("X509SHA256={fingerprint}")],
    );
    Ok(Some(UserInfo {
        name: cn.to_string(),
        uid: String::new(),
        groups,
        extra,
    }))
}

/// The token of an `Authorization: Bearer <token>` header, as upstream's bearertoken
/// authenticator reads it: the scheme is case-insensitive, an empty token is no token.
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let mut parts = authorization.trim().splitn(3, ' ');
    let scheme = parts.next()?;
    let token = parts.next()?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return None;
    }
    Some(token)
}

/// The request authenticator the server calls once per request.
#[derive(Clone)]
pub struct Authenticator {
    pub tokens: Arc<dyn TokenAuthenticator>,
    /// Upstream's `--anonymous-auth` (default true).
    pub anonymous: bool,
}

impl Authenticator {
    pub fn new(tokens: Arc<dyn TokenAuthenticator>) -> Self {
        Self {
            tokens,
            anonymous: true,
        }
    }

    /// Authenticates from the verified client leaf certificate (DER), if any, and the
    /// `Authorization` header, if any. The returned identity carries
    /// `system:authenticated` unless it is the anonymous one.
    pub fn authenticate(
        &self,
        client_cert: Option<&[u8]>,
        authorization: Option<&str>,
    ) -> Result<UserInfo, AuthnError> {
        let mut cert_error = None;
        if let Some(der) = client_cert {
            match user_from_client_cert(der) {
                Ok(Some(user)) => return Ok(user.with_authenticated_group()),
                Ok(None) => {}
                Err(e) => cert_error = Some(e),
            }
        }
        if let Some(token) = authorization.and_then(bearer_token) {
            return match self.tokens.authenticate_token(token) {
                Some(user) => Ok(user.with_authenticated_group()),
                None => Err(AuthnError::InvalidBearerToken),
            };
        }
        if let Some(e) = cert_error {
            return Err(e);
        }
        if self.anonymous {
            Ok(UserInfo::anonymous())
        } else {
            Err(AuthnError::AnonymousDisabled)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_header_parsing() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("  bearer abc  "), Some("abc"));
        assert_eq!(bearer_token("BEARER abc extra"), Some("abc"));
        assert_eq!(bearer_token("Bearer  abc"), None);
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token(""), None);
    }

    #[test]
    fn garbage_certificate_is_an_error_not_a_panic() {
        assert!(user_from_client_cert(b"\x30\x03\x02\x01").is_err());
        assert!(user_from_client_cert(&[]).is_err());
    }
}
