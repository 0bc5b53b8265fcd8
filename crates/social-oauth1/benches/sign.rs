//! The cost of signing one OAuth 1.0a request (HMAC-SHA1, fresh nonce and timestamp), next to
//! building the same request unsigned, so that the figure reads as a ratio on any machine.

#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use http::Method;
use social_oauth1::{Placement, Signer};

const URL: &str = "https://api.twitter.com/1.1/account/verify_credentials.json";
const PARAMS: &[(&str, &str)] = &[
    ("include_email", "true"),
    ("skip_status", "1"),
    ("include_entities", "false"),
];

/// The same request without OAuth: parse the URL, add the query, build the request.
fn unsigned() -> http::Request<Vec<u8>> {
    let mut url = url::Url::parse(URL).unwrap();
    url.query_pairs_mut().extend_pairs(PARAMS);
    http::Request::get(url.as_str()).body(Vec::new()).unwrap()
}

fn signed() -> http::Request<Vec<u8>> {
    Signer::new(
        "xvz1evFS4wEEPTGEFPHBog",
        "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
    )
    .token(
        "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
        "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
    )
    .request(Method::GET, URL, PARAMS, Placement::Header)
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("oauth1");
    group.bench_function("build request unsigned", |b| b.iter(unsigned));
    group.bench_function("build request signed (HMAC-SHA1)", |b| b.iter(signed));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
