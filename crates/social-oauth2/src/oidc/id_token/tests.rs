//! Every check of ID-token validation, each with a token that passes all the others, so that
//! weakening any one check fails a test here (the checks were mutation-tested).

use jsonwebtoken::EncodingKey;
use serde_json::json;

use super::*;

const NOW: i64 = 1_767_225_600;
const ISSUER: &str = "https://id.example.com";
const CLIENT: &str = "client-1";
const NONCE: &str = "nonce-of-this-login";

/// Made-up keys for these tests only; `public.json` holds their public halves as JWKs.
/// Private keys as DER: RSA in PKCS#1, the others in PKCS#8.
const RSA_2048: &[u8] = include_bytes!("../testdata/rsa2048.der");
const RSA_1024: &[u8] = include_bytes!("../testdata/rsa1024.der");
const P256: &[u8] = include_bytes!("../testdata/p256.der");
const P384: &[u8] = include_bytes!("../testdata/p384.der");
const ED25519: &[u8] = include_bytes!("../testdata/ed25519.der");
const PUBLIC: &str = include_str!("../testdata/public.json");

/// The public JWK of test key `name` (`rsa`, `rsa1024`, `p256`, `p384`, `ed25519`) with
/// `extra` members (`kid`, `alg`, `use`) merged in.
fn jwk(name: &str, extra: Value) -> Value {
    let public: Value = serde_json::from_str(PUBLIC).expect("test JWKs parse");
    let mut key = public[name].clone();
    if let (Some(key), Some(extra)) = (key.as_object_mut(), extra.as_object()) {
        key.extend(extra.clone());
    }
    key
}

fn keyset(keys: Vec<Value>) -> KeySet {
    KeySet::from_jwks(&json!({ "keys": keys })).expect("a keys array")
}

/// The usual key set: one key of each kind, each with its kid.
fn keys() -> KeySet {
    keyset(vec![
        jwk("rsa", json!({"kid": "rsa"})),
        jwk("p256", json!({"kid": "p256"})),
        jwk("p384", json!({"kid": "p384"})),
        jwk("ed25519", json!({"kid": "ed"})),
    ])
}

fn encoding_key(alg: Algorithm) -> EncodingKey {
    match alg {
        Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 | Algorithm::PS256 => {
            EncodingKey::from_rsa_der(RSA_2048)
        }
        Algorithm::ES256 => EncodingKey::from_ec_der(P256),
        Algorithm::ES384 => EncodingKey::from_ec_der(P384),
        Algorithm::EdDSA => EncodingKey::from_ed_der(ED25519),
        Algorithm::HS256 => EncodingKey::from_secret(b"shared"),
        other => panic!("no test key for {other:?}"),
    }
}

/// A JWT with exactly this header and these claims, signed by the test key of `alg`.
fn sign_with(header: Value, claims: &Value, key: &EncodingKey, alg: Algorithm) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let input = format!("{}.{}", part(&header), part(claims));
    let signature = jsonwebtoken::crypto::sign(input.as_bytes(), key, alg).expect("signs");
    format!("{input}.{signature}")
}

fn sign(alg: Algorithm, kid: Option<&str>, claims: &Value) -> String {
    let mut header = json!({ "alg": format!("{alg:?}"), "typ": "JWT" });
    if let Some(kid) = kid {
        header["kid"] = json!(kid);
    }
    sign_with(header, claims, &encoding_key(alg), alg)
}

fn claims() -> Value {
    json!({
        "iss": ISSUER, "sub": "user-1", "aud": CLIENT,
        "iat": NOW, "exp": NOW + 300, "nonce": NONCE,
    })
}

fn with(changes: Value) -> Value {
    let mut claims = claims();
    for (k, v) in changes.as_object().expect("an object") {
        if v.is_null() {
            claims.as_object_mut().expect("an object").remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    claims
}

fn rules() -> IdTokenRules {
    let mut rules = IdTokenRules::new(ISSUER, CLIENT);
    rules.algorithms = vec![
        Algorithm::RS256,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ];
    rules
}

/// Checks a token of `claims` signed RS256 by the `rsa` key, at `NOW`.
fn check_claims_of(rules: &IdTokenRules, claims: &Value) -> std::result::Result<IdToken, String> {
    check_token(rules, &sign(Algorithm::RS256, Some("rsa"), claims))
}

fn check_token(rules: &IdTokenRules, token: &str) -> std::result::Result<IdToken, String> {
    rules
        .check(token, &keys(), NOW, NonceCheck::Required(NONCE))
        .map_err(|e| e.details().to_owned())
}

#[track_caller]
fn refused(result: std::result::Result<IdToken, String>, why: &str) {
    match result {
        Ok(token) => panic!("accepted {token:?}; expected a refusal for {why:?}"),
        Err(details) => assert!(details.contains(why), "{details:?} does not say {why:?}"),
    }
}

#[test]
fn a_good_token_of_every_key_kind_passes() {
    for (alg, kid) in [
        (Algorithm::RS256, "rsa"),
        (Algorithm::ES256, "p256"),
        (Algorithm::ES384, "p384"),
        (Algorithm::EdDSA, "ed"),
    ] {
        let token = check_token(&rules(), &sign(alg, Some(kid), &claims()))
            .unwrap_or_else(|e| panic!("{alg:?}: {e}"));
        assert_eq!(token.sub(), "user-1");
        assert_eq!(token.alg, alg);
        assert_eq!(token.kid.as_deref(), Some(kid));
        // Without a kid, the one key that fits the algorithm is taken.
        check_token(&rules(), &sign(alg, None, &claims()))
            .unwrap_or_else(|e| panic!("{alg:?} without kid: {e}"));
    }
}

#[test]
fn every_rsa_algorithm_verifies_with_the_rsa_key() {
    let mut all = rules();
    all.algorithms = vec![
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
    ];
    for alg in all.algorithms.clone() {
        let token = sign_with(
            json!({"alg": format!("{alg:?}"), "kid": "rsa"}),
            &claims(),
            &EncodingKey::from_rsa_der(RSA_2048),
            alg,
        );
        let checked = check_token(&all, &token).unwrap_or_else(|e| panic!("{alg:?}: {e}"));
        assert_eq!(checked.alg, alg);
        // The same signature read as another algorithm does not verify.
        let other = if alg == Algorithm::RS256 {
            Algorithm::PS256
        } else {
            Algorithm::RS256
        };
        let relabelled = token.replacen(
            &URL_SAFE_NO_PAD.encode(json!({"alg": format!("{alg:?}"), "kid": "rsa"}).to_string()),
            &URL_SAFE_NO_PAD.encode(json!({"alg": format!("{other:?}"), "kid": "rsa"}).to_string()),
            1,
        );
        refused(check_token(&all, &relabelled), "does not verify");
    }
}

#[test]
fn key_material_is_checked_when_read_and_bound_to_its_kind() {
    // EC coordinates of the wrong length, an Ed25519 key of the wrong length or curve: dropped.
    let p256 = jwk("p256", json!({}));
    let short = |value: &Value| {
        let bytes = URL_SAFE_NO_PAD
            .decode(value.as_str().expect("text"))
            .expect("base64");
        json!(URL_SAFE_NO_PAD.encode(&bytes[1..]))
    };
    for (coordinate, what) in [("x", "short x"), ("y", "short y")] {
        let mut bad = p256.clone();
        bad[coordinate] = short(&p256[coordinate]);
        assert!(keyset(vec![bad]).is_empty(), "{what} kept");
    }
    let ed = jwk("ed25519", json!({}));
    let mut bad = ed.clone();
    bad["x"] = short(&ed["x"]);
    assert!(keyset(vec![bad]).is_empty(), "short Ed25519 key kept");
    assert_eq!(keyset(vec![p256, ed]).len(), 2);
    // A key verifies only by the algorithms of its kind.
    let set = keys();
    let message = b"header.payload";
    for key in &set.keys {
        let foreign: &[Algorithm] = match key.key {
            PublicKey::Rsa { .. } => &[Algorithm::ES256, Algorithm::EdDSA, Algorithm::HS256],
            PublicKey::Ec(_) => &[Algorithm::RS256, Algorithm::EdDSA, Algorithm::PS256],
            PublicKey::Ed(_) => &[Algorithm::RS256, Algorithm::ES256, Algorithm::HS256],
        };
        for alg in foreign {
            assert!(!key.key.verifies(*alg, message, &[0; 64]), "{alg:?}");
        }
    }
    // An Ed25519 signature verifies as EdDSA only.
    let ed_key = set
        .keys
        .iter()
        .find(|k| matches!(k.key, PublicKey::Ed(_)))
        .expect("an Ed25519 key");
    let token = sign(Algorithm::EdDSA, Some("ed"), &claims());
    let (signed, signature) = token.rsplit_once('.').expect("a JWT");
    let signature = URL_SAFE_NO_PAD.decode(signature).expect("base64");
    assert!(
        ed_key
            .key
            .verifies(Algorithm::EdDSA, signed.as_bytes(), &signature)
    );
    assert!(
        !ed_key
            .key
            .verifies(Algorithm::ES256, signed.as_bytes(), &signature)
    );
}

#[test]
fn the_key_set_reads_only_public_signature_keys() {
    let set = keyset(vec![
        jwk("rsa", json!({"kid": "a", "use": "sig"})),
        jwk("rsa", json!({"kid": "enc", "use": "enc"})),
        json!({"kty": "oct", "k": "c2VjcmV0", "kid": "oct"}),
        jwk("rsa1024", json!({"kid": "short"})),
        jwk("p256", json!({"kid": "badalg", "alg": "XS999"})),
        json!({"kty": "RSA", "kid": "broken"}),
    ]);
    assert_eq!(set.len(), 1, "{set:?}");
    assert!(!set.is_empty());
    assert!(set.contains("a"));
    for dropped in ["enc", "oct", "short", "badalg", "broken", "nothing"] {
        assert!(!set.contains(dropped), "{dropped} kept");
    }
    assert_eq!(format!("{set:?}"), r#"["a"]"#);
    assert!(KeySet::default().is_empty());
    assert!(KeySet::from_jwks(&json!({"keys": {}})).is_err());
    assert!(KeySet::from_jwks(&json!([])).is_err());
}

#[test]
fn rsa_keys_shorter_than_2048_bits_are_dropped() {
    let set = keyset(vec![jwk("rsa1024", json!({"kid": "short"}))]);
    assert!(set.is_empty());
    // A token its private key signed finds no key to verify with.
    let small = EncodingKey::from_rsa_der(RSA_1024);
    let token = sign_with(
        json!({"alg": "RS256", "kid": "short"}),
        &claims(),
        &small,
        Algorithm::RS256,
    );
    assert!(matches!(
        rules().check_inner(&token, &set, NOW, NonceCheck::Skip),
        Err(Rejection::UnknownKey(_))
    ));
    // A 2048-bit modulus with leading zero bytes still counts 2048 bits.
    let mut padded = jwk("rsa", json!({"kid": "padded"}));
    let n = URL_SAFE_NO_PAD
        .decode(padded["n"].as_str().expect("n"))
        .expect("base64");
    let mut with_zeros = vec![0, 0];
    with_zeros.extend(n);
    padded["n"] = json!(URL_SAFE_NO_PAD.encode(with_zeros));
    assert_eq!(keyset(vec![padded]).len(), 1);
}

#[test]
fn a_key_verifies_only_its_own_algorithm_and_curve() {
    let key_of =
        |name: &str, extra: Value| keyset(vec![jwk(name, extra)]).keys.pop().expect("one key");
    let rsa = key_of("rsa", json!({}));
    assert!(rsa.fits(Algorithm::RS256));
    assert!(rsa.fits(Algorithm::PS256));
    assert!(!rsa.fits(Algorithm::ES256));
    let rs384_only = key_of("rsa", json!({"alg": "RS384"}));
    assert!(rs384_only.fits(Algorithm::RS384));
    assert!(!rs384_only.fits(Algorithm::RS256), "the JWK's alg binds");
    let p256 = key_of("p256", json!({}));
    assert!(p256.fits(Algorithm::ES256));
    assert!(!p256.fits(Algorithm::ES384), "P-256 is not P-384");
    assert!(!p256.fits(Algorithm::RS256));
    let p384 = key_of("p384", json!({}));
    assert!(p384.fits(Algorithm::ES384));
    assert!(!p384.fits(Algorithm::ES256), "P-384 is not P-256");
    let ed = key_of("ed25519", json!({}));
    assert!(ed.fits(Algorithm::EdDSA));
    assert!(!ed.fits(Algorithm::ES256));
    // An octet key pair on another curve never verifies EdDSA (Ed25519) signatures.
    let other_curve = Key {
        curve: Some(EllipticCurve::P256),
        ..ed
    };
    assert!(!other_curve.fits(Algorithm::EdDSA));
    assert_eq!(keys().len(), 4);
}

#[test]
fn a_kid_names_the_key_and_a_key_of_another_kind_is_refused() {
    // The kid names the P-256 key, the token says RS256: never verified with that key.
    let token = sign(Algorithm::RS256, Some("p256"), &claims());
    refused(
        check_token(&rules(), &token),
        "key `p256` is not a RS256 key",
    );
    let unknown = sign(Algorithm::RS256, Some("retired"), &claims());
    assert!(matches!(
        rules().check_inner(&unknown, &keys(), NOW, NonceCheck::Skip),
        Err(Rejection::UnknownKey(kid)) if kid == "retired"
    ));
    refused(check_token(&rules(), &unknown), "no key `retired`");
    // Without a kid and two keys that fit, neither is guessed.
    let two = keyset(vec![
        jwk("rsa", json!({"kid": "a"})),
        jwk("rsa", json!({"kid": "b"})),
    ]);
    let token = sign(Algorithm::RS256, None, &claims());
    assert!(matches!(
        rules().check_inner(&token, &two, NOW, NonceCheck::Skip),
        Err(Rejection::Invalid(why)) if why.contains("several keys")
    ));
    assert!(matches!(
        rules().check_inner(&token, &KeySet::default(), NOW, NonceCheck::Skip),
        Err(Rejection::UnknownKey(_))
    ));
    // Two keys under one kid: the one that fits is used.
    let shared = keyset(vec![
        jwk("p256", json!({"kid": "k"})),
        jwk("rsa", json!({"kid": "k"})),
    ]);
    let token = sign(Algorithm::RS256, Some("k"), &claims());
    assert!(
        rules()
            .check_inner(&token, &shared, NOW, NonceCheck::Skip)
            .is_ok()
    );
}

#[test]
fn headers_that_are_not_a_plain_signed_id_token_are_refused() {
    let rsa = encoding_key(Algorithm::RS256);
    let signed = |header: Value| sign_with(header, &claims(), &rsa, Algorithm::RS256);
    refused(
        check_token(&rules(), "a.b.c.d.e"),
        "encrypted ID tokens (JWE)",
    );
    refused(check_token(&rules(), "a.b"), "not a signed JWT");
    refused(check_token(&rules(), "a.b.c.d"), "not a signed JWT");
    refused(check_token(&rules(), "!!.e30.x"), "unreadable JOSE header");
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(claims().to_string())
    );
    refused(check_token(&rules(), &unsigned), "`alg: none`");
    let unsigned = unsigned.replace(
        &URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
        &URL_SAFE_NO_PAD.encode(r#"{"alg":"NONE"}"#),
    );
    refused(check_token(&rules(), &unsigned), "`alg: none`");
    refused(
        check_token(&rules(), &signed(json!({"alg": "XS999", "kid": "rsa"}))),
        "unsupported algorithm",
    );
    let hs = sign_with(
        json!({"alg": "HS256", "kid": "rsa"}),
        &claims(),
        &encoding_key(Algorithm::HS256),
        Algorithm::HS256,
    );
    let mut all = rules();
    all.algorithms.push(Algorithm::HS256);
    refused(check_token(&all, &hs), "checked with public keys");
    let mut rs256_only = rules();
    rs256_only.algorithms = vec![Algorithm::RS256];
    refused(
        check_token(
            &rs256_only,
            &sign(Algorithm::ES256, Some("p256"), &claims()),
        ),
        "algorithm `ES256` is not allowed",
    );
    for typ in ["at+jwt", "AT+JWT", "application/at+jwt"] {
        refused(
            check_token(
                &rules(),
                &signed(json!({"alg": "RS256", "kid": "rsa", "typ": typ})),
            ),
            "access token",
        );
    }
    assert!(
        check_token(
            &rules(),
            &signed(json!({"alg": "RS256", "kid": "rsa", "typ": "JWT"}))
        )
        .is_ok()
    );
    refused(
        check_token(
            &rules(),
            &signed(json!({"alg": "RS256", "kid": "rsa", "crit": ["exp"]})),
        ),
        "critical header",
    );
}

#[test]
fn a_signature_by_another_key_or_over_other_claims_is_refused() {
    let token = sign(Algorithm::RS256, Some("rsa"), &claims());
    let (head, rest) = token.split_once('.').expect("a JWT");
    let (_, signature) = rest.split_once('.').expect("a JWT");
    let forged = format!(
        "{head}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(with(json!({"sub": "admin"})).to_string())
    );
    refused(check_token(&rules(), &forged), "does not verify");
    let other = EncodingKey::from_rsa_der(RSA_1024);
    let by_other = sign_with(
        json!({"alg": "RS256", "kid": "rsa"}),
        &claims(),
        &other,
        Algorithm::RS256,
    );
    refused(check_token(&rules(), &by_other), "does not verify");
}

#[test]
fn issuer_subject_and_tenant() {
    refused(
        check_claims_of(&rules(), &with(json!({"iss": null}))),
        "no `iss`",
    );
    refused(
        check_claims_of(&rules(), &with(json!({"iss": "https://evil.example"}))),
        "expected `https://id.example.com`",
    );
    refused(
        check_claims_of(&rules(), &with(json!({"iss": format!("{ISSUER}/")}))),
        "`iss` is",
    );
    refused(
        check_claims_of(&rules(), &with(json!({"sub": null}))),
        "no `sub`",
    );
    refused(
        check_claims_of(&rules(), &with(json!({"sub": ""}))),
        "no `sub`",
    );

    let mut tenants = rules();
    tenants.issuer = format!("https://login.example.com/{TENANT_PLACEHOLDER}/v2.0");
    tenants.multi_tenant = true;
    let tenant_iss = "https://login.example.com/9188040d-6c67-4c5b/v2.0";
    assert!(
        check_claims_of(
            &tenants,
            &with(json!({"iss": tenant_iss, "tid": "9188040d-6c67-4c5b"}))
        )
        .is_ok()
    );
    refused(
        check_claims_of(
            &tenants,
            &with(json!({"iss": tenant_iss, "tid": "another-tenant"})),
        ),
        "`iss` is",
    );
    refused(
        check_claims_of(&tenants, &with(json!({"iss": tenant_iss}))),
        "no `tid`",
    );
    for tid in ["", "a/b", "x.example", "a b"] {
        refused(
            check_claims_of(&tenants, &with(json!({"iss": tenant_iss, "tid": tid}))),
            "not a tenant id",
        );
    }
    // Without multi_tenant, the placeholder is compared literally.
    tenants.multi_tenant = false;
    refused(
        check_claims_of(
            &tenants,
            &with(json!({"iss": tenant_iss, "tid": "9188040d-6c67-4c5b"})),
        ),
        "`iss` is",
    );
}

#[test]
fn issuer_aliases_are_exact_extra_spellings() {
    let mut rules = rules();
    let check =
        |rules: &IdTokenRules, iss: &str| check_claims_of(rules, &with(json!({"iss": iss})));
    assert!(check(&rules, ISSUER).is_ok());
    assert!(
        check(&rules, "id.example.com").is_err(),
        "no alias by default"
    );
    rules.issuer_aliases = vec!["id.example.com".into(), String::new()];
    assert!(check(&rules, "id.example.com").is_ok());
    assert!(check(&rules, ISSUER).is_ok());
    for other in [
        "ID.EXAMPLE.COM",
        "id.example.com/",
        "id.example.com.evil",
        "",
    ] {
        assert!(check(&rules, other).is_err(), "{other:?} accepted");
    }
}

#[test]
fn audiences_and_authorized_party() {
    let r = rules();
    assert!(check_claims_of(&r, &with(json!({"aud": [CLIENT]}))).is_ok());
    refused(check_claims_of(&r, &with(json!({"aud": null}))), "no `aud`");
    refused(check_claims_of(&r, &with(json!({"aud": 7}))), "no `aud`");
    refused(
        check_claims_of(&r, &with(json!({"aud": "another-client"}))),
        "does not contain our client id",
    );
    refused(
        check_claims_of(&r, &with(json!({"aud": []}))),
        "does not contain our client id",
    );
    // Several audiences need an azp naming us, and each other audience must be trusted.
    refused(
        check_claims_of(&r, &with(json!({"aud": [CLIENT, "api"]}))),
        "several audiences but no `azp`",
    );
    refused(
        check_claims_of(&r, &with(json!({"aud": [CLIENT, "api"], "azp": CLIENT}))),
        "`api`, an audience not trusted",
    );
    refused(
        check_claims_of(&r, &with(json!({"aud": ["api", CLIENT], "azp": CLIENT}))),
        "`api`, an audience not trusted",
    );
    let mut trusting = rules();
    trusting.trusted_audiences = vec!["api".into()];
    assert!(
        check_claims_of(
            &trusting,
            &with(json!({"aud": [CLIENT, "api"], "azp": CLIENT}))
        )
        .is_ok()
    );
    refused(
        check_claims_of(
            &trusting,
            &with(json!({"aud": [CLIENT, "api", "other"], "azp": CLIENT})),
        ),
        "`other`, an audience not trusted",
    );
    // azp, when present, must be us even with one audience.
    assert!(check_claims_of(&r, &with(json!({"azp": CLIENT}))).is_ok());
    refused(
        check_claims_of(&r, &with(json!({"azp": "another-client"}))),
        "`azp` is not our client id",
    );
    refused(
        check_claims_of(&r, &with(json!({"azp": 1}))),
        "`azp` is not our client id",
    );
}

#[test]
fn times_are_checked_to_the_second_with_the_leeway() {
    let r = rules();
    let leeway = r.leeway;
    assert_eq!(leeway, 30);
    // exp: valid while exp + leeway > now.
    assert!(check_claims_of(&r, &with(json!({"exp": NOW - leeway + 1}))).is_ok());
    refused(
        check_claims_of(&r, &with(json!({"exp": NOW - leeway}))),
        &format!("expired {leeway} seconds ago"),
    );
    refused(check_claims_of(&r, &with(json!({"exp": null}))), "no `exp`");
    refused(
        check_claims_of(&r, &with(json!({"exp": "soon"}))),
        "no `exp`",
    );
    assert!(check_claims_of(&r, &with(json!({"exp": (NOW + 60) as f64 + 0.5}))).is_ok());
    // iat: not after now + leeway, not before now - max_age - leeway.
    assert!(check_claims_of(&r, &with(json!({"iat": NOW + leeway}))).is_ok());
    refused(
        check_claims_of(&r, &with(json!({"iat": NOW + leeway + 1}))),
        &format!("`iat` is {} seconds in the future", leeway + 1),
    );
    let oldest = NOW - r.max_age - leeway;
    assert!(check_claims_of(&r, &with(json!({"iat": oldest}))).is_ok());
    refused(
        check_claims_of(&r, &with(json!({"iat": oldest - 1}))),
        &format!("issued {} seconds ago", r.max_age + leeway + 1),
    );
    refused(check_claims_of(&r, &with(json!({"iat": null}))), "no `iat`");
    // nbf: optional; not after now + leeway.
    assert!(check_claims_of(&r, &with(json!({"nbf": NOW + leeway}))).is_ok());
    assert!(check_claims_of(&r, &with(json!({"nbf": NOW - 3600}))).is_ok());
    refused(
        check_claims_of(&r, &with(json!({"nbf": NOW + leeway + 1}))),
        "not valid yet",
    );
    // Another leeway and maximum age are honoured, not assumed.
    let mut strict = rules();
    strict.leeway = 0;
    strict.max_age = 60;
    refused(
        check_claims_of(&strict, &with(json!({"exp": NOW}))),
        "expired 0 seconds ago",
    );
    assert!(check_claims_of(&strict, &with(json!({"exp": NOW + 1}))).is_ok());
    refused(
        check_claims_of(&strict, &with(json!({"iat": NOW + 1}))),
        "in the future",
    );
    refused(
        check_claims_of(&strict, &with(json!({"iat": NOW - 61}))),
        "more than the 60 allowed",
    );
    assert!(check_claims_of(&strict, &with(json!({"iat": NOW - 60}))).is_ok());
}

#[test]
fn numeric_dates_take_integers_and_finite_fractions() {
    assert_eq!(numeric_date(&json!(5)), Some(5));
    assert_eq!(numeric_date(&json!(5.9)), Some(5));
    assert_eq!(numeric_date(&json!("5")), None);
    assert_eq!(numeric_date(&Value::Null), None);
}

#[test]
fn the_nonce_is_required_compared_or_skipped() {
    let token = |claims: &Value| sign(Algorithm::RS256, Some("rsa"), claims);
    let check = |claims: &Value, nonce| rules().check(&token(claims), &keys(), NOW, nonce);
    assert!(check(&claims(), NonceCheck::Required(NONCE)).is_ok());
    let err = |result: Result<IdToken>| result.expect_err("refused").details().to_owned();
    assert!(err(check(&claims(), NonceCheck::Required("other"))).contains("does not match"));
    assert!(
        err(check(
            &with(json!({"nonce": null})),
            NonceCheck::Required(NONCE)
        ))
        .contains("no `nonce`")
    );
    assert!(
        err(check(
            &with(json!({"nonce": 1})),
            NonceCheck::Required(NONCE)
        ))
        .contains("does not match")
    );
    assert!(check(&with(json!({"nonce": null})), NonceCheck::IfPresent(NONCE)).is_ok());
    assert!(check(&claims(), NonceCheck::IfPresent(NONCE)).is_ok());
    assert!(err(check(&claims(), NonceCheck::IfPresent("other"))).contains("does not match"));
    assert!(check(&with(json!({"nonce": "anything"})), NonceCheck::Skip).is_ok());
    // Refusals are login failures at the token stage, saying why.
    let refusal = check(&claims(), NonceCheck::Required("other")).expect_err("refused");
    assert_eq!(refusal.kind(), ErrorKind::Failed);
    assert!(refusal.details().starts_with("ID token rejected: "));
}

#[test]
fn at_hash_is_the_left_half_of_the_access_tokens_hash() {
    let access_token = "made-up-access-token";
    let half = |digest: &[u8]| URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2]);
    let sha256 = half(&sha2::Sha256::digest(access_token));
    let sha384 = half(&sha2::Sha384::digest(access_token));
    let token = |alg, claims: Value| IdToken {
        alg,
        kid: None,
        claims: claims.as_object().cloned().unwrap_or_default(),
    };
    assert!(
        token(Algorithm::RS256, json!({"at_hash": sha256}))
            .check_at_hash(access_token)
            .is_ok()
    );
    assert!(
        token(Algorithm::ES256, json!({"at_hash": sha256}))
            .check_at_hash(access_token)
            .is_ok()
    );
    assert!(
        token(Algorithm::ES384, json!({"at_hash": sha384}))
            .check_at_hash(access_token)
            .is_ok()
    );
    assert!(
        token(Algorithm::RS384, json!({"at_hash": sha256}))
            .check_at_hash(access_token)
            .is_err(),
        "RS384 hashes with SHA-384"
    );
    let sha512 = half(&sha2::Sha512::digest(access_token));
    assert!(
        token(Algorithm::RS512, json!({"at_hash": sha512}))
            .check_at_hash(access_token)
            .is_ok()
    );
    assert!(
        token(Algorithm::RS256, json!({"at_hash": sha256}))
            .check_at_hash("another-token")
            .is_err()
    );
    assert!(
        token(Algorithm::RS256, json!({"at_hash": 1}))
            .check_at_hash(access_token)
            .is_err()
    );
    assert!(
        token(Algorithm::EdDSA, json!({"at_hash": sha256}))
            .check_at_hash(access_token)
            .is_err()
    );
    assert!(
        token(Algorithm::RS256, json!({}))
            .check_at_hash(access_token)
            .is_ok(),
        "at_hash is optional in the code flow"
    );
}

#[test]
fn tenant_templates_match_one_tenant_id() {
    let template = format!("https://login.example.com/{TENANT_PLACEHOLDER}/v2.0");
    assert!(matches_tenant_template(
        &template,
        "https://login.example.com/abc-123/v2.0"
    ));
    for iss in [
        "https://login.example.com//v2.0",
        "https://login.example.com/a/b/v2.0",
        "https://login.example.com/abc/v2.0/x",
        "https://evil.example/abc/v2.0",
    ] {
        assert!(!matches_tenant_template(&template, iss), "{iss}");
    }
    assert!(!matches_tenant_template(
        "https://no-placeholder",
        "https://no-placeholder"
    ));
}

#[test]
fn unverified_claims_read_the_payload_only() {
    let token = sign(Algorithm::RS256, Some("rsa"), &claims());
    let read = unverified_claims(&token).expect("claims");
    assert_eq!(read.get("sub"), Some(&json!("user-1")));
    assert!(unverified_claims("no-dots").is_none());
    assert!(unverified_claims("a.!!.c").is_none());
    let debug = format!("{:?}", check_claims_of(&rules(), &claims()).expect("valid"));
    assert!(
        debug.contains("user-1") && debug.contains("RS256"),
        "{debug}"
    );
    assert!(!debug.contains(NONCE), "Debug shows no other claim");
}
