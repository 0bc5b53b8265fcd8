//! ID-token validation with a cached JWKS, RS256 and ES256, next to the cost of merely decoding
//! the same claims from JSON and of ring's bare P-256 verification: compare the figures of one
//! run as ratios.

#![allow(missing_docs, clippy::unwrap_used)]

use std::sync::Arc;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Map, Value};
use social_core::{
    ProviderCx, Settings,
    clock::{Clock, SystemClock},
    http::{HttpError, HttpRequest, HttpResponse},
};
use social_oauth2::oidc::{Algorithm, IdTokenRules, KeySet, NonceCheck, OidcCache};
use social_testkit::{oidc, provider};

const ISSUER: &str = "https://id.example.com";
const NONCE: &str = "bench-nonce-0123456789";
const JWKS_URI: &str = "https://id.example.com/jwks";

fn bench(c: &mut Criterion) {
    let rsa = oidc::TestKey::rsa(0, Algorithm::RS256);
    let ec = oidc::TestKey::ec();
    let jwks = oidc::jwks(&[&rsa, &ec]);
    let keys = KeySet::from_jwks(&jwks).unwrap();
    let now = SystemClock.now();
    let mut claims = oidc::claims(ISSUER, "248289761001", Some(NONCE), now);
    claims["email"] = "jane.doe@example.com".into();
    claims["name"] = "Jane Doe".into();
    let rs256 = rsa.sign(&claims);
    let es256 = ec.sign(&claims);
    let mut rules = IdTokenRules::new(ISSUER, provider::CLIENT_ID);
    rules.algorithms = vec![Algorithm::RS256, Algorithm::ES256];

    let mut group = c.benchmark_group("id_token");
    group.bench_function("json_decode_claims", |b| {
        b.iter(|| {
            let payload = rs256.split('.').nth(1).unwrap();
            let bytes = URL_SAFE_NO_PAD.decode(payload).unwrap();
            serde_json::from_slice::<Map<String, Value>>(&bytes).unwrap()
        });
    });
    for (name, token) in [("validate_rs256", &rs256), ("validate_es256", &es256)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                rules
                    .check(token, &keys, now, NonceCheck::Required(NONCE))
                    .unwrap()
            });
        });
    }

    // The floor of ES256: ring's P-256 verification of the same signature, nothing else.
    let ec_jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kty"] == "EC")
        .unwrap();
    let mut point = vec![0x04];
    for coordinate in ["x", "y"] {
        point.extend(
            URL_SAFE_NO_PAD
                .decode(ec_jwk[coordinate].as_str().unwrap())
                .unwrap(),
        );
    }
    let (message, signature) = es256.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    group.bench_function("ring_p256_verify_only", |b| {
        b.iter(|| {
            ring::signature::UnparsedPublicKey::new(
                &ring::signature::ECDSA_P256_SHA256_FIXED,
                &point,
            )
            .verify(message.as_bytes(), &signature)
            .unwrap()
        });
    });

    // The same through the shared cache, as a login does it: the JWKS is fetched once (from an
    // in-process client), then every validation is a cache hit.
    let body = jwks.to_string();
    let http = move |_: HttpRequest| {
        let body = body.clone();
        async move {
            Ok::<HttpResponse, HttpError>(
                http::Response::builder()
                    .status(200)
                    .header("content-type", "application/json")
                    .body(body.into_bytes())
                    .unwrap(),
            )
        }
    };
    let settings = Settings::default();
    let cache = Arc::new(OidcCache::new());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let cx = ProviderCx::new("bench", &settings, &http, &SystemClock);
    group.bench_function("validate_rs256_through_cache", |b| {
        b.to_async(&runtime).iter(|| async {
            cache
                .validate_id_token(&cx, JWKS_URI, &rules, &rs256, NonceCheck::Required(NONCE))
                .await
                .unwrap()
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
