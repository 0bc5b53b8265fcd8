//! Two demo instances sharing one database and one session store: a login that starts on one
//! instance completes on the other, as behind a load balancer. Once with PostgreSQL holding
//! both users and sessions, once with sessions in Redis and users in one SQLite file, once
//! with sessions in their cookie sealed with one key.
//!
//! Needs `TEST_POSTGRES_URL` (a role that may create databases) and `TEST_REDIS_URL` (such as
//! `redis://127.0.0.1:6379/0`). Under `CI=true` a missing one is a failure; elsewhere the test
//! that needs it says what is missing and passes.

mod common;

use std::path::PathBuf;

use axum::Router;
use common::{Browser, Server, listen, serve_on, service_url};
use reqwest::StatusCode;
use social_axum::USER_ID_KEY;
use social_core::{BackendSettings, Secret, Settings};
use social_demo::{Config, DEV_PROVIDER_PATH, DevProviderMode, SessionBackend, SessionKey};
use social_mock::{MockClient, MockKey, MockProvider};
use social_sqlx::sqlx::{Connection, Executor, PgConnection};
use tower_sessions_redis_store::fred::prelude::{
    Builder, Client, ClientLike as _, Config as RedisConfig, KeysInterface as _,
};

/// A database of its own for one test, dropped by [`FreshDatabase::drop_now`].
struct FreshDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl FreshDatabase {
    async fn create(admin_url: &str) -> Self {
        let name = format!("social_demo_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to TEST_POSTGRES_URL: {e}"));
        admin
            .execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
            .await
            .unwrap_or_else(|e| panic!("cannot create a test database (CREATEDB needed): {e}"));
        let mut url = url::Url::parse(admin_url).expect("TEST_POSTGRES_URL is a URL");
        url.set_path(&format!("/{name}"));
        Self {
            admin_url: admin_url.to_owned(),
            name,
            url: url.into(),
        }
    }

    async fn drop_now(self) {
        if let Ok(mut admin) = PgConnection::connect(&self.admin_url).await {
            let sql = format!(r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#, self.name);
            if let Err(error) = admin.execute(sql.as_str()).await {
                eprintln!("could not drop {}: {error}", self.name);
            }
        }
    }
}

/// A SQLite file in the temporary directory that both instances open; removed, with its WAL
/// files, when dropped.
struct SqliteFile(PathBuf);

impl SqliteFile {
    fn new() -> Self {
        let name = format!("social-demo-test-{}.sqlite", uuid::Uuid::new_v4().simple());
        Self(std::env::temp_dir().join(name))
    }

    fn url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.0.display())
    }
}

impl Drop for SqliteFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

const KEY: &str = "two-instances";
const SECRET: &str = "two-instances-secret";

fn settings() -> Settings {
    let mut dev = BackendSettings::default();
    dev.key = Some(KEY.into());
    dev.secret = Some(Secret::new(SECRET));
    let mut settings = Settings::default();
    settings.backends.insert("dev".into(), dev);
    settings
}

/// Two instances on `database_url` with sessions in `sessions`, behind one public address, and
/// one dev provider outside both. Alice's login starts on A and completes on B; Bob's pauses
/// for an e-mail address on A and resumes on B. Returns instance A and the browser, logged in
/// as Bob and pointed at B.
async fn a_login_crosses_instances(
    database_url: &str,
    sessions: SessionBackend,
    session_key: Option<SessionKey>,
) -> (Server, Browser) {
    // Instance A's address is the public one; B sits behind the same name.
    let (listener_a, front) = listen().await;
    let (listener_b, url_b) = listen().await;
    let front_host = front.trim_start_matches("http://").to_owned();

    // One dev provider outside both instances, so that either can redeem its codes.
    let (provider_listener, provider_url) = listen().await;
    let issuer = format!("{provider_url}{DEV_PROVIDER_PATH}");
    let provider = MockProvider::new(
        &issuer,
        MockKey::shared().expect("key"),
        [MockClient::new(
            KEY,
            SECRET,
            [format!("{front}/complete/dev/")],
        )],
    );
    let provider: Router = Router::new().nest(DEV_PROVIDER_PATH, provider.router());
    tokio::spawn(async move { axum::serve(provider_listener, provider).await });

    let config = || {
        let config = Config::new(&front)
            .database_url(database_url)
            .sessions(sessions.clone())
            .dev_provider(DevProviderMode::External {
                issuer: issuer.clone(),
            })
            .settings(settings());
        match &session_key {
            Some(key) => config.session_key(key.clone()),
            None => config,
        }
    };
    // One after the other: the second finds the tables made by the first.
    let a = serve_on(listener_a, front.clone(), config()).await;
    let b = serve_on(listener_b, url_b.clone(), config()).await;
    assert!(
        a.startup.enabled.contains(&"dev".to_owned()),
        "{:?}",
        a.startup
    );
    assert!(
        b.startup.enabled.contains(&"dev".to_owned()),
        "{:?}",
        b.startup
    );

    // Start on A: the state and PKCE verifier go into the shared session store.
    let mut browser = Browser::new(&front);
    let start = browser.get("/login/dev/").await;
    let authorize = start.location.expect("A sends the browser to the provider");
    assert!(authorize.starts_with(&issuer), "{authorize}");
    let (action, query) = authorize.split_once('?').expect("a query");
    let mut form: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    form.push(("preset".into(), "alice".into()));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let callback = browser
        .post(action, &form)
        .await
        .location
        .expect("the provider redirects back");
    let callback_path = callback
        .strip_prefix(&front)
        .expect("back to the public address")
        .to_owned();

    // Complete on B.
    browser.switch_to(&url_b, &front_host);
    let done = browser.get(&callback_path).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/profile/"));
    let on_b = browser.get("/profile/").await;
    assert_eq!(on_b.status, StatusCode::OK);
    assert!(on_b.body.contains(r#"<dd id="username">alice</dd>"#));

    // A sees the same session and the same user.
    browser.switch_to(&front, &front_host);
    let on_a = browser.get("/profile/").await;
    assert_eq!(on_a.status, StatusCode::OK);
    assert!(on_a.body.contains(r#"<dd id="username">alice</dd>"#));

    // A paused pipeline crosses instances too: paused on A, resumed on B.
    let csrf = on_a.input("csrf_token").expect("csrf");
    browser.post("/logout/", &[("csrf_token", &csrf)]).await;
    let paused = browser
        .dev_login("dev", &[("preset", "bob"), ("withhold_email", "1")])
        .await;
    let form_url = paused.location.expect("to the e-mail form");
    let form = browser.get(&form_url).await;
    let token = form.input("partial_token").expect("token");
    let csrf = form.input("csrf_token").expect("CSRF token");
    browser.switch_to(&url_b, &front_host);
    let resumed = browser
        .post(
            "/complete/dev/",
            &[
                ("partial_token", &token),
                ("email", "bob@builder.test"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(
        resumed.location.as_deref(),
        Some("/profile/"),
        "{}",
        resumed.body
    );
    let bob = browser.get("/profile/").await;
    assert!(bob.body.contains("bob@builder.test"));

    let users = a
        .auth
        .storage()
        .social_account("dev", "bob")
        .await
        .expect("storage");
    assert!(users.is_some(), "B's login is in A's database");
    (a, browser)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_started_on_one_instance_completes_on_the_other() {
    let Some(admin_url) = service_url(
        "TEST_POSTGRES_URL",
        "PostgreSQL",
        "postgres://user:password@127.0.0.1/db",
    ) else {
        return;
    };
    let database = FreshDatabase::create(&admin_url).await;
    let (a, _) = a_login_crosses_instances(&database.url, SessionBackend::Database, None).await;
    drop(a);
    database.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_sessions_in_their_cookie_and_one_key_a_login_crosses_instances() {
    let database = SqliteFile::new();
    use base64::Engine as _;
    let secret = base64::engine::general_purpose::STANDARD.encode([7u8; 64]);
    let key = SessionKey::from_base64(&secret).expect("64 bytes");
    let (a, mut browser) =
        a_login_crosses_instances(&database.url(), SessionBackend::Cookie, Some(key)).await;
    let on_a = browser.get("/profile/").await;
    assert_eq!(on_a.status, StatusCode::OK, "{}", on_a.body);

    // An instance with another key cannot open the cookie: the same browser is logged out
    // there.
    let (listener_c, url_c) = listen().await;
    let other = Config::new(&a.url)
        .database_url(&database.url())
        .dev_provider(DevProviderMode::Off)
        .session_key(SessionKey::generate());
    let _c = serve_on(listener_c, url_c.clone(), other).await;
    let host = a.url.trim_start_matches("http://").to_owned();
    browser.switch_to(&url_c, &host);
    let on_c = browser.get("/profile/").await;
    assert_ne!(on_c.status, StatusCode::OK, "{}", on_c.body);
    assert!(!on_c.body.contains("bob@builder.test"), "{}", on_c.body);
}

/// A connection of the test's own to the Redis server the instances use.
async fn redis_client(url: &str) -> Client {
    let config = RedisConfig::from_url(url)
        .unwrap_or_else(|e| panic!("TEST_REDIS_URL `{url}` is not a Redis URL: {e}"));
    let client = Builder::from_config(config)
        .build()
        .expect("a Redis client");
    client
        .init()
        .await
        .unwrap_or_else(|e| panic!("cannot connect to TEST_REDIS_URL `{url}`: {e}"));
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_sessions_in_redis_a_login_started_on_one_instance_completes_on_the_other() {
    let Some(redis_url) = service_url("TEST_REDIS_URL", "Redis", "redis://127.0.0.1:6379") else {
        return;
    };
    let redis = redis_client(&redis_url).await;
    let database = SqliteFile::new();
    let sessions = SessionBackend::Redis {
        url: redis_url.clone(),
    };
    let (a, mut browser) = a_login_crosses_instances(&database.url(), sessions, None).await;

    // The session is a key in Redis named by the cookie, as the store writes it.
    let current = browser.cookies_set().last().cloned().expect("a session");
    let stored: Option<Vec<u8>> = redis.get(&current).await.expect("GET");
    assert!(stored.is_some(), "session {current} is in Redis");

    // Logging out (and each login's new session id) removes the old sessions from Redis;
    // what is left is the new, anonymous session holding the "Logged out." message. The test
    // then deletes whatever it made that is left, and no other key: session ids are random,
    // so runs sharing a server never meet.
    let profile = browser.get("/profile/").await;
    let csrf = profile.input("csrf_token").expect("csrf");
    browser.post("/logout/", &[("csrf_token", &csrf)]).await;
    let home = browser.get("/").await;
    assert!(home.body.contains("Logged out."), "{}", home.body);
    let mut left = Vec::new();
    for id in browser.cookies_set() {
        let exists: u32 = redis.exists(id).await.expect("EXISTS");
        if exists > 0 {
            left.push(id.clone());
        }
    }
    let anonymous = browser
        .cookie()
        .and_then(|c| c.split_once('='))
        .map(|(_, id)| id.to_owned());
    let stored: Option<Vec<u8>> = match &anonymous {
        Some(id) => redis.get(id).await.expect("GET"),
        None => None,
    };
    if !left.is_empty() {
        let _: u32 = redis.del(left.clone()).await.expect("DEL");
    }
    assert!(
        browser.cookies_set().len() >= 4,
        "a session per login, and one after logout: {:?}",
        browser.cookies_set()
    );
    assert_eq!(
        left,
        anonymous.into_iter().collect::<Vec<_>>(),
        "only the session after logout is left in Redis"
    );
    let stored = stored.unwrap_or_default();
    assert!(
        !stored
            .windows(USER_ID_KEY.len())
            .any(|w| w == USER_ID_KEY.as_bytes()),
        "the session after logout holds no user"
    );
    drop(a);
    let _ = redis.quit().await;
}
