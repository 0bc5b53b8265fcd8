//! The mock provider's RS256 signing key and its JWK.

use std::sync::{Arc, OnceLock};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::{RsaPrivateKey, pkcs1::EncodeRsaPrivateKey, traits::PublicKeyParts};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// An RSA key that signs ID tokens, with the public half as a JWK.
#[derive(Clone)]
pub struct MockKey {
    inner: Arc<KeyInner>,
}

struct KeyInner {
    kid: String,
    encoding: EncodingKey,
    jwk: Value,
}

impl std::fmt::Debug for MockKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockKey")
            .field("kid", &self.inner.kid)
            .finish_non_exhaustive()
    }
}

impl MockKey {
    /// Generates a fresh 2048-bit key.
    pub fn generate() -> Result<Self, KeyError> {
        let private = RsaPrivateKey::new(&mut rand::thread_rng(), 2048)
            .map_err(|e| KeyError(e.to_string()))?;
        let der = private
            .to_pkcs1_der()
            .map_err(|e| KeyError(e.to_string()))?;
        let n = URL_SAFE_NO_PAD.encode(private.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(private.e().to_bytes_be());
        // RFC 7638 thumbprint: the required members in lexicographic order, no spaces.
        let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
        let jwk = json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e});
        Ok(Self {
            inner: Arc::new(KeyInner {
                kid,
                encoding: EncodingKey::from_rsa_der(der.as_bytes()),
                jwk,
            }),
        })
    }

    /// One key for the whole process, generated on first use.
    ///
    /// RSA key generation takes seconds in unoptimized builds; tests that start many
    /// providers share this one instead of paying it each time.
    pub fn shared() -> Result<Self, KeyError> {
        static SHARED: OnceLock<Result<MockKey, KeyError>> = OnceLock::new();
        SHARED.get_or_init(Self::generate).clone()
    }

    /// The key id, an RFC 7638 thumbprint.
    pub fn kid(&self) -> &str {
        &self.inner.kid
    }

    /// The public key as a JWK (`kty`, `use`, `alg`, `kid`, `n`, `e`).
    pub fn jwk(&self) -> &Value {
        &self.inner.jwk
    }

    /// Signs `claims` as an RS256 JWT carrying this key's id.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, KeyError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.inner.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.inner.encoding)
            .map_err(|e| KeyError(e.to_string()))
    }
}

/// Why a key could not be made or used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError(String);

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "mock provider signing key: {}", self.0)
    }
}

impl std::error::Error for KeyError {}
