//! The frame of every page: layout, stylesheet, headers, and the small formatting helpers.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
pub(crate) use social_core::backend::html_escape as esc;

/// The stylesheet, served by the app at [`CSS_PATH`]. (The dev provider, social-mock, has a
/// page style of its own.)
pub(crate) const CSS: &str = include_str!("../static/demo.css");
/// Where the app serves [`CSS`].
pub(crate) const CSS_PATH: &str = "/static/demo.css";

/// A whole HTML page of the demo under its bar; `user` is the logged-in username and the
/// session's CSRF token. `body` must already be escaped.
pub(crate) fn page(user: Option<(&str, &str)>, title: &str, body: &str) -> String {
    let nav = match user {
        Some((name, csrf)) => format!(
            r#"<a href="/profile/">{}</a><form class="inline" method="post" action="/logout/">{}<button class="link" type="submit">Log out</button></form>"#,
            esc(name),
            hidden(social_axum::CSRF_FIELD, csrf),
        ),
        None => String::new(),
    };
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title><link rel="stylesheet" href="{css}"></head><body><header class="top"><a class="brand" href="/">social-auth demo</a><nav>{nav}</nav></header><main>{body}</main></body></html>"#,
        title = esc(title),
        css = esc(CSS_PATH),
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
    // No scripts anywhere; styles only from our own stylesheet.
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

/// Unix seconds as `2025-01-31 12:00 UTC`.
pub(crate) fn utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Days to civil date, after Howard Hinnant's `civil_from_days`.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        secs / 3_600,
        secs % 3_600 / 60
    )
}

/// A duration from now in words: `in 59 minutes`, `2 hours ago`.
pub(crate) fn relative(seconds: i64) -> String {
    let abs = seconds.unsigned_abs();
    let amount = match abs {
        0..60 => plural(abs, "second"),
        60..7_200 => plural(abs / 60, "minute"),
        7_200..172_800 => plural(abs / 3_600, "hour"),
        _ => plural(abs / 86_400, "day"),
    };
    if seconds >= 0 {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

fn plural(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_durations_read_well() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(1_735_689_599), "2024-12-31 23:59 UTC");
        assert_eq!(utc(-1), "1969-12-31 23:59 UTC");
        assert_eq!(relative(3_599), "in 59 minutes");
        assert_eq!(relative(-7_200), "2 hours ago");
        assert_eq!(relative(1), "in 1 second");
    }
}
