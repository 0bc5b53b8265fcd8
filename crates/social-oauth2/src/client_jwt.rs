//! Client credentials the client signs itself (feature `oidc`): RFC 7523 client assertions
//! for OpenID Connect's `private_key_jwt` and `client_secret_jwt`, and client secrets that
//! are JWTs (Apple's), cached until near their expiry.

use std::{fmt, sync::Mutex};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use social_core::{
    backend::ProviderCx,
    error::{AuthError, ErrorKind, Result, Stage},
};

/// The `client_assertion_type` of a JWT client assertion (RFC 7523 section 2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long a client assertion is valid: it is used at once.
const ASSERTION_LIFETIME: i64 = 120;

/// A private key the client signs with: the algorithm, the key id (`kid`) and the key.
#[derive(Clone)]
pub struct SigningKey {
    alg: Algorithm,
    kid: Option<String>,
    key: EncodingKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Reads a PEM private key: RSA (PKCS#1 or PKCS#8) signs RS256, an EC P-256 key (such
    /// as Apple's `.p8` files) ES256. `Err` says what is wrong, without the key.
    pub fn from_pem(pem: &str, kid: Option<&str>) -> std::result::Result<Self, String> {
        let (label, der) = pem_block(pem).ok_or_else(|| {
            "is not a PEM private key: give the key file's text, from `-----BEGIN PRIVATE KEY-----` \
             to its END line"
                .to_owned()
        })?;
        let (alg, key) = match label.as_str() {
            "RSA PRIVATE KEY" => (Algorithm::RS256, EncodingKey::from_rsa_der(&der)),
            "EC PRIVATE KEY" => {
                return Err(
                    "is a SEC1 EC key: convert it to PKCS#8 (`openssl pkcs8 -topk8 \
                            -nocrypt`), the form Apple's .p8 files have"
                        .to_owned(),
                );
            }
            "PRIVATE KEY" => {
                use rsa::pkcs1::EncodeRsaPrivateKey as _;
                use rsa::pkcs8::DecodePrivateKey as _;
                match rsa::RsaPrivateKey::from_pkcs8_der(&der) {
                    Ok(rsa) => {
                        let pkcs1 = rsa
                            .to_pkcs1_der()
                            .map_err(|_| "is an RSA key that cannot be read".to_owned())?;
                        (
                            Algorithm::RS256,
                            EncodingKey::from_rsa_der(pkcs1.as_bytes()),
                        )
                    }
                    Err(_) => (Algorithm::ES256, EncodingKey::from_ec_der(&der)),
                }
            }
            other => return Err(format!("is a PEM `{other}`, not a private key")),
        };
        let signing = Self {
            alg,
            kid: kid.map(str::to_owned),
            key,
        };
        // A P-384 key or a broken one is read but cannot sign: find out now, not at login.
        signing
            .sign(&serde_json::json!({"probe": true}))
            .map_err(|_| {
                "cannot sign: only RSA and EC P-256 private keys are supported".to_owned()
            })?;
        Ok(signing)
    }

    /// The signature algorithm the key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// Signs `claims` as a compact JWS.
    pub fn sign<T: Serialize>(&self, claims: &T) -> std::result::Result<String, String> {
        let mut header = Header::new(self.alg);
        header.kid.clone_from(&self.kid);
        jsonwebtoken::encode(&header, claims, &self.key).map_err(|e| e.to_string())
    }
}

/// The label and bytes of the first PEM block of `text`.
fn pem_block(text: &str) -> Option<(String, Vec<u8>)> {
    use base64::{Engine as _, engine::general_purpose::STANDARD};
    let text = text.trim();
    let rest = text.strip_prefix("-----BEGIN ")?;
    let (label, rest) = rest.split_once("-----")?;
    let end = format!("-----END {label}-----");
    let body = &rest[..rest.find(&end)?];
    let body: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let der = STANDARD.decode(body).ok()?;
    Some((label.to_owned(), der))
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    jti: Option<String>,
}

/// A fresh RFC 7523 client assertion for client `client_id` at the token endpoint `audience`:
/// issuer and subject the client id, a new `jti`, valid two minutes from `now`.
pub fn client_assertion(
    key: &SigningKey,
    client_id: &str,
    audience: &str,
    now: i64,
) -> Result<String> {
    let jti = crate::random_state();
    let claims = Claims {
        iss: client_id,
        sub: client_id,
        aud: audience,
        iat: now,
        exp: now + ASSERTION_LIFETIME,
        jti: Some(jti),
    };
    key.sign(&claims).map_err(signing_failed)
}

/// A client assertion signed with the client secret (HS256, `client_secret_jwt`).
pub fn secret_assertion(secret: &str, client_id: &str, audience: &str, now: i64) -> Result<String> {
    let key = SigningKey {
        alg: Algorithm::HS256,
        kid: None,
        key: EncodingKey::from_secret(secret.as_bytes()),
    };
    client_assertion(&key, client_id, audience, now)
}

fn signing_failed(why: String) -> AuthError {
    AuthError::new(
        ErrorKind::Unknown,
        Stage::Token,
        format!("could not sign the client credentials: {why}"),
    )
}

/// A client secret that is a JWT the client signs (Apple's: ES256, issuer the team id,
/// subject the client id, at most six months), made when first needed and again when less
/// than a tenth of its lifetime is left.
///
/// Kept as `Arc<GeneratedSecret>` by a backend's `configure`
/// ([`Configure::keep`](social_core::Configure::keep)), it replaces `SECRET` wherever the
/// client authenticates ([`crate::client_request`]).
pub struct GeneratedSecret {
    key: SigningKey,
    issuer: String,
    audience: String,
    lifetime: i64,
    cached: Mutex<Option<(String, i64)>>,
}

impl fmt::Debug for GeneratedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedSecret")
            .field("key", &self.key)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl GeneratedSecret {
    /// Secrets signed by `key`, issued by `issuer` for `audience`, valid `lifetime` seconds.
    pub fn new(key: SigningKey, issuer: &str, audience: &str, lifetime: u64) -> Self {
        Self {
            key,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            lifetime: i64::try_from(lifetime).unwrap_or(i64::MAX).max(1),
            cached: Mutex::new(None),
        }
    }

    /// The secret for client `client_id` at `now`: the cached one while more than a tenth of
    /// its lifetime is left, else a new one.
    pub fn secret(&self, client_id: &str, now: i64) -> Result<String> {
        let mut cached = self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((secret, exp)) = cached.as_ref()
            && exp - now > self.lifetime / 10
        {
            return Ok(secret.clone());
        }
        let exp = now + self.lifetime;
        let claims = Claims {
            iss: &self.issuer,
            sub: client_id,
            aud: &self.audience,
            iat: now,
            exp,
            jti: None,
        };
        let secret = self.key.sign(&claims).map_err(signing_failed)?;
        *cached = Some((secret.clone(), exp));
        Ok(secret)
    }
}

/// The client secret of `cx`'s backend: generated when its `configure` kept a
/// [`GeneratedSecret`], else the `SECRET` setting.
pub(crate) fn client_secret(cx: &ProviderCx<'_>) -> Result<String> {
    match cx.backend.typed::<std::sync::Arc<GeneratedSecret>>() {
        Some(generated) => generated.secret(cx.key()?, cx.clock.now()),
        None => cx.secret().map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
    use serde_json::Value;

    // A P-256 test key made for these tests only.
    const EC_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgQgPx+wJGbsJZED5Q
Xq8xOzGZXQG0RNVNl/wNnPykmLOhRANCAAQ8B2lNrNbwgp6pIit0N7LbJqQdTKUR
TDAZO+C7Lp9QMt6PdlVx8+o5Brl6pyJgZW6v/vfdAvKG5HMr2iohMmoX
-----END PRIVATE KEY-----";

    fn part(jwt: &str, i: usize) -> Value {
        let segment = jwt.split('.').nth(i).unwrap_or_default();
        let bytes = URL_SAFE_NO_PAD.decode(segment).unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    }

    #[test]
    fn an_ec_key_signs_es256_with_its_kid() {
        let key = SigningKey::from_pem(EC_KEY, Some("ABC123DEFG")).expect("test value");
        assert_eq!(key.algorithm(), Algorithm::ES256);
        let jwt = client_assertion(&key, "client", "https://idp.example/token", 1_000)
            .expect("test value");
        let header = part(&jwt, 0);
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["kid"], "ABC123DEFG");
        let claims = part(&jwt, 1);
        assert_eq!(claims["iss"], "client");
        assert_eq!(claims["sub"], "client");
        assert_eq!(claims["aud"], "https://idp.example/token");
        assert_eq!(claims["exp"], 1_120);
        let again = client_assertion(&key, "client", "https://idp.example/token", 1_000)
            .expect("test value");
        assert_ne!(
            part(&again, 1)["jti"],
            claims["jti"],
            "a fresh jti each time"
        );
    }

    #[test]
    fn an_rsa_pkcs8_key_signs_rs256() {
        use rsa::pkcs8::{EncodePrivateKey as _, LineEnding};
        let rsa = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).expect("test value");
        let pem = rsa.to_pkcs8_pem(LineEnding::LF).expect("test value");
        let key = SigningKey::from_pem(&pem, None).expect("test value");
        assert_eq!(key.algorithm(), Algorithm::RS256);
        let jwt =
            client_assertion(&key, "client", "https://idp.example/token", 0).expect("test value");
        assert_eq!(part(&jwt, 0)["alg"], "RS256");
        assert!(part(&jwt, 0).get("kid").is_none());
    }

    #[test]
    fn what_is_not_a_private_key_is_refused_without_echoing_it() {
        for bad in [
            "secret",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
        ] {
            let err = SigningKey::from_pem(bad, None).expect_err("refused");
            assert!(!err.contains("AAAA") && !err.contains("secret"), "{err}");
        }
    }

    #[test]
    fn a_generated_secret_is_cached_until_a_tenth_of_its_life_is_left() {
        let key = SigningKey::from_pem(EC_KEY, Some("KID")).expect("test value");
        let generated = GeneratedSecret::new(key, "TEAM", "https://appleid.apple.com", 1_000);
        let first = generated.secret("com.example.web", 0).expect("test value");
        assert_eq!(
            generated
                .secret("com.example.web", 899)
                .expect("test value"),
            first
        );
        let second = generated
            .secret("com.example.web", 901)
            .expect("test value");
        assert_ne!(second, first);
        let claims = part(&second, 1);
        assert_eq!(
            (
                claims["iss"].clone(),
                claims["sub"].clone(),
                claims["exp"].clone()
            ),
            ("TEAM".into(), "com.example.web".into(), 1_901.into())
        );
        assert!(claims.get("jti").is_none());
    }
}
