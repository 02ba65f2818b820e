//! The MCP handler: tools `rlq`, `describe_context` and (with a model)
//! `ask`; the reference as resources; the rlq guide as a prompt.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ContentBlock, GetPromptRequestParams, GetPromptResult,
    Implementation, JsonObject, ListPromptsResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, Prompt, PromptMessage, ReadResourceRequestParams, ReadResourceResult,
    Resource, ResourceContents, Role, ServerCapabilities, ServerInfo, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{json, Value};

use super::text;
use super::worker::Worker;
use crate::context::Context;
use crate::llm::SubCalls;
use crate::session::{Options, Session};

/// Documents listed by `describe_context` at most.
const LISTED_DOCS: usize = 500;

/// The state of one MCP server.
pub struct RlmqMcp {
    /// The interpreter the `rlq` tool runs in.
    pub worker: Worker,
    /// The context.
    pub context: Arc<Context>,
    /// The backend `ask` sessions run on (one budget for the server's life),
    /// when a model is configured.
    pub calls: Option<Arc<SubCalls>>,
    /// Settings of `ask` sessions.
    pub options: Options,
    /// Characters of output an `rlq` call returns by default.
    pub max_output_chars: usize,
}

fn schema(v: Value) -> Arc<JsonObject> {
    match v {
        Value::Object(m) => Arc::new(m),
        _ => Arc::new(JsonObject::new()),
    }
}

fn text_result(text: String, structured: Value, is_error: bool) -> CallToolResult {
    let mut r = if is_error {
        CallToolResult::error(vec![ContentBlock::text(text)])
    } else {
        CallToolResult::success(vec![ContentBlock::text(text)])
    };
    r.structured_content = Some(structured);
    r
}

/// The kernel's reply to a turn, as text for an agent to read.
fn render_turn(reply: &Value) -> String {
    let mut out = reply["output"].as_str().unwrap_or("").to_string();
    if let Some(e) = reply["error"].as_str() {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(e);
    }
    if let Some(f) = reply["final"].as_str() {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("final: {f}"));
    }
    if out.is_empty() {
        out.push_str("(no output)");
    }
    out
}

fn argument<'a>(args: &'a JsonObject, name: &str) -> Option<&'a Value> {
    args.get(name).filter(|v| !v.is_null())
}

fn whole_number(args: &JsonObject, name: &str) -> Result<Option<u64>, ErrorData> {
    match argument(args, name) {
        None => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| {
            ErrorData::invalid_params(format!("`{name}` must be a whole number"), None)
        }),
    }
}

impl RlmqMcp {
    fn tools(&self) -> Vec<Tool> {
        let mut tools = vec![
            Tool::new(
                "rlq",
                text::RLQ_TOOL,
                schema(json!({
                    "type": "object",
                    "properties": {
                        "code": {"type": "string", "description": "rlq code to run"},
                        "max_output_chars": {"type": "integer", "minimum": 0, "description": "characters of output returned (head and tail kept)"},
                    },
                    "required": ["code"],
                })),
            ),
            Tool::new(
                "describe_context",
                text::DESCRIBE_TOOL,
                schema(json!({"type": "object", "properties": {}})),
            ),
        ];
        if self.calls.is_some() {
            tools.push(Tool::new(
                "ask",
                text::ASK_TOOL,
                schema(json!({
                    "type": "object",
                    "properties": {
                        "question": {"type": "string", "description": "the question about the context"},
                        "max_iterations": {"type": "integer", "minimum": 1, "description": "root-model turns at most (never more than the server's)"},
                    },
                    "required": ["question"],
                })),
            ));
        }
        tools
    }

    async fn rlq(&self, args: &JsonObject) -> Result<CallToolResult, ErrorData> {
        let Some(code) = argument(args, "code").and_then(Value::as_str) else {
            return Err(ErrorData::invalid_params(
                "`code` (a string of rlq) is required",
                None,
            ));
        };
        let max = whole_number(args, "max_output_chars")?
            .map_or(self.max_output_chars, |n| n.min(usize::MAX as u64) as usize);
        let code = code.to_string();
        let reply = self
            .worker
            .with(move |shell| crate::cli::kernel::turn_reply(shell, &code, max))
            .await
            .map_err(|e| ErrorData::internal_error(e, None))?;
        let failed = !reply["error"].is_null();
        Ok(text_result(render_turn(&reply), reply, failed))
    }

    async fn describe(&self) -> Result<CallToolResult, ErrorData> {
        let variables = self
            .worker
            .with(|shell| shell.variables())
            .await
            .map_err(|e| ErrorData::internal_error(e, None))?;
        let ctx = Arc::clone(&self.context);
        let src = &ctx.source;
        let docs: Vec<Value> = ctx
            .docs
            .iter()
            .take(LISTED_DOCS)
            .map(|d| {
                json!({
                    "name": d.name,
                    "chars": src.char_count(d.range.clone()),
                    "lines": src.line_count(d.range.clone()),
                })
            })
            .collect();
        let all = ctx.range();
        let total = json!({
            "documents": ctx.docs.len(),
            "chars": src.char_count(all.clone()),
            "lines": src.line_count(all),
            "bytes": src.len(),
        });
        let mut text = format!(
            "{} documents, {} characters, {} lines.\n",
            total["documents"], total["chars"], total["lines"]
        );
        for d in &docs {
            text.push_str(&format!(
                "- {} ({} characters, {} lines)\n",
                d["name"].as_str().unwrap_or(""),
                d["chars"],
                d["lines"]
            ));
        }
        if ctx.docs.len() > docs.len() {
            text.push_str(&format!(
                "... and {} more documents.\n",
                ctx.docs.len() - docs.len()
            ));
        }
        if !variables.is_empty() {
            text.push_str("Variables:\n");
            for (name, about) in &variables {
                text.push_str(&format!("- {name}: {about}\n"));
            }
        }
        let vars: serde_json::Map<String, Value> = variables
            .into_iter()
            .map(|(n, a)| (n, Value::String(a)))
            .collect();
        Ok(text_result(
            text,
            json!({"total": total, "documents": docs, "variables": vars}),
            false,
        ))
    }

    async fn ask(&self, args: &JsonObject) -> Result<CallToolResult, ErrorData> {
        let Some(calls) = &self.calls else {
            return Err(ErrorData::invalid_params(
                "no model is configured: start rlmq mcp with --model (and a key) to ask questions",
                None,
            ));
        };
        let Some(question) = argument(args, "question").and_then(Value::as_str) else {
            return Err(ErrorData::invalid_params(
                "`question` (a string) is required",
                None,
            ));
        };
        let mut options = self.options.clone();
        if let Some(n) = whole_number(args, "max_iterations")? {
            options.max_iterations = options
                .max_iterations
                .min(n.clamp(1, u32::MAX as u64) as u32);
        }
        let session = Session::new(Arc::clone(&self.context))
            .calls(Arc::clone(calls))
            .options(options);
        let question = question.to_string();
        let before = calls.totals();
        let answer = tokio::task::spawn_blocking(move || session.ask(&question))
            .await
            .map_err(|_| {
                ErrorData::internal_error("the session stopped (internal error in rlmq)", None)
            })?
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        let after = answer.usage;
        let data = json!({
            "answer": answer.text,
            "status": answer.status.name(),
            "reason": if answer.reason.is_empty() { None } else { Some(&answer.reason) },
            "answer_from": answer.source,
            "turns": answer.turns,
            "usage": {
                "calls": after.calls - before.calls,
                "cache_hits": after.cache_hits - before.cache_hits,
                "input_tokens": after.input_tokens - before.input_tokens,
                "output_tokens": after.output_tokens - before.output_tokens,
            },
            "server_usage": after,
        });
        let text = match (answer.is_final(), &answer.source) {
            (true, _) => answer.text.clone(),
            (false, Some(var)) => format!(
                "{}\n(not a final answer: {}; the best found, from the variable `{var}`)",
                answer.text, answer.reason
            ),
            (false, None) => format!("no answer: {}", answer.reason),
        };
        let failed = !answer.is_final() && answer.source.is_none();
        Ok(text_result(text, data, failed))
    }
}

impl ServerHandler for RlmqMcp {
    fn get_info(&self) -> ServerInfo {
        let mut info = ServerInfo::new(
            ServerCapabilities::builder()
                .enable_prompts()
                .enable_resources()
                .enable_tools()
                .build(),
        )
        .with_instructions(text::INSTRUCTIONS);
        info.server_info = Implementation::new("rlmq", env!("CARGO_PKG_VERSION"));
        info
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let args = request.arguments.unwrap_or_default();
        match &*request.name {
            "rlq" => self.rlq(&args).await,
            "describe_context" => self.describe().await,
            "ask" if self.calls.is_some() => self.ask(&args).await,
            other => Err(ErrorData::invalid_params(
                format!(
                    "no tool `{other}`: the tools are {}",
                    self.tools()
                        .iter()
                        .map(|t| t.name.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None,
            )),
        }
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let mut builtins = Resource::new(text::BUILTINS_URI, "builtins")
            .with_description("Every rlq builtin with what it returns (a Markdown table).");
        builtins.mime_type = Some("text/markdown".into());
        let mut language = Resource::new(text::LANGUAGE_URI, "language")
            .with_description("The rlq language reference: values, statements, search, partition, sub-model calls, builtins.");
        language.mime_type = Some("text/markdown".into());
        Ok(ListResourcesResult::with_all_items(vec![
            builtins, language,
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResult, ErrorData> {
        let text = match request.uri.as_str() {
            text::BUILTINS_URI => text::builtins(),
            text::LANGUAGE_URI => text::LANGUAGE,
            other => {
                return Err(ErrorData::resource_not_found(
                    format!(
                        "no resource `{other}`: there are {} and {}",
                        text::BUILTINS_URI,
                        text::LANGUAGE_URI
                    ),
                    None,
                ))
            }
        };
        Ok(ReadResourceResult::new(vec![ResourceContents::text(
            text,
            request.uri,
        )]))
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(vec![Prompt::new(
            "rlq_guide",
            Some(
                "How to explore a large context with rlq: the guide rlmq gives its own root model.",
            ),
            None,
        )]))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResult, ErrorData> {
        if request.name != "rlq_guide" {
            return Err(ErrorData::invalid_params(
                format!("no prompt `{}`: the prompt is rlq_guide", request.name),
                None,
            ));
        }
        Ok(GetPromptResult::new(vec![PromptMessage::new_text(
            Role::User,
            text::guide(),
        )]))
    }
}
