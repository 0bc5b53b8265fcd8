//! ID-token validation (OpenID Connect Core 1.0, section 3.1.3.7) against a key set.

use std::{fmt, str::FromStr};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{
    Algorithm, AlgorithmFamily,
    jwk::{AlgorithmParameters, EllipticCurve, Jwk},
};
use ring::signature::{self as ring_sig, RsaPublicKeyComponents, UnparsedPublicKey};
use serde_json::{Map, Value};
use sha2::Digest as _;
use subtle::ConstantTimeEq;

use social_core::error::{AuthError, ErrorKind, Result, Stage};

/// The shortest RSA modulus a verification key may have (RFC 7518 section 3.3).
const MIN_RSA_BITS: usize = 2048;

/// The placeholder Microsoft-style multi-tenant issuers carry in their discovery document.
pub const TENANT_PLACEHOLDER: &str = "{tenantid}";

/// The verification keys of a provider, parsed from its JWKS.
///
/// Symmetric (`oct`) keys and encryption keys are dropped: ID tokens are checked with public
/// signature keys only. Keys this crate cannot read are skipped, not fatal, so that one exotic
/// key does not break logins signed with the others.
#[derive(Clone, Default)]
pub struct KeySet {
    keys: Vec<Key>,
}

#[derive(Clone)]
struct Key {
    kid: Option<String>,
    alg: Option<Algorithm>,
    family: AlgorithmFamily,
    curve: Option<EllipticCurve>,
    key: PublicKey,
}

/// A verification key, decoded once when the JWKS is read, so that a verification only
/// verifies (with ring, the crypto the TLS stack links).
#[derive(Clone)]
enum PublicKey {
    /// Modulus and exponent, big-endian, without leading zeros.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// An uncompressed point: `0x04`, x, y.
    Ec(Vec<u8>),
    /// An Ed25519 public key.
    Ed(Vec<u8>),
}

impl PublicKey {
    /// The key of `jwk`, when its material is well formed.
    fn from_jwk(params: &AlgorithmParameters) -> Option<Self> {
        let bytes = |text: &str| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok();
        let unpadded = |mut value: Vec<u8>| {
            let zeros = value.iter().take_while(|b| **b == 0).count();
            value.drain(..zeros);
            (!value.is_empty()).then_some(value)
        };
        match params {
            AlgorithmParameters::RSA(rsa) => Some(Self::Rsa {
                n: unpadded(bytes(&rsa.n)?)?,
                e: unpadded(bytes(&rsa.e)?)?,
            }),
            AlgorithmParameters::EllipticCurve(ec) => {
                let size = match ec.curve {
                    EllipticCurve::P256 => 32,
                    EllipticCurve::P384 => 48,
                    _ => return None,
                };
                let (x, y) = (bytes(&ec.x)?, bytes(&ec.y)?);
                if x.len() != size || y.len() != size {
                    return None;
                }
                let mut point = Vec::with_capacity(1 + 2 * size);
                point.push(0x04);
                point.extend(x);
                point.extend(y);
                Some(Self::Ec(point))
            }
            AlgorithmParameters::OctetKeyPair(okp) => {
                let x = bytes(&okp.x)?;
                (okp.curve == EllipticCurve::Ed25519 && x.len() == 32).then_some(Self::Ed(x))
            }
            _ => None,
        }
    }

    /// Whether `signature` over `message` verifies with this key by `alg`.
    fn verifies(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Self::Rsa { n, e } => {
                let params = match alg {
                    Algorithm::RS256 => &ring_sig::RSA_PKCS1_2048_8192_SHA256,
                    Algorithm::RS384 => &ring_sig::RSA_PKCS1_2048_8192_SHA384,
                    Algorithm::RS512 => &ring_sig::RSA_PKCS1_2048_8192_SHA512,
                    Algorithm::PS256 => &ring_sig::RSA_PSS_2048_8192_SHA256,
                    Algorithm::PS384 => &ring_sig::RSA_PSS_2048_8192_SHA384,
                    Algorithm::PS512 => &ring_sig::RSA_PSS_2048_8192_SHA512,
                    _ => return false,
                };
                RsaPublicKeyComponents { n, e }
                    .verify(params, message, signature)
                    .is_ok()
            }
            Self::Ec(point) => {
                let params = match alg {
                    Algorithm::ES256 => &ring_sig::ECDSA_P256_SHA256_FIXED,
                    Algorithm::ES384 => &ring_sig::ECDSA_P384_SHA384_FIXED,
                    _ => return false,
                };
                UnparsedPublicKey::new(params, point)
                    .verify(message, signature)
                    .is_ok()
            }
            Self::Ed(x) => {
                alg == Algorithm::EdDSA
                    && UnparsedPublicKey::new(&ring_sig::ED25519, x)
                        .verify(message, signature)
                        .is_ok()
            }
        }
    }
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.keys.iter().map(|k| k.kid.as_deref().unwrap_or("-")))
            .finish()
    }
}

impl KeySet {
    /// Parses a JWKS document (`{"keys": [...]}`).
    pub fn from_jwks(jwks: &Value) -> Result<Self> {
        let Some(keys) = jwks.get("keys").and_then(Value::as_array) else {
            return Err(AuthError::new(
                ErrorKind::InvalidResponse,
                Stage::Token,
                "the JWKS has no `keys` array",
            ));
        };
        let keys = keys.iter().filter_map(Key::parse).collect();
        Ok(Self { keys })
    }

    /// How many usable keys the set holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set holds no usable key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether a key with this `kid` is in the set.
    pub fn contains(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
    }
}

impl Key {
    fn parse(value: &Value) -> Option<Self> {
        if value
            .get("use")
            .and_then(Value::as_str)
            .is_some_and(|u| u != "sig")
        {
            return None;
        }
        let jwk: Jwk = serde_json::from_value(value.clone()).ok()?;
        let (family, curve) = match &jwk.algorithm {
            // RFC 7518 section 3.3: RSA keys of fewer than 2048 bits must not be used; a
            // signature by one is forgeable by factoring.
            AlgorithmParameters::RSA(rsa) => {
                let bits = URL_SAFE_NO_PAD
                    .decode(rsa.n.trim_end_matches('='))
                    .map(|n| n.iter().skip_while(|b| **b == 0).count() * 8)
                    .unwrap_or(0);
                if bits < MIN_RSA_BITS {
                    tracing::warn!(
                        kid = jwk.common.key_id.as_deref().unwrap_or("-"),
                        bits,
                        "ignoring an RSA key shorter than 2048 bits in a JWKS"
                    );
                    return None;
                }
                (AlgorithmFamily::Rsa, None)
            }
            AlgorithmParameters::EllipticCurve(p) => (AlgorithmFamily::Ec, Some(p.curve.clone())),
            AlgorithmParameters::OctetKeyPair(p) => (AlgorithmFamily::Ed, Some(p.curve.clone())),
            // A shared secret published in a JWKS is public: never a verification key.
            _ => return None,
        };
        let alg = match value.get("alg").and_then(Value::as_str) {
            None => None,
            Some(name) => Some(Algorithm::from_str(name).ok()?),
        };
        Some(Self {
            kid: jwk.common.key_id.clone(),
            alg,
            family,
            curve,
            key: PublicKey::from_jwk(&jwk.algorithm)?,
        })
    }

    /// Whether this key may verify a signature made with `alg`.
    fn fits(&self, alg: Algorithm) -> bool {
        let curve_fits = match (alg, &self.curve) {
            (Algorithm::ES256, Some(c)) => *c == EllipticCurve::P256,
            (Algorithm::ES384, Some(c)) => *c == EllipticCurve::P384,
            (Algorithm::EdDSA, Some(c)) => *c == EllipticCurve::Ed25519,
            _ => true,
        };
        self.family == alg.family() && self.alg.is_none_or(|a| a == alg) && curve_fits
    }
}

/// How the `nonce` claim is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NonceCheck<'a> {
    /// The token must carry this nonce.
    Required(&'a str),
    /// A nonce in the token must be this one; a token without one passes. For providers that
    /// take a `nonce` but do not echo it (LinkedIn).
    IfPresent(&'a str),
    /// No nonce is expected (ID tokens from a refresh).
    Skip,
}

/// What an ID token must satisfy besides its signature, per OpenID Connect Core 1.0 section
/// 3.1.3.7.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IdTokenRules {
    /// The issuer from the discovery document; `iss` must equal it exactly. May hold
    /// [`TENANT_PLACEHOLDER`] when `multi_tenant` is set.
    pub issuer: String,
    /// Our client id: `aud` must contain it, and `azp` must equal it when present (and be
    /// present when there are several audiences).
    pub client_id: String,
    /// The accepted signature algorithms; HMAC algorithms and `none` never pass.
    pub algorithms: Vec<Algorithm>,
    /// Tolerated clock skew, in seconds, for `exp`, `iat` and `nbf`.
    pub leeway: i64,
    /// How old the token may be by its `iat`, in seconds.
    pub max_age: i64,
    /// Replace [`TENANT_PLACEHOLDER`] in `issuer` with the token's `tid` before comparing.
    pub multi_tenant: bool,
    /// Other exact spellings `iss` may take for this issuer (Google's scheme-less
    /// `accounts.google.com`); empty by default. Compared whole, never as patterns.
    pub issuer_aliases: Vec<String>,
    /// Audiences besides our client id that `aud` may name (`TRUSTED_AUDIENCES`); any other
    /// extra audience is refused (OpenID Connect Core 1.0 section 3.1.3.7, step 3).
    pub trusted_audiences: Vec<String>,
}

impl IdTokenRules {
    /// Rules for `issuer` and `client_id` with the defaults: RS256, 30 s leeway, ten minutes
    /// maximum age, single tenant.
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            client_id: client_id.into(),
            algorithms: vec![Algorithm::RS256],
            leeway: 30,
            max_age: 600,
            multi_tenant: false,
            issuer_aliases: Vec::new(),
            trusted_audiences: Vec::new(),
        }
    }

    /// Validates `token` with `keys` at time `now` (Unix seconds). Every failure is
    /// [`ErrorKind::Failed`] whose details name the rule.
    pub fn check(
        &self,
        token: &str,
        keys: &KeySet,
        now: i64,
        nonce: NonceCheck<'_>,
    ) -> Result<IdToken> {
        self.check_inner(token, keys, now, nonce)
            .map_err(|r| match r {
                Rejection::UnknownKey(kid) => {
                    rejected(&format!("no key `{kid}` in the provider's JWKS"))
                }
                Rejection::Invalid(why) => rejected(&why),
            })
    }

    pub(crate) fn check_inner(
        &self,
        token: &str,
        keys: &KeySet,
        now: i64,
        nonce: NonceCheck<'_>,
    ) -> Result<IdToken, Rejection> {
        let invalid = |why: String| Rejection::Invalid(why);
        let parts = token.split('.').count();
        if parts == 5 {
            return Err(invalid(
                "encrypted ID tokens (JWE) are not supported".into(),
            ));
        }
        if parts != 3 {
            return Err(invalid("not a signed JWT".into()));
        }
        let header = token.split('.').next().unwrap_or_default();
        let header: Map<String, Value> = URL_SAFE_NO_PAD
            .decode(header)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| invalid("unreadable JOSE header".into()))?;
        let alg_name = header.get("alg").and_then(Value::as_str).unwrap_or("");
        if alg_name.eq_ignore_ascii_case("none") {
            return Err(invalid("unsigned token (`alg: none`) refused".into()));
        }
        let alg = Algorithm::from_str(alg_name)
            .map_err(|_| invalid(format!("unsupported algorithm `{alg_name}`")))?;
        if alg.family() == AlgorithmFamily::Hmac {
            // The provider's public key would serve as the HMAC secret: algorithm confusion.
            return Err(invalid(format!(
                "`{alg_name}` refused: ID tokens are checked with public keys"
            )));
        }
        if !self.algorithms.contains(&alg) {
            return Err(invalid(format!("algorithm `{alg_name}` is not allowed")));
        }
        // An access token in JWT form (RFC 9068) is not an ID token, whoever signed it.
        if header.get("typ").and_then(Value::as_str).is_some_and(|t| {
            let t = t.to_ascii_lowercase();
            t == "at+jwt" || t == "application/at+jwt"
        }) {
            return Err(invalid("a token typed `at+jwt` is an access token".into()));
        }
        if header.contains_key("crit") {
            return Err(invalid(
                "critical header extensions are not supported".into(),
            ));
        }
        let kid = header.get("kid").and_then(Value::as_str);
        let key = self.select(keys, alg, kid)?;

        // The signature covers `header.payload` as sent; the claims are read only once it
        // verifies.
        let (signed, signature) = token.rsplit_once('.').unwrap_or_default();
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| invalid("undecodable token: the signature is not base64url".into()))?;
        if !key.key.verifies(alg, signed.as_bytes(), &signature) {
            return Err(invalid("the signature does not verify".into()));
        }
        let claims: Map<String, Value> = token
            .split('.')
            .nth(1)
            .and_then(|payload| URL_SAFE_NO_PAD.decode(payload).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| invalid("undecodable token: the claims are not a JSON object".into()))?;
        self.check_claims(&claims, now, nonce).map_err(invalid)?;
        Ok(IdToken {
            alg,
            kid: kid.map(str::to_owned),
            claims,
        })
    }

    fn select<'k>(
        &self,
        keys: &'k KeySet,
        alg: Algorithm,
        kid: Option<&str>,
    ) -> Result<&'k Key, Rejection> {
        match kid {
            Some(kid) => {
                let mut named = keys.keys.iter().filter(|k| k.kid.as_deref() == Some(kid));
                let mut any = false;
                for key in named.by_ref() {
                    any = true;
                    if key.fits(alg) {
                        return Ok(key);
                    }
                }
                if any {
                    Err(Rejection::Invalid(format!(
                        "key `{kid}` is not a {alg:?} key"
                    )))
                } else {
                    Err(Rejection::UnknownKey(kid.to_owned()))
                }
            }
            None => {
                let mut fitting = keys.keys.iter().filter(|k| k.fits(alg));
                match (fitting.next(), fitting.next()) {
                    (Some(key), None) => Ok(key),
                    (None, _) => Err(Rejection::UnknownKey(format!("(none, {alg:?})"))),
                    (Some(_), Some(_)) => Err(Rejection::Invalid(
                        "no `kid` in the token and several keys could have signed it".into(),
                    )),
                }
            }
        }
    }

    fn check_claims(
        &self,
        claims: &Map<String, Value>,
        now: i64,
        nonce: NonceCheck<'_>,
    ) -> Result<(), String> {
        let text = |name: &str| claims.get(name).and_then(Value::as_str);
        let time = |name: &str| claims.get(name).and_then(numeric_date);

        let iss = text("iss").ok_or("no `iss`")?;
        let expected_iss = if self.multi_tenant && self.issuer.contains(TENANT_PLACEHOLDER) {
            let tid = text("tid").ok_or("multi-tenant issuer but no `tid`")?;
            if tid.is_empty() || !tid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return Err("`tid` is not a tenant id".into());
            }
            self.issuer.replace(TENANT_PLACEHOLDER, tid)
        } else {
            self.issuer.clone()
        };
        let aliased = self
            .issuer_aliases
            .iter()
            .any(|a| !a.is_empty() && a == iss);
        if iss != expected_iss && !aliased {
            return Err(format!("`iss` is `{iss}`, expected `{expected_iss}`"));
        }
        if text("sub").is_none_or(str::is_empty) {
            return Err("no `sub`".into());
        }

        let audiences: Vec<&str> = match claims.get("aud") {
            Some(Value::String(aud)) => vec![aud.as_str()],
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
            _ => return Err("no `aud`".into()),
        };
        if !audiences.contains(&self.client_id.as_str()) {
            return Err("`aud` does not contain our client id".into());
        }
        match claims.get("azp") {
            None if audiences.len() > 1 => {
                return Err("several audiences but no `azp`".into());
            }
            None => {}
            Some(azp) if azp.as_str() == Some(self.client_id.as_str()) => {}
            Some(_) => return Err("`azp` is not our client id".into()),
        }
        if let Some(other) = audiences
            .iter()
            .find(|a| **a != self.client_id && !self.trusted_audiences.iter().any(|t| t == *a))
        {
            return Err(format!(
                "`aud` also names `{}`, an audience not trusted (TRUSTED_AUDIENCES)",
                other.chars().take(80).collect::<String>()
            ));
        }

        let exp = time("exp").ok_or("no `exp`")?;
        if exp.saturating_add(self.leeway) <= now {
            return Err(format!("expired {} seconds ago", now - exp));
        }
        let iat = time("iat").ok_or("no `iat`")?;
        if iat > now.saturating_add(self.leeway) {
            return Err(format!("`iat` is {} seconds in the future", iat - now));
        }
        if iat < now.saturating_sub(self.max_age).saturating_sub(self.leeway) {
            return Err(format!(
                "issued {} seconds ago, more than the {} allowed",
                now - iat,
                self.max_age
            ));
        }
        if let Some(nbf) = time("nbf")
            && nbf > now.saturating_add(self.leeway)
        {
            return Err("not valid yet (`nbf`)".into());
        }

        let (expected, required) = match nonce {
            NonceCheck::Required(n) => (n, true),
            NonceCheck::IfPresent(n) => (n, false),
            NonceCheck::Skip => return Ok(()),
        };
        match claims.get("nonce") {
            None if required => Err("no `nonce`".into()),
            None => Ok(()),
            Some(Value::String(sent)) if bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) => {
                Ok(())
            }
            Some(_) => Err("`nonce` does not match this login".into()),
        }
    }
}

/// Why a token was refused; an unknown key may be cured by refetching the JWKS.
#[derive(Debug)]
pub(crate) enum Rejection {
    UnknownKey(String),
    Invalid(String),
}

pub(crate) fn rejected(why: &str) -> AuthError {
    AuthError::new(
        ErrorKind::Failed,
        Stage::Token,
        format!("ID token rejected: {why}"),
    )
}

/// A JSON NumericDate: seconds, possibly fractional.
fn numeric_date(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.is_finite())
            // Truncation is the point: sub-second precision does not matter here.
            .map(|f| f as i64)
    })
}

/// A validated ID token.
#[derive(Clone)]
#[non_exhaustive]
pub struct IdToken {
    /// The algorithm it was signed with.
    pub alg: Algorithm,
    /// The key id from its header.
    pub kid: Option<String>,
    /// Its claims.
    pub claims: Map<String, Value>,
}

impl fmt::Debug for IdToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdToken")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("sub", &self.sub())
            .finish_non_exhaustive()
    }
}

impl IdToken {
    /// Checks `at_hash`, when the token carries one, against the access token issued with
    /// it (OpenID Connect Core 1.0 section 3.1.3.8): the left half of the access token's hash
    /// by the token's algorithm, base64url-encoded.
    pub fn check_at_hash(&self, access_token: &str) -> Result<()> {
        let Some(claimed) = self.claims.get("at_hash") else {
            return Ok(());
        };
        let digest: Vec<u8> = match self.alg {
            Algorithm::RS384 | Algorithm::PS384 | Algorithm::ES384 => {
                sha2::Sha384::digest(access_token.as_bytes()).to_vec()
            }
            Algorithm::RS512 | Algorithm::PS512 => {
                sha2::Sha512::digest(access_token.as_bytes()).to_vec()
            }
            Algorithm::EdDSA => {
                return Err(rejected("`at_hash` of an EdDSA token cannot be checked"));
            }
            _ => sha2::Sha256::digest(access_token.as_bytes()).to_vec(),
        };
        let expected = URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2]);
        match claimed.as_str() {
            Some(claimed) if bool::from(claimed.as_bytes().ct_eq(expected.as_bytes())) => Ok(()),
            _ => Err(rejected(
                "`at_hash` does not match the access token issued with it",
            )),
        }
    }

    /// The subject: the provider's stable user id.
    pub fn sub(&self) -> &str {
        self.claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

/// Whether `iss` is the multi-tenant `template` (holding [`TENANT_PLACEHOLDER`]) filled with
/// one tenant id (letters, digits and `-`).
pub(crate) fn matches_tenant_template(template: &str, iss: &str) -> bool {
    let Some((prefix, suffix)) = template.split_once(TENANT_PLACEHOLDER) else {
        return false;
    };
    iss.strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(suffix))
        .is_some_and(|tid| {
            !tid.is_empty() && tid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// The claims of a JWT without checking anything: only for tokens this application stored
/// itself after validating them.
pub(crate) fn unverified_claims(token: &str) -> Option<Map<String, Value>> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests;
