//! Declarative providers: URL templates over the backend's settings, from TOML and the
//! environment alike, and the options they name required at start-up.

use social_core::{Configure, Endpoint, ErrorKind, Mapping, Settings, TokenIn};
use social_oauth2::{OAuth2Backend, OAuth2Provider, OAuth2Spec, ProfileCall, expand_template};

/// A provider whose every URL lives on a tenant's own domain (as Auth0's and Okta's do).
const TENANTED: OAuth2Spec = OAuth2Spec {
    name: "tenanted",
    authorization_url: "https://{domain}/authorize",
    token_url: "https://{domain}/oauth/token",
    revoke_url: Some("https://{domain}/oauth/revoke?client={client_id}"),
    profile: Some(ProfileCall::get(
        "https://{domain}/userinfo",
        TokenIn::Bearer,
    )),
    mapping: Mapping {
        uid: "/sub",
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

fn configured(
    toml: &str,
    vars: &[(&str, &str)],
) -> social_core::Result<social_core::BackendSettings> {
    let vars = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
    let mut settings = Settings::from_toml_str(toml)?.with_vars(vars)?;
    settings.resolve_env(&["tenanted"])?;
    Configure::run(&OAuth2Backend::new(TENANTED), settings.backend("tenanted"))
}

#[test]
fn templates_fill_from_toml_and_the_environment_alike() {
    let from_toml = configured(
        "[backends.tenanted]\nkey = \"k\"\nsecret = \"s\"\ndomain = \"acme.example\"",
        &[],
    )
    .expect("valid");
    let from_env = configured(
        "",
        &[
            ("SOCIAL_AUTH_TENANTED_KEY", "k"),
            ("SOCIAL_AUTH_TENANTED_SECRET", "s"),
            ("SOCIAL_AUTH_TENANTED_DOMAIN", "acme.example"),
        ],
    )
    .expect("valid");
    for settings in [&from_toml, &from_env] {
        let url = |e, default| TENANTED.endpoint(settings, e, default);
        assert_eq!(
            url(Endpoint::AUTHORIZATION, TENANTED.authorization_url),
            "https://acme.example/authorize"
        );
        assert_eq!(
            url(Endpoint::ACCESS_TOKEN, TENANTED.token_url),
            "https://acme.example/oauth/token"
        );
        assert_eq!(
            url(
                Endpoint::REVOKE_TOKEN,
                TENANTED.revoke_url.unwrap_or_default()
            ),
            "https://acme.example/oauth/revoke?client=k"
        );
    }
}

#[test]
fn an_option_a_template_names_is_required_and_named() {
    for (toml, vars, named) in [
        (
            "[backends.tenanted]\nkey = \"k\"\nsecret = \"s\"",
            vec![],
            "SOCIAL_AUTH_TENANTED_DOMAIN",
        ),
        (
            "[backends.tenanted]\nkey = \"k\"\nsecret = \"s\"\ndomain = \" \"",
            vec![],
            "backends.tenanted.domain",
        ),
        (
            "",
            vec![
                ("SOCIAL_AUTH_TENANTED_KEY", "k"),
                ("SOCIAL_AUTH_TENANTED_SECRET", "s"),
                ("SOCIAL_AUTH_TENANTED_DOMAIN", "acme.example"),
                ("SOCIAL_AUTH_TENANTED_DOMIAN", "acme.example"),
            ],
            "SOCIAL_AUTH_TENANTED_DOMIAN",
        ),
        (
            "",
            vec![
                ("SOCIAL_AUTH_TENANTED_KEY", "k"),
                ("SOCIAL_AUTH_TENANTED_SECRET", "s"),
                ("SOCIAL_AUTH_TENANTED_DOMAIN", "https://acme.example/"),
            ],
            "SOCIAL_AUTH_TENANTED_DOMAIN",
        ),
        (
            "[backends.tenanted]\nkey = \"k\"\nsecret = \"s\"\ndomain = \"acme.example/tenant\"",
            vec![],
            "backends.tenanted.domain",
        ),
    ] {
        let err = configured(toml, &vars).expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.details().starts_with(named), "{named}: {err}");
    }
}

#[test]
fn a_host_with_a_port_is_a_host() {
    let settings = configured(
        "[backends.tenanted]\nkey = \"k\"\nsecret = \"s\"\ndomain = \"id.example:8443\"",
        &[],
    )
    .expect("a port is allowed");
    assert_eq!(
        TENANTED.endpoint(
            &settings,
            Endpoint::AUTHORIZATION,
            TENANTED.authorization_url
        ),
        "https://id.example:8443/authorize"
    );
}

#[test]
fn an_endpoint_setting_wins_over_its_template() {
    let settings = configured(
        "[backends.tenanted]\nkey = \"k\"\nsecret = \"s\"\ndomain = \"acme.example\"\naccess_token_url = \"https://proxy.example/token\"",
        &[],
    )
    .expect("valid");
    assert_eq!(
        TENANTED.endpoint(&settings, Endpoint::ACCESS_TOKEN, TENANTED.token_url),
        "https://proxy.example/token"
    );
}

#[test]
fn expand_template_fills_known_names_and_keeps_the_rest() {
    let value = |name: &str| (name == "realm").then(|| "corp".to_owned());
    assert_eq!(
        expand_template("https://id.example/realms/{realm}/x", value),
        "https://id.example/realms/corp/x"
    );
    assert_eq!(expand_template("https://{unknown}/x", value), "https:///x");
    assert_eq!(
        expand_template("https://id.example/{realm", value),
        "https://id.example/{realm",
        "an unclosed brace is text"
    );
}

/// RFC 6749 section 2.3.1: Basic credentials are form-encoded before they are joined with
/// `:`, so a client id holding `:` cannot be read as another id and secret.
#[test]
fn basic_credentials_encode_the_colon() {
    use base64::{Engine as _, engine::general_purpose::STANDARD};
    use social_core::{BackendSettings, ProviderCx, Secret, clock::SystemClock, http::HttpRequest};
    use social_oauth2::{ClientAuth, Method, TokenBody, client_request};

    let mut backend = BackendSettings::default();
    backend.key = Some("client:id".into());
    backend.secret = Some(Secret::new("s3:cr et"));
    let mut settings = Settings::default();
    settings.backends.insert("corp".into(), backend);
    let http = |_: HttpRequest| async {
        Err::<social_core::http::HttpResponse, _>(social_core::http::HttpError::Other(
            "unused".into(),
        ))
    };
    let cx = ProviderCx::new("corp", &settings, &http, &SystemClock);
    let mut form = vec![("grant_type", "authorization_code".to_owned())];
    let request = client_request(
        &cx,
        ClientAuth::Basic,
        TokenBody::Form,
        Method::POST,
        "https://id.example.com/token",
        &mut form,
    )
    .expect("a request");
    let header = request.headers()["authorization"].to_str().expect("ascii");
    let decoded = STANDARD
        .decode(header.trim_start_matches("Basic "))
        .expect("base64");
    assert_eq!(String::from_utf8_lossy(&decoded), "client%3Aid:s3%3Acr+et");
    assert!(!form.iter().any(|(k, _)| *k == "client_secret"));
}
