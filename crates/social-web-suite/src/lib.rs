#![doc = include_str!("../README.md")]

mod app;
mod browser;
mod frontend;

#[cfg(feature = "chromium")]
pub mod chromium;

pub mod csrf;
pub mod disconnect;
pub mod extractors;
pub mod form_post;
pub mod login;
pub mod nested;
pub mod pages;
pub mod partial;

pub use app::{ACCESS_TOKEN, App, CLIENT_SECRET, Config, EMAILS_JSON, HOST, TOKEN_JSON, USER_JSON};
pub use browser::{Browser, Resp, begin, hidden, login, query_param};
pub use frontend::{Frontend, Setup};

/// One `#[test]` per scenario of the suite, for one [`Frontend`].
///
/// `suite!(MyFrontend, run)` takes the frontend type and a way to run a future to its end on
/// this thread: a closure (`|fut| runtime().block_on(fut)`) or the path of a generic function.
/// It expands to one module per scenario module (`login`, `csrf`, ...), each with one test per
/// scenario, named as the scenario: a failure reads `login::hostile_next_is_ignored`.
///
/// Invoke it once at the root of a test crate, or once per module to run the suite over
/// several frontends (social-axum runs it over a session store and over cookie sessions);
/// names the invoking module sees (the frontend, the runner) are seen by the tests.
#[macro_export]
macro_rules! suite {
    ($frontend:ty, $run:expr $(,)?) => {
        $crate::__scenarios! { $frontend, $run;
            csrf {
                cross_site_get_begin_asks_for_confirmation,
                get_begin_from_this_site_or_a_typed_url_starts_at_once,
                post_begin_needs_this_sessions_csrf_token,
                post_begin_without_any_session_is_refused,
                the_csrf_token_changes_at_login,
                head_requests_never_start_a_login,
            }
            disconnect {
                disconnect_needs_a_user_and_the_csrf_token,
                disconnecting_one_of_two_accounts_works,
                disconnect_goes_to_next_or_the_disconnect_url,
                the_last_login_method_cannot_be_disconnected,
                raising_shows_the_refusal_as_a_403_page,
            }
            extractors {
                anonymous_users_are_sent_to_the_login_url_with_next,
                logged_in_users_pass_and_logout_ends_it,
                the_template_context_lists_backends_and_associations_without_tokens,
            }
            form_post {
                a_cross_site_callback_post_is_resubmitted_from_this_site_and_logs_in,
                the_resubmitted_callback_meets_the_same_state_checks,
                a_callback_post_that_brings_the_session_goes_straight_through,
                the_page_escapes_what_it_echoes,
            }
            login {
                full_login_redirects_to_next_with_a_new_session,
                login_without_next_goes_to_login_redirect_url,
                next_from_a_post_begin_form_reaches_core,
                hostile_next_is_ignored,
                a_backend_compiled_in_but_not_configured_is_named_as_such,
                unknown_backend_is_a_404_page,
                missing_forged_and_replayed_state_flash_an_error,
                raising_shows_a_detailed_page_with_the_status_of_the_error,
                the_token_never_reaches_the_error_page,
                the_answer_comes_the_way_the_login_asked,
                session_expiry_follows_the_token_when_configured,
                inactive_users_are_not_logged_in,
                an_association_only_backend_does_not_send_anonymous_users_away,
                a_head_request_never_spends_the_callback,
                login_answers_are_never_cached_nor_leak_the_callback_url,
                a_callback_with_a_security_parameter_twice_is_refused,
                a_forged_host_never_reaches_the_provider,
            }
            nested {
                routes_nested_under_a_prefix_keep_it_in_every_url,
            }
            pages {
                the_built_in_pages_name_the_provider_as_it_spells_itself,
                an_application_template_replaces_the_built_in_one,
                hostile_values_are_escaped_on_every_page,
            }
            partial {
                a_paused_login_resumes_with_the_email,
                a_wrong_token_is_refused_and_the_right_one_still_works,
                a_token_works_only_in_the_browser_it_was_issued_to,
                an_expired_token_is_refused,
                resuming_takes_a_post_with_this_sessions_csrf_token,
            }
        }
    };
}

/// The modules and tests of [`suite!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __scenarios {
    ($frontend:ty, $run:expr; $($module:ident { $($name:ident),* $(,)? })*) => {
        $(
            mod $module {
                #[allow(unused_imports, reason = "the frontend and the runner may be named here")]
                use super::*;
                $(
                    #[test]
                    fn $name() {
                        $crate::__run($run, $crate::$module::$name::<$frontend>());
                    }
                )*
            }
        )*
    };
}

/// Runs `scenario` with `run`; gives a closure runner its argument's type.
#[doc(hidden)]
pub fn __run<Fut: Future<Output = ()>>(run: impl FnOnce(Fut), scenario: Fut) {
    run(scenario);
}
