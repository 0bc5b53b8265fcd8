//! Complete logins per second of the demo against its built-in dev provider, for new users
//! and for returning ones. In-process, loopback only, bounded in count and in time.
//!
//! `cargo bench -p social-demo --bench login`. Knobs (environment):
//! `LOGIN_BENCH_LOGINS` logins per phase (default 1500), `LOGIN_BENCH_SECONDS` time limit per
//! phase (default 20), `LOGIN_BENCH_CONCURRENCY` browsers at once (default 8),
//! `LOGIN_BENCH_ROUNDS` alternations of the two phases (default 3).
//!
//! One login is what a browser does: `GET /login/dev/` (302 to the provider), `POST` the
//! provider's form (303 back with a code), `GET /complete/dev/` (the app exchanges the code
//! and fetches the user over loopback HTTP, runs the pipeline on SQLite, logs in; 303).

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use reqwest::{Client, header, redirect::Policy};
use social_demo::Config;

struct Knobs {
    logins: usize,
    seconds: u64,
    concurrency: usize,
    rounds: usize,
}

fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&v| v > 0)
        .unwrap_or(default)
}

/// One browser's login as `username`; returns its duration.
async fn login(client: &Client, base: &str, username: &str) -> Result<Duration, String> {
    let started = Instant::now();
    let start = client
        .get(format!("{base}/login/dev/"))
        .send()
        .await
        .map_err(|e| format!("login: {e}"))?;
    let cookie = start
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .ok_or("login: no session cookie")?
        .to_owned();
    let authorize = location(&start)?;
    let (action, query) = authorize.split_once('?').ok_or("login: no query")?;
    let mut form: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    form.push(("action".into(), "allow".into()));
    form.push(("username".into(), username.into()));
    form.push(("email".into(), format!("{username}@example.net")));
    let back = client
        .post(action)
        .form(&form)
        .send()
        .await
        .map_err(|e| format!("provider: {e}"))?;
    let callback = location(&back)?;
    let done = client
        .get(&callback)
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .map_err(|e| format!("callback: {e}"))?;
    match location(&done)?.as_str() {
        "/profile/" => Ok(started.elapsed()),
        other => Err(format!("callback: sent to {other}")),
    }
}

fn location(response: &reqwest::Response) -> Result<String, String> {
    response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| format!("{} without a redirect", response.status()))
}

struct Phase {
    logins: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.logins as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted.get(index).copied().unwrap_or_default()
    }
}

/// Runs up to `knobs.logins` logins (stopping at the time limit) with names from `name`.
async fn phase(
    client: &Client,
    base: &str,
    knobs: &Knobs,
    name: impl Fn(usize) -> String + Send + Sync + 'static,
) -> Phase {
    let next = Arc::new(AtomicUsize::new(0));
    let name = Arc::new(name);
    let deadline = Instant::now() + Duration::from_secs(knobs.seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..knobs.concurrency)
        .map(|_| {
            let (client, base, next, name) =
                (client.clone(), base.to_owned(), next.clone(), name.clone());
            let limit = knobs.logins;
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= limit || Instant::now() >= deadline {
                        return latencies;
                    }
                    match login(&client, &base, &name(i)).await {
                        Ok(latency) => latencies.push(latency),
                        Err(error) => panic!("login {i} failed: {error}"),
                    }
                }
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.expect("a worker panicked"));
    }
    Phase {
        logins: latencies.len(),
        elapsed: started.elapsed(),
        latencies,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let knobs = Knobs {
        logins: knob("LOGIN_BENCH_LOGINS", 1_500) as usize,
        seconds: knob("LOGIN_BENCH_SECONDS", 20),
        concurrency: knob("LOGIN_BENCH_CONCURRENCY", 8) as usize,
        rounds: knob("LOGIN_BENCH_ROUNDS", 3) as usize,
    };
    let dir = std::env::temp_dir().join(format!("social-demo-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let database = format!("sqlite://{}?mode=rwc", dir.join("bench.sqlite").display());

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let router = social_demo::app(Config::new(&base).database_url(&database))
        .await
        .expect("the demo starts");
    tokio::spawn(async move { axum::serve(listener, router).await });
    let client = Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client");

    // The returning users exist before any timed phase.
    const RETURNING: usize = 200;
    let returning = |i: usize| format!("regular{}", i % RETURNING);
    let warm = Knobs {
        logins: RETURNING,
        seconds: 120,
        ..knobs
    };
    let warmed = phase(&client, &base, &warm, returning).await;
    assert_eq!(warmed.logins, RETURNING, "warm-up did not finish");

    println!(
        "login load run: {} browsers, up to {} logins or {} s per phase, {} rounds, SQLite file, memory sessions",
        knobs.concurrency, knobs.logins, knobs.seconds, knobs.rounds
    );
    let (mut new_rates, mut returning_rates, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..knobs.rounds {
        // Alternating the phases spreads the machine's noise over both.
        let new = phase(&client, &base, &knobs, move |i| format!("new{round}x{i}")).await;
        let back = phase(&client, &base, &knobs, returning).await;
        println!(
            "round {}: new {:>7.1} logins/s (p50 {:>5.1} ms, p95 {:>5.1} ms, {} logins) | returning {:>7.1} logins/s (p50 {:>5.1} ms, p95 {:>5.1} ms, {} logins) | returning/new {:.2}",
            round + 1,
            new.rate(),
            new.percentile(0.5).as_secs_f64() * 1e3,
            new.percentile(0.95).as_secs_f64() * 1e3,
            new.logins,
            back.rate(),
            back.percentile(0.5).as_secs_f64() * 1e3,
            back.percentile(0.95).as_secs_f64() * 1e3,
            back.logins,
            back.rate() / new.rate(),
        );
        new_rates.push(new.rate());
        returning_rates.push(back.rate());
        ratios.push(back.rate() / new.rate());
    }
    println!(
        "median: new {:.1} logins/s, returning {:.1} logins/s, returning/new {:.2} (absolute numbers depend on a noisy shared machine; the ratio is the stable figure)",
        median(new_rates),
        median(returning_rates),
        median(ratios)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
