//! The frame of the mock provider's pages: layout, stylesheet, headers.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
pub(crate) use social_core::backend::html_escape as esc;

/// The stylesheet, served beside the pages under the issuer.
const CSS: &str = include_str!("mock.css");

/// A whole HTML page under the mock provider's bar. `body` must already be escaped.
pub(crate) fn page(css_href: &str, title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title><link rel="stylesheet" href="{css}"></head><body><header><span class="brand">Mock provider</span><span class="muted">made-up users, for development and tests only</span></header><main>{body}</main></body></html>"#,
        title = esc(title),
        css = esc(css_href),
    )
}

/// An HTML response that no cache keeps and no other site can frame or script.
pub(crate) fn respond(status: StatusCode, html: String) -> Response {
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // No scripts anywhere; styles only from the provider's own stylesheet.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    response
}

/// The stylesheet as a response.
pub(crate) fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

/// A hidden form field.
pub(crate) fn hidden(name: &str, value: &str) -> String {
    format!(
        r#"<input type="hidden" name="{}" value="{}">"#,
        esc(name),
        esc(value)
    )
}
