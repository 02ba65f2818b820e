//! `rlmq serve`: the engine behind the OpenAI chat completions API, so
//! existing clients (the `openai` packages, LiteLLM, LangChain, curl) use
//! an RLM as they would use a model.
//!
//! - [`api`]: the wire format (request, response, chunks, usage, errors);
//! - [`meaning`]: what a request means (question, documents);
//! - [`answer`]: one request run, passed through or as a session, on its
//!   own backend forked from the server's;
//! - [`routes`]: HTTP: routes, bearer key, body limit, streaming.

pub mod answer;
pub mod api;
pub mod meaning;
pub mod routes;

use std::net::SocketAddr;
use std::sync::Arc;

pub use answer::Server;
pub use routes::App;

/// Serves `app` on `addr` until the process ends; `ready` is told the
/// address bound (a port of 0 picks a free one).
pub fn serve(app: App, addr: SocketAddr, ready: impl FnOnce(SocketAddr)) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_name("rlmq-serve")
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let bound = listener
            .local_addr()
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        ready(bound);
        axum::serve(listener, routes::router(Arc::new(app)))
            .await
            .map_err(|e| format!("the server stopped: {e}"))
    })
}
