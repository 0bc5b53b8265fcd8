//! The login, callback and disconnect routes on an actix-web app.

use actix_session::Session;
use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use serde::Deserialize;
use social_core::SocialAuth;
use social_web::{BodyTooLarge, MAX_FORM_BYTES, RoutePaths, SocialWeb, WebRequest, http};

use crate::session::ActixSession;

/// The social login routes at the default paths, for [`App::configure`](actix_web::App::configure)
/// or [`Scope::configure`](actix_web::Scope::configure); see [`SocialRoutes`].
///
/// ```
/// # fn app(auth: social_core::SocialAuth) {
/// let app = actix_web::App::new().configure(social_actix::routes(auth));
/// # drop(app); }
/// ```
pub fn routes(auth: SocialAuth) -> impl FnOnce(&mut web::ServiceConfig) {
    let routes = SocialRoutes::new(auth);
    move |cfg| routes.configure(cfg)
}

/// The social login routes, with configurable paths.
///
/// | Method | Default path | What it does |
/// |---|---|---|
/// | `GET`, `POST` | `/login/{backend}/` | starts a login (POST needs the CSRF token) |
/// | `GET`, `POST` | `/complete/{backend}/` | the provider's callback; resumes a paused pipeline given `partial_token` (POST with the CSRF token only) |
/// | `POST` | `/disconnect/{backend}/` | removes the user's accounts of `backend` (CSRF token required) |
/// | `POST` | `/disconnect/{backend}/{association_id}/` | removes one account (CSRF token required) |
///
/// `HEAD` is answered on the login and callback paths without starting or spending anything.
/// Every path must start with `/` and hold `{backend}` once.
///
/// The pages the routes show themselves (the cross-site login confirmation, error pages, the
/// re-submit page) are minijinja templates: [`SocialRoutes::template`] replaces any of them.
///
/// The rules behind the routes (sessions, CSRF, cross-site checks, pages) are
/// [`social_web::SocialWeb`]'s, shared with the other integrations.
#[derive(Debug, Clone)]
pub struct SocialRoutes {
    web: SocialWeb,
}

impl SocialRoutes {
    social_web::routes_builder!();

    /// Registers the routes with an app or a scope: `App::new().configure(|cfg|
    /// routes.configure(cfg))`, or the same on `web::scope("/auth")`, whose prefix the URLs
    /// built for browsers and providers keep.
    ///
    /// The session middleware (see [`session_middleware`](crate::session_middleware)) must
    /// wrap the app or scope the routes are in.
    ///
    /// # Panics
    ///
    /// When a path does not start with `/` or does not hold `{backend}` exactly once, or when
    /// two paths are the same: mistakes in the application's code, found at start-up.
    pub fn configure(self, cfg: &mut web::ServiceConfig) {
        self.web.log_start();
        let paths = self.web.paths();
        let all = [
            &paths.login,
            &paths.complete,
            &paths.disconnect,
            &paths.disconnect_one,
        ];
        for (i, path) in all.iter().enumerate() {
            assert!(
                !all[i + 1..].contains(path),
                "social login routes: `{path}` is given to two routes; give each its own path"
            );
        }
        let shared = web::Data::new(Shared {
            web: self.web,
            paths: paths.clone(),
        });
        cfg.service(
            web::resource(paths.login.as_str())
                .app_data(shared.clone())
                .route(web::get().to(begin))
                .route(web::post().to(begin))
                .route(web::head().to(begin)),
        )
        .service(
            web::resource(paths.complete.as_str())
                .app_data(shared.clone())
                .route(web::get().to(complete))
                .route(web::post().to(complete))
                .route(web::head().to(complete)),
        )
        .service(
            web::resource(paths.disconnect.as_str())
                .app_data(shared.clone())
                .route(web::post().to(disconnect)),
        )
        .service(
            web::resource(paths.disconnect_one.as_str())
                .app_data(shared)
                .route(web::post().to(disconnect_one)),
        );
    }
}

/// What the handlers share: the rules and the route patterns.
#[derive(Debug)]
struct Shared {
    web: SocialWeb,
    paths: RoutePaths,
}

/// The path parameters, percent-decoded.
#[derive(Debug, Deserialize)]
struct Params {
    backend: String,
    association_id: Option<String>,
}

async fn begin(
    request: HttpRequest,
    payload: web::Payload,
    params: web::Path<Params>,
    session: Session,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let web = &shared.web;
    let route = &shared.paths.login;
    serve(&request, payload, route, web, &session, async |read, s| {
        web.begin(&params.backend, read, s).await
    })
    .await
}

async fn complete(
    request: HttpRequest,
    payload: web::Payload,
    params: web::Path<Params>,
    session: Session,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let web = &shared.web;
    let route = &shared.paths.complete;
    serve(&request, payload, route, web, &session, async |read, s| {
        web.complete(&params.backend, read, s).await
    })
    .await
}

async fn disconnect(
    request: HttpRequest,
    payload: web::Payload,
    params: web::Path<Params>,
    session: Session,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let web = &shared.web;
    let route = &shared.paths.disconnect;
    serve(&request, payload, route, web, &session, async |read, s| {
        web.disconnect(&params.backend, None, read, s).await
    })
    .await
}

async fn disconnect_one(
    request: HttpRequest,
    payload: web::Payload,
    params: web::Path<Params>,
    session: Session,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let web = &shared.web;
    let route = &shared.paths.disconnect_one;
    let association = params.association_id.as_deref().unwrap_or_default();
    serve(&request, payload, route, web, &session, async |read, s| {
        web.disconnect(&params.backend, Some(association), read, s)
            .await
    })
    .await
}

/// Reads the request, runs `route` over a copy of the session, hands the session's changes
/// back and writes the answer.
async fn serve(
    request: &HttpRequest,
    payload: web::Payload,
    pattern: &str,
    web: &SocialWeb,
    session: &Session,
    route: impl AsyncFnOnce(&WebRequest, &ActixSession) -> social_web::Response,
) -> HttpResponse {
    let Some(parts) = head(request) else {
        return answer(web.status_page(
            http::StatusCode::BAD_REQUEST,
            "The request's URL cannot be read.",
        ));
    };
    let body = if parts.method == http::Method::POST {
        read_body(payload).await
    } else {
        Ok(Default::default())
    };
    let read = WebRequest::from_parts(&parts, body.as_deref().map_err(|&e| e))
        .mounted_at(&mount_prefix(request.uri().path(), pattern));
    let copy = ActixSession::new(session);
    let response = route(&read, &copy).await;
    match copy.apply(session) {
        Ok(()) => answer(response),
        Err(error) => {
            tracing::error!(%error, "could not write the session");
            answer(web.status_page(
                http::StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. Please try again later.",
            ))
        }
    }
}

/// At most [`MAX_FORM_BYTES`] of the body; beyond that, or when the body breaks off, nothing.
async fn read_body(payload: web::Payload) -> Result<web::Bytes, BodyTooLarge> {
    match payload.to_bytes_limited(MAX_FORM_BYTES).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) | Err(_) => Err(BodyTooLarge),
    }
}

/// Where the routes are mounted: the path the browser asked for, less as many `/`-separated
/// segments as the route's pattern has (a `{name}` matches one whole segment). Scopes with
/// dynamic segments (`/{tenant}`) give their actual values.
pub(crate) fn mount_prefix(path: &str, pattern: &str) -> String {
    let mut end = path.len();
    for _ in 0..pattern.matches('/').count() {
        match path[..end].rfind('/') {
            Some(i) => end = i,
            None => return String::new(),
        }
    }
    path[..end].to_owned()
}

/// The request head in the `http` 1 types social-web reads (actix-web 4 is on `http` 0.2):
/// method, the URI as the browser sent it (with any scope's prefix and the query), version
/// and every header. `None` when the URI does not parse as `http` 1 reads it.
pub(crate) fn head(request: &HttpRequest) -> Option<http::request::Parts> {
    let uri: http::Uri = request.uri().to_string().parse().ok()?;
    let (mut parts, ()) = http::Request::new(()).into_parts();
    parts.method = http::Method::from_bytes(request.method().as_str().as_bytes()).ok()?;
    parts.uri = uri;
    parts.version = match request.version() {
        actix_web::http::Version::HTTP_09 => http::Version::HTTP_09,
        actix_web::http::Version::HTTP_10 => http::Version::HTTP_10,
        actix_web::http::Version::HTTP_2 => http::Version::HTTP_2,
        actix_web::http::Version::HTTP_3 => http::Version::HTTP_3,
        _ => http::Version::HTTP_11,
    };
    for (name, value) in request.headers() {
        // Both crates accept the same bytes: a header of one is a header of the other.
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_str().as_bytes()),
            http::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            parts.headers.append(name, value);
        }
    }
    Some(parts)
}

/// social-web's answer as an actix-web response: status, every header, body.
pub(crate) fn answer(response: social_web::Response) -> HttpResponse {
    let (parts, body) = response.into_parts();
    let status =
        StatusCode::from_u16(parts.status.as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(status);
    for (name, value) in &parts.headers {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.as_str().as_bytes()),
            header::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            builder.append_header((name, value));
        }
    }
    builder.body(body)
}

#[cfg(test)]
mod tests {
    use super::mount_prefix;

    #[test]
    fn the_mount_prefix_is_what_comes_before_the_route() {
        for (path, pattern, prefix) in [
            ("/login/github/", "/login/{backend}/", ""),
            ("/auth/login/github/", "/login/{backend}/", "/auth"),
            (
                "/t/acme/auth/login/github",
                "/login/{backend}",
                "/t/acme/auth",
            ),
            (
                "/a/disconnect/github/7/",
                "/disconnect/{backend}/{association_id}/",
                "/a",
            ),
            ("/auth/login/a%2Fb/", "/login/{backend}/", "/auth"),
            ("/", "/login/{backend}/", ""),
        ] {
            assert_eq!(mount_prefix(path, pattern), prefix, "{path}");
        }
    }
}
