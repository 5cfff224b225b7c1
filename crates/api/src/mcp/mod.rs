//! The engine as an MCP server: a model operates the queue through tools (list, create,
//! chain, wait, run, cancel, decide, command, schedules, health) and reads tasks as
//! resources, under the API's tenants and roles. Each tool is a route of the API, called
//! through the API's own router with the caller's token ([`routed`]), so that a tool and
//! its route cannot differ. Served on stdio by `zora mcp` and at `POST /mcp` by `zora
//! serve` ([`http`]), on rmcp, the protocol's Rust SDK.

pub mod http;
mod routed;
mod tools;

use axum::Router;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method as HttpMethod};
use rmcp::ErrorData;
use rmcp::handler::server::ServerHandler;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ResourceTemplate, ServerCapabilities, ServerConfig,
};
use rmcp::service::{RequestContext, RoleServer};
use serde_json::Value;

use crate::mcp::routed::{Answer, result, route_request};
use crate::mcp::tools::Adds;

/// How many of a task's journal entries `get_task` gives, newest last.
const JOURNAL_SHOWN: usize = 10;

/// What the instructions of `initialize` tell a model.
const INSTRUCTIONS: &str = "ZORA CORE's task engine. Tasks are units of work for six agents \
(CONNOR, LUMINA, EIVOR, ORACLE, AEGIS, SAM); list_task_types says which types exist and \
what payload each takes. create_task (or create_tasks for a chain) queues work, \
wait_for_task waits for its outcome, get_task shows it with its journal. A refused call \
says why in its text; correct the named field and call again.";

/// The MCP server over an API router.
#[derive(Clone)]
pub struct McpServer {
    api: Router,
    /// Whose calls these are: the token `zora mcp` was started for; `None` over HTTP,
    /// where each request carries its own.
    token: Option<String>,
}

impl std::fmt::Debug for McpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpServer").finish_non_exhaustive()
    }
}

impl McpServer {
    /// A server whose every call is made with `token` (stdio: one caller per process).
    pub fn for_token(api: Router, token: String) -> Self {
        Self {
            api,
            token: Some(token),
        }
    }

    /// A server whose calls are made with each HTTP request's own credentials.
    pub(crate) fn per_request(api: Router) -> Self {
        Self { api, token: None }
    }

    /// The credentials of the call `context` belongs to.
    fn credentials(&self, context: &RequestContext<RoleServer>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(token) = &self.token {
            if let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) {
                headers.insert(AUTHORIZATION, value);
            }
        } else if let Some(parts) = context.extensions.get::<Parts>() {
            headers = parts.headers.clone();
        }
        headers
    }

    async fn get(&self, credentials: &HeaderMap, path: &str) -> Answer {
        routed::request(&self.api, credentials, HttpMethod::GET, path, None).await
    }

    /// `get_task`: the task, with its last journal entries.
    async fn task_with_journal(&self, credentials: &HeaderMap, id: &str) -> Answer {
        let id = routed::encoded(id);
        let mut task = self
            .get(credentials, &format!("/api/agents/tasks/{id}"))
            .await;
        if task.status != 200 {
            return task;
        }
        let journal = self
            .get(credentials, &format!("/api/agents/tasks/{id}/journal"))
            .await;
        if let Some(entries) = journal.body["data"].as_array() {
            let last = &entries[entries.len().saturating_sub(JOURNAL_SHOWN)..];
            task.body["data"]["journal"] = Value::from(last.to_vec());
        }
        task
    }
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new("zora", env!("CARGO_PKG_VERSION")))
        .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools::listed()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some(spec) = tools::spec(&request.name) else {
            return Err(ErrorData::invalid_params(
                format!("no tool named {:?}", request.name),
                None,
            ));
        };
        let credentials = self.credentials(&context);
        let arguments = request.arguments.unwrap_or_default();
        let (method, path, body) = match route_request(spec, arguments.clone()) {
            Ok(made) => made,
            Err(refused) => return Ok(refused.into()),
        };
        let answer = match spec.adds {
            Adds::Journal => {
                let id = arguments
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                self.task_with_journal(&credentials, id).await
            }
            Adds::Nothing | Adds::Finished => {
                routed::request(&self.api, &credentials, method, &path, body).await
            }
        };
        let finished = answer.status == 200;
        let mut called: CallToolResult = result(answer);
        if spec.adds == Adds::Finished
            && let Some(Value::Object(task)) = &mut called.structured_content
        {
            task.insert("finished".into(), Value::Bool(finished));
        }
        Ok(called.into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(vec![
            Resource::new("zora://task-types", "task-types")
                .with_description("The task types this engine runs, with their payload schemas")
                .with_mime_type("application/json"),
        ]))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new("zora://tasks/{id}", "task")
                .with_description("One task in full, as get_task gives it")
                .with_mime_type("application/json"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let credentials = self.credentials(&context);
        let answer = match request.uri.as_str() {
            "zora://task-types" => self.get(&credentials, "/api/agents/tasks/types").await,
            uri => match uri.strip_prefix("zora://tasks/") {
                Some(id) if !id.is_empty() && !id.contains('/') => {
                    self.task_with_journal(&credentials, id).await
                }
                _ => {
                    return Err(ErrorData::resource_not_found(
                        format!("no resource {uri}"),
                        None,
                    ));
                }
            },
        };
        if answer.status != 200 {
            let message = answer.body["message"]
                .as_str()
                .unwrap_or("refused")
                .to_owned();
            return Err(if answer.status == 404 {
                ErrorData::resource_not_found(message, None)
            } else {
                ErrorData::invalid_request(message, None)
            });
        }
        let text = answer.body["data"].to_string();
        Ok(
            ReadResourceResult::new(vec![ResourceContents::TextResourceContents {
                uri: request.uri,
                mime_type: Some("application/json".into()),
                text,
                meta: None,
            }])
            .into(),
        )
    }
}
