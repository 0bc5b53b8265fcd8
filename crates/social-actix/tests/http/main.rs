//! HTTP-level tests of social-actix over a real app: social-web-suite's scenarios against the
//! actix frontend below (the routes, an in-memory session store and the contract routes,
//! driven in-process through actix-web's test service), full logins with the cookie and Redis
//! stores, and the tests of what only actix has.

mod actix_only;
mod stores;

use std::{
    collections::HashMap,
    pin::Pin,
    rc::Rc,
    sync::{Arc, Mutex, PoisonError},
};

use actix_session::{
    Session, SessionMiddleware,
    storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError},
};
use actix_web::{
    App, HttpResponse,
    body::{BoxBody, MessageBody},
    cookie::{Cookie, CookieJar, Key, time::Duration},
    dev::{Service, ServiceResponse},
    http::{
        Method,
        header::{HeaderName, HeaderValue},
    },
    middleware::from_fn,
    test::{self, TestRequest},
    web,
};
use serde_json::Value;
use social_actix::{AuthUser, MaybeUser, SocialContext, SocialRoutes};
use social_web::http;
use social_web_suite::{Frontend, Setup};

/// The session cookie's name: actix-session's default.
const COOKIE: &str = "id";

/// The app, in-process: a request in, the whole response out.
type Call =
    Box<dyn Fn(http::Request<String>) -> Pin<Box<dyn Future<Output = http::Response<String>>>>>;

/// A session store the frontend can open and read back by session key.
trait Store: SessionStore + Sized + 'static {
    /// A new, empty store.
    async fn open() -> Self;
    /// Another handle on the same sessions.
    fn handle(&self) -> Self;
}

/// social-actix's routes and extractors in an actix-web app, with the suite's contract routes,
/// sessions in `S`.
struct ActixFrontend<S> {
    call: Call,
    store: S,
    key: Key,
}

impl<S: Store> Frontend for ActixFrontend<S> {
    async fn start(setup: Setup) -> Self {
        let store = S::open().await;
        let key = Key::generate();
        let auth = setup.auth;
        let routes = SocialRoutes::new(auth.clone())
            .templates(setup.templates)
            .unwrap_or_else(|e| panic!("templates are valid: {e}"));
        let app = App::new()
            .app_data(web::Data::new(auth))
            .route("/home", web::get().to(home))
            .route("/private", web::get().to(private))
            .service(
                web::resource("/protected")
                    .wrap(from_fn(social_actix::login_required))
                    .route(web::get().to(|| async { "protected page" })),
            )
            .route("/context", web::get().to(context))
            .route("/csrf", web::get().to(csrf))
            .route("/login-error", web::get().to(login_error))
            .route("/logout", web::post().to(logout));
        let app = match setup.mount_at {
            Some(prefix) => {
                app.service(web::scope(prefix).configure(move |cfg| routes.configure(cfg)))
            }
            None => app.configure(move |cfg| routes.configure(cfg)),
        };
        let app = app.wrap(
            SessionMiddleware::builder(store.handle(), key.clone())
                .cookie_name(COOKIE.to_owned())
                .cookie_secure(false)
                .build(),
        );
        let service = test::init_service(app).await;
        Self {
            call: erase(service, TestRequest::to_request),
            store,
            key,
        }
    }

    async fn send(&self, request: http::Request<String>) -> http::Response<String> {
        (self.call)(request).await
    }

    async fn session_data(&self, id: &str) -> Option<HashMap<String, Value>> {
        // The cookie holds the session key encrypted with the app's key.
        let cookie = Cookie::parse_encoded(format!("{COOKIE}={id}")).ok()?;
        let mut jar = CookieJar::new();
        jar.add_original(cookie.into_owned());
        let session_key = jar.private(&self.key).get(COOKIE)?.value().to_owned();
        let state = self
            .store
            .load(&SessionKey::try_from(session_key).ok()?)
            .await
            .ok()??;
        Some(
            state
                .into_iter()
                .map(|(name, text)| {
                    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
                    (name, value)
                })
                .collect(),
        )
    }

    fn cookie_name(&self) -> &str {
        COOKIE
    }
}

/// The test service behind a [`Call`]; `to_request` names its request type, which actix-web
/// does not export.
fn erase<S, R, B>(service: S, to_request: fn(TestRequest) -> R) -> Call
where
    S: Service<R, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    R: 'static,
    B: MessageBody + 'static,
{
    let service = Rc::new(service);
    Box::new(move |request| {
        let service = Rc::clone(&service);
        let request = to_request(test_request(request));
        Box::pin(async move {
            let response = match service.call(request).await {
                Ok(response) => response.into_parts().1.map_into_boxed_body(),
                // As actix-web's server answers an error that reaches it.
                Err(error) => error.error_response(),
            };
            http_response(response).await
        })
    })
}

/// The suite's request as actix-web's test request.
fn test_request(request: http::Request<String>) -> TestRequest {
    let (parts, body) = request.into_parts();
    let method = Method::from_bytes(parts.method.as_str().as_bytes())
        .unwrap_or_else(|e| panic!("method: {e}"));
    let mut test = TestRequest::default()
        .method(method)
        .uri(&parts.uri.to_string());
    for (name, value) in &parts.headers {
        let name = HeaderName::from_bytes(name.as_str().as_bytes())
            .unwrap_or_else(|e| panic!("header name: {e}"));
        let value =
            HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|e| panic!("header: {e}"));
        test = test.append_header((name, value));
    }
    test.set_payload(body)
}

/// actix-web's response, read whole, as the suite's.
async fn http_response(response: HttpResponse<BoxBody>) -> http::Response<String> {
    let mut builder = http::Response::builder().status(response.status().as_u16());
    for (name, value) in response.headers() {
        builder = builder.header(name.as_str(), value.as_bytes());
    }
    let body = actix_web::body::to_bytes(response.into_body())
        .await
        .unwrap_or_default();
    builder
        .body(String::from_utf8_lossy(&body).into_owned())
        .unwrap_or_else(|e| panic!("response: {e}"))
}

async fn home(MaybeUser(user): MaybeUser) -> String {
    user.map_or_else(|| "anonymous".to_owned(), |u| u.username)
}

async fn private(AuthUser(user): AuthUser) -> String {
    format!("private page of {}", user.username)
}

async fn context(context: SocialContext) -> HttpResponse {
    HttpResponse::Ok().json(&context)
}

async fn csrf(session: Session) -> HttpResponse {
    match social_actix::csrf_token(&session).await {
        Ok(token) => HttpResponse::Ok().body(token),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

async fn login_error(session: Session) -> HttpResponse {
    match social_actix::take_error(&session).await {
        Ok(error) => HttpResponse::Ok().json(&error),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

async fn logout(session: Session) -> HttpResponse {
    match social_actix::logout(&session).await {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

/// Sessions in this process's memory, by session key, for the suite to read back.
#[derive(Clone, Default)]
struct MemoryStore(Arc<Mutex<HashMap<String, HashMap<String, String>>>>);

impl MemoryStore {
    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, HashMap<String, String>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Store for MemoryStore {
    async fn open() -> Self {
        Self::default()
    }

    fn handle(&self) -> Self {
        self.clone()
    }
}

impl SessionStore for MemoryStore {
    async fn load(
        &self,
        session_key: &SessionKey,
    ) -> Result<Option<HashMap<String, String>>, LoadError> {
        Ok(self.sessions().get(session_key.as_ref()).cloned())
    }

    async fn save(
        &self,
        session_state: HashMap<String, String>,
        _ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        let key = uuid::Uuid::new_v4().simple().to_string();
        self.sessions().insert(key.clone(), session_state);
        SessionKey::try_from(key).map_err(|e| SaveError::Other(e.into()))
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        if let Some(state) = self.sessions().get_mut(session_key.as_ref()) {
            *state = session_state;
            return Ok(session_key);
        }
        // Deleted meanwhile: saved under a new key, as actix-session's Redis store does.
        self.save(session_state, ttl)
            .await
            .map_err(|e| UpdateError::Other(e.into()))
    }

    async fn update_ttl(&self, _session_key: &SessionKey, _ttl: &Duration) -> anyhow::Result<()> {
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        self.sessions().remove(session_key.as_ref());
        Ok(())
    }
}

/// Runs a scenario on actix-web's runtime, as an actix-web app runs.
fn run(scenario: impl Future<Output = ()>) {
    actix_web::rt::System::new().block_on(scenario);
}

social_web_suite::suite!(ActixFrontend<MemoryStore>, run);
