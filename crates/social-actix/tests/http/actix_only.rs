//! What only the actix integration has: its app data, its scopes, its route builder.

use actix_web::{
    App,
    cookie::Key,
    http::{StatusCode, header},
    test::{self, TestRequest},
    web,
};
use social_actix::{AuthUser, actix_session::storage::CookieSessionStore};
use social_web_suite::{App as SuiteApp, query_param};

use crate::{ActixFrontend, MemoryStore, run};

type Suite = SuiteApp<ActixFrontend<MemoryStore>>;

#[test]
fn without_the_social_auth_app_data_the_extractor_says_so() {
    run(async {
        let app = test::init_service(
            App::new()
                .route(
                    "/",
                    web::get().to(|AuthUser(user): AuthUser| async move { user.username }),
                )
                .wrap(social_actix::session_middleware(
                    CookieSessionStore::default(),
                    Key::generate(),
                )),
        )
        .await;
        let response = test::call_service(&app, TestRequest::get().uri("/").to_request()).await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = test::read_body(response).await;
        assert!(
            String::from_utf8_lossy(&body).contains("web::Data::new(auth)"),
            "the message says what to add: {body:?}"
        );
    });
}

#[test]
fn routes_in_a_scope_with_a_dynamic_segment_keep_its_value() {
    run(async {
        let suite = Suite::new().await;
        let app = test::init_service(
            App::new()
                .service(
                    web::scope("/t/{tenant}").configure(social_actix::routes(suite.auth.clone())),
                )
                .wrap(social_actix::session_middleware(
                    CookieSessionStore::default(),
                    Key::generate(),
                )),
        )
        .await;
        let request = TestRequest::get()
            .uri("/t/acme/login/github/?next=/after")
            .insert_header((header::HOST, social_web_suite::HOST))
            .to_request();
        let response = test::call_service(&app, request).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert_eq!(
            query_param(location, "redirect_uri").as_deref(),
            Some("http://testserver/t/acme/complete/github/"),
            "{location}"
        );
        let cookie = response
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
            assert!(cookie.contains(attribute), "{attribute}: {cookie}");
        }
    });
}

#[test]
fn a_form_over_the_limit_is_refused_unread() {
    run(async {
        let app = Suite::new().await;
        let mut browser = app.browser();
        let csrf = browser.csrf().await;
        let padding = "x".repeat(social_web::MAX_FORM_BYTES);
        let request = social_web::http::Request::post("/login/github/")
            .header("host", social_web_suite::HOST)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf_token={csrf}&pad={padding}"));
        let response = browser.send(request).await;
        assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE.as_u16());
        assert!(response.body.contains("too large"), "{}", response.body);
        assert_eq!(app.github_hits().await, 0);
    });
}

#[test]
fn an_invalid_template_is_refused_when_the_routes_are_built() {
    run(async {
        let app = Suite::new().await;
        let routes = || social_actix::SocialRoutes::new(app.auth.clone());
        let error = routes()
            .template("forbidden.html", "<h1>{{ message }</h1>")
            .err()
            .unwrap_or_else(|| panic!("a syntax error is refused"));
        assert_eq!(error.template(), "forbidden.html");
        let error = routes()
            .template("login.html", "{{ display_name }}")
            .err()
            .unwrap_or_else(|| panic!("an unknown template is refused"));
        assert_eq!(error.template(), "login.html");
    });
}

#[test]
fn two_routes_on_one_path_are_refused_at_start_up() {
    run(async {
        let app = Suite::new().await;
        let routes =
            social_actix::SocialRoutes::new(app.auth.clone()).complete_path("/login/{backend}/");
        let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            App::new().configure(move |cfg| routes.configure(cfg))
        }));
        let message = refused
            .err()
            .and_then(|panic| panic.downcast::<String>().ok())
            .unwrap_or_else(|| panic!("the routes are refused"));
        assert!(message.contains("/login/{backend}/"), "{message}");
    });
}
