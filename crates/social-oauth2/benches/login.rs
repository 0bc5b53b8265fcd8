//! Benchmarks of the hot paths of a login, with an in-process HTTP client that answers like
//! a provider (no sockets): building the authorize URL, validating a callback (state, token
//! exchange, profile, mapping) and running the default pipeline on MemoryStorage.

#![allow(missing_docs, clippy::unwrap_used)]

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use social_core::{
    BackendSettings, MemoryStorage, MemoryStrategy, Outcome, ProviderCx, Registry, Result, Secret,
    Settings, SocialAuth, UserDetails, Value, async_trait,
    http::{HttpError, HttpRequest, HttpResponse},
};
use social_oauth2::{OAuth2Provider, OAuth2Spec, TokenResponse};

struct Bench;

#[async_trait]
impl OAuth2Provider for Bench {
    fn spec(&self) -> OAuth2Spec {
        OAuth2Spec {
            name: "bench",
            authorization_url: "https://provider.test/authorize",
            token_url: "https://provider.test/token",
            default_scope: &["read:user", "user:email"],
            ..OAuth2Spec::DEFAULT
        }
    }
    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        cx.get_json("https://provider.test/user", Some(token.access_token()))
            .await
    }
    fn user_details(&self, user: &Value) -> UserDetails {
        UserDetails::new()
            .username(user["login"].as_str())
            .email(user["email"].as_str())
            .fullname(user["name"].as_str())
    }
}

async fn provider(request: HttpRequest) -> std::result::Result<HttpResponse, HttpError> {
    let body = if request.uri().path() == "/token" {
        r#"{"access_token":"gho_abc","token_type":"bearer","scope":"read:user"}"#.to_owned()
    } else {
        r#"{"login":"octocat","id":583231,"email":"octo@example.com","name":"The Octocat"}"#
            .to_owned()
    };
    Ok(http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(body.into_bytes())
        .unwrap())
}

fn auth() -> SocialAuth {
    let mut settings = Settings::default();
    let mut backend = BackendSettings::default();
    backend.key = Some("client".into());
    backend.secret = Some(Secret::new("secret"));
    settings.backends.insert("bench".into(), backend);
    SocialAuth::builder(Registry::new().with(social_oauth2::OAuth2Backend::new(Bench)))
        .settings(settings)
        .storage(Arc::new(MemoryStorage::new()))
        .http_client(Arc::new(provider))
        .build()
        .unwrap()
}

async fn login(auth: &SocialAuth) -> Outcome {
    let session = MemoryStrategy::new("http://app.test");
    let flow = auth.begin(&session, "bench").await.unwrap();
    let url = url::Url::parse(flow.redirect_url().unwrap()).unwrap();
    let state = url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let callback = session
        .next_request()
        .with_param("code", "c")
        .with_param("state", &state);
    auth.complete(&callback, "bench", None).await.unwrap()
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let auth = auth();
    let session = MemoryStrategy::new("http://app.test");

    c.bench_function("authorize_url", |b| {
        b.to_async(&rt)
            .iter(|| async { auth.begin(&session, "bench").await.unwrap() });
    });

    let backend = auth.registry().get("bench").unwrap().clone();
    c.bench_function("validate_callback", |b| {
        b.to_async(&rt).iter(|| async {
            let flow = auth.begin(&session, "bench").await.unwrap();
            let url = url::Url::parse(flow.redirect_url().unwrap()).unwrap();
            let state = url
                .query_pairs()
                .find(|(k, _)| k == "state")
                .unwrap()
                .1
                .into_owned();
            let callback = session
                .next_request()
                .with_param("code", "c")
                .with_param("state", &state);
            let cx = social_core::BackendCx {
                provider: social_core::ProviderCx::new(
                    "bench",
                    auth.settings(),
                    &provider,
                    &social_core::clock::SystemClock,
                ),
                strategy: &callback,
                storage: &**auth.storage(),
            };
            backend.complete(&cx).await.unwrap()
        });
    });

    // Returning user: the default pipeline finds the account and updates extra data.
    rt.block_on(login(&auth));
    c.bench_function("login_returning_user", |b| {
        b.to_async(&rt).iter(|| login(&auth));
    });
}

criterion_group!(core, benches);
criterion_main!(core);
