//! A scripted LLM server for tests and demos.
//!
//! [`MockServer::start`] serves [`MockRules`] on `127.0.0.1` (a random port
//! unless one is given), speaking both protocols the client does:
//! OpenAI-compatible `POST /v1/chat/completions` (also `/chat/completions`)
//! and Anthropic `POST /v1/messages`. It checks the key (401 otherwise) and
//! the model (404 for unknown ones), answers from rules, injects faults,
//! and counts and records every request for assertions. It runs on its own
//! small tokio runtime and stops when dropped. It only ever binds to the
//! loopback interface.
//!
//! ```no_run
//! use rlmq::llm::mock::{MockRules, MockServer, Rule};
//! let server = MockServer::start(
//!     MockRules::new()
//!         .api_key("test-key")
//!         .rule(Rule::template("label", r"Label: (\w+)", "$1")),
//! )
//! .unwrap();
//! println!("{}", server.openai_url()); // http://127.0.0.1:PORT/v1
//! ```

pub mod prompt_cache;
pub mod rules;
pub mod server;

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::post;
use axum::Router;

pub use rules::{Fault, Faults, MockRules, ReplySpec, Rule};
pub use server::{Protocol, RecordedRequest};

use crate::llm::lock;
use server::{handle, State};

/// Largest request body accepted.
const BODY_LIMIT: usize = 64 << 20;

/// A running mock server.
#[derive(Debug)]
pub struct MockServer {
    /// Where it listens (always on 127.0.0.1).
    pub addr: SocketAddr,
    state: Arc<State>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("count", &self.count.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// Serves `rules` on a random port of 127.0.0.1.
    pub fn start(rules: MockRules) -> io::Result<MockServer> {
        MockServer::start_on(rules, 0)
    }

    /// Serves `rules` on `port` of 127.0.0.1 (0 for a random one).
    pub fn start_on(rules: MockRules, port: u16) -> io::Result<MockServer> {
        let state = Arc::new(
            State::new(rules).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?,
        );
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("rlmq-mock")
            .enable_all()
            .build()?;
        let listener = {
            let _inside = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let s_openai = Arc::clone(&state);
        let s_openai2 = Arc::clone(&state);
        let s_anthropic = Arc::clone(&state);
        let app =
            Router::new()
                .route(
                    "/v1/chat/completions",
                    post(
                        move |h, b| async move { handle(&s_openai, Protocol::OpenAi, h, b).await },
                    ),
                )
                .route(
                    "/chat/completions",
                    post(
                        move |h, b| async move { handle(&s_openai2, Protocol::OpenAi, h, b).await },
                    ),
                )
                .route(
                    "/v1/messages",
                    post(move |h, b| async move {
                        handle(&s_anthropic, Protocol::Anthropic, h, b).await
                    }),
                )
                .layer(DefaultBodyLimit::max(BODY_LIMIT));
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(MockServer {
            addr,
            state,
            runtime: Some(runtime),
        })
    }

    /// Base URL for an OpenAI-compatible client (`http://127.0.0.1:PORT/v1`).
    pub fn openai_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Base URL for an Anthropic client (`http://127.0.0.1:PORT`).
    pub fn anthropic_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests received so far.
    pub fn count(&self) -> u64 {
        self.state.count.load(Ordering::SeqCst)
    }

    /// Requests a rule answered.
    pub fn count_rule(&self, name: &str) -> u64 {
        lock(&self.state.log)
            .iter()
            .filter(|r| r.rule.as_deref() == Some(name))
            .count() as u64
    }

    /// Faults injected so far.
    pub fn faults_injected(&self) -> u64 {
        lock(&self.state.log)
            .iter()
            .filter(|r| r.fault.is_some())
            .count() as u64
    }

    /// Most requests that were being handled at the same moment.
    pub fn max_in_flight(&self) -> u64 {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    /// Every request so far, in the order decisions were made.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state.log).clone()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
