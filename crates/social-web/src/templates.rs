//! The minijinja templates of the pages the routes write: the built-in sources, the
//! environment that renders them, and the errors of the templates an application sets.

use std::fmt;

use minijinja::{
    AutoEscape, Environment, Output, State, UndefinedBehavior, Value, value::ValueKind,
};
use social_core::backend::html_escape;

/// The page templates, by name, with their built-in sources.
pub(crate) const BUILTIN: [(&str, &str); 8] = [
    ("base.html", include_str!("../templates/base.html")),
    ("confirm.html", include_str!("../templates/confirm.html")),
    ("resubmit.html", include_str!("../templates/resubmit.html")),
    (
        "auto_post.html",
        include_str!("../templates/auto_post.html"),
    ),
    ("error.html", include_str!("../templates/error.html")),
    (
        "not_found.html",
        include_str!("../templates/not_found.html"),
    ),
    (
        "forbidden.html",
        include_str!("../templates/forbidden.html"),
    ),
    ("status.html", include_str!("../templates/status.html")),
];

/// A template given to [`SocialWeb::template`](crate::SocialWeb::template) that cannot
/// be used: an unknown name, a syntax error, or a failure to render with sample values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    template: String,
    message: String,
}

impl TemplateError {
    pub(crate) fn new(template: &str, message: impl Into<String>) -> Self {
        Self {
            template: template.to_owned(),
            message: message.into(),
        }
    }

    /// The name of the template at fault: `confirm.html`.
    pub fn template(&self) -> &str {
        &self.template
    }

    /// What is wrong with it, with the line when known.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "template `{}`: {}", self.template, self.message)
    }
}

impl std::error::Error for TemplateError {}

/// An environment holding the built-in templates. A built-in template that does not compile
/// is logged and left out: its page falls back to the plain one (the crate's tests keep this
/// from happening).
pub(crate) fn builtin() -> Environment<'static> {
    let mut env = Environment::new();
    // Printing a variable the page does not give is a mistake in the template, found when
    // the template is set rather than shown as an empty spot; `if` may still test for one.
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_formatter(format_value);
    for (name, source) in BUILTIN {
        if let Err(error) = env.add_template(name, source) {
            tracing::error!(template = name, %error, "a built-in page template does not compile");
        }
    }
    env
}

/// Whether `name` is one of the page templates.
pub(crate) fn is_page_template(name: &str) -> bool {
    BUILTIN.iter().any(|(known, _)| *known == name)
}

/// The names of the page templates, for error messages.
pub(crate) fn names() -> String {
    BUILTIN
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes `value` into the page. In HTML templates, text is escaped as social-core escapes
/// it: `& < > " '`, and nothing else, so that URLs stay readable in the markup (minijinja's
/// own escaper also writes `/` as `&#x2f;`).
fn format_value(
    out: &mut Output,
    state: &mut State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    if matches!(state.auto_escape(), AutoEscape::Html) && !value.is_safe() {
        if let Some(text) = value.as_str() {
            return out
                .write_str(&html_escape(text))
                .map_err(minijinja::Error::from);
        }
        if !matches!(
            value.kind(),
            ValueKind::Undefined | ValueKind::None | ValueKind::Bool | ValueKind::Number
        ) {
            return out
                .write_str(&html_escape(&value.to_string()))
                .map_err(minijinja::Error::from);
        }
    }
    minijinja::escape_formatter(out, state, value)
}
