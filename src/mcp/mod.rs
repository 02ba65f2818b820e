//! `rlmq mcp`: the engine as a Model Context Protocol server on standard
//! input and output, for coding agents.
//!
//! - [`server`]: the handler (tools, resources, prompt);
//! - [`worker`]: the interpreter's own thread, whose variables persist;
//! - [`text`]: what the agent is told (descriptions, reference).

pub mod server;
pub mod text;
pub mod worker;

use rmcp::ServiceExt;

pub use server::RlmqMcp;

/// Serves `handler` on standard input and output until the client closes
/// the connection.
pub fn serve(handler: RlmqMcp) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("rlmq-mcp")
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async move {
        let running = handler
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| format!("the MCP connection failed to start: {e}"))?;
        running
            .waiting()
            .await
            .map(|_| ())
            .map_err(|e| format!("the MCP server stopped: {e}"))
    })
}
