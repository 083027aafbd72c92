//! Builds the OpenAPI 3.1 document from the route table and the wire types' JSON Schemas.

use super::guard::Access;
use super::routes::{ApiRoute, BodyDoc};
use schemars::generate::SchemaSettings;
use schemars::transform::{RecursiveTransform, Transform};
use schemars::Schema;
use serde_json::{json, Map, Value};

pub fn document(routes: &[ApiRoute]) -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = "/components/schemas".into())
        .with_transform(RecursiveTransform(integer_bounds))
        .into_generator();
    let error = generator.subschema_for::<tseeder_protocol::ErrorBody>();
    let mut paths = Map::new();
    for route in routes {
        let mut operation = Map::new();
        operation.insert("summary".into(), json!(route.summary));
        operation.insert("tags".into(), json!([route.tag]));
        operation.insert(
            "operationId".into(),
            json!(format!("{} {}", route.method, route.path)),
        );
        operation.insert("x-tseeder-access".into(), json!(route.access.label()));
        match route.access {
            Access::Public => {}
            Access::Agent => {
                operation.insert("security".into(), json!([{ "agentToken": [] }]));
            }
            Access::Scraper => {
                operation.insert("security".into(), json!([{ "metricsToken": [] }]));
            }
            Access::AtLeast(_) => {
                operation.insert(
                    "security".into(),
                    json!([{ "sessionCookie": [] }, { "apiKey": [] }]),
                );
            }
        }
        let mut parameters: Vec<Value> = path_parameters(route.path)
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": path_parameter_schema(name) }))
            .collect();
        if let Some(query) = route.query {
            let mut schema: Value = query(&mut generator).to_value();
            // A named type comes back as a reference to its definition: the fields are there.
            if let Some(name) = schema
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.rsplit('/').next())
            {
                if let Some(definition) = generator.definitions().get(name) {
                    // Definitions get the generator's transforms only when taken at the end.
                    if let Ok(mut definition) = Schema::try_from(definition.clone()) {
                        RecursiveTransform(integer_bounds).transform(&mut definition);
                        schema = definition.to_value();
                    }
                }
            }
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|names| names.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (name, prop) in props {
                    let needed = required.contains(&name.as_str());
                    parameters.push(
                        json!({ "name": name, "in": "query", "required": needed, "schema": prop }),
                    );
                }
            }
        }
        if !parameters.is_empty() {
            operation.insert("parameters".into(), Value::Array(parameters));
        }
        match route.body {
            BodyDoc::None => {}
            BodyDoc::Json(schema) => {
                operation.insert(
                    "requestBody".into(),
                    json!({ "required": true, "content": { "application/json": { "schema": schema(&mut generator) } } }),
                );
            }
            BodyDoc::TorrentUpload => {
                operation.insert(
                    "requestBody".into(),
                    json!({ "required": true, "content": { "multipart/form-data": { "schema": {
                        "type": "object",
                        "required": ["torrent"],
                        "additionalProperties": false,
                        "properties": {
                            "torrent": { "type": "string", "contentMediaType": "application/x-bittorrent" },
                            "selectedFiles": { "type": "string", "description": "JSON array of file indexes" },
                            "region": { "type": "string", "pattern": tseeder_protocol::fields::REGION_PATTERN, "description": "Preferred region of the agent" },
                            "deviceId": { "type": "string", "description": "Run on one of the user's own devices" }
                        }
                    } } } }),
                );
            }
        }
        let mut responses = Map::new();
        let success = match route.response {
            Some(schema) if route.streams => {
                // For an event stream, `schema` describes one event as a client parses it
                // (`event`, `data`, ...); `data` is JSON whose shape depends on the event's name.
                let item: Value = schema(&mut generator).into();
                let event = |name: &str, data: Value| {
                    json!({ "properties": {
                        "event": { "const": name },
                        "data": { "type": "string", "contentMediaType": "application/json", "contentSchema": data }
                    } })
                };
                let per_event = json!({
                    "type": "object",
                    "required": ["event", "data"],
                    "properties": { "event": { "type": "string" }, "data": { "type": "string" } },
                    "description": "`snapshot`: the whole list, sent first and after a lag; `job`: one job changed; `removed`: a job was deleted",
                    "oneOf": [
                        event("snapshot", json!({ "type": "array", "items": item })),
                        event("job", item.clone()),
                        event("removed", json!({ "type": "object", "required": ["id"], "properties": { "id": { "type": "string" } } })),
                    ]
                });
                json!({ "description": "Server-Sent Events", "content": { "text/event-stream": { "schema": per_event } } })
            }
            Some(schema) => {
                json!({ "description": "success", "content": { "application/json": { "schema": schema(&mut generator) } } })
            }
            None if route.status == 204 => json!({ "description": "done" }),
            None => json!({ "description": "success", "content": { "application/json": {} } }),
        };
        responses.insert(route.status.to_string(), success);
        responses.insert(
            "default".into(),
            json!({ "description": "error", "content": { "application/json": { "schema": error.clone() } } }),
        );
        operation.insert("responses".into(), Value::Object(responses));
        let item = paths
            .entry(route.path.replace("{*", "{"))
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(item) = item {
            item.insert(
                route.method.as_str().to_lowercase(),
                Value::Object(operation),
            );
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "tseeder API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Control plane of tseeder. Errors are {\"error\": {\"code\", \"message\"}}. Cookie-authenticated writes need the X-CSRF-Token header. Served over https, the session cookie is named __Host-tseeder_session."
        },
        "paths": paths,
        "components": {
            "schemas": generator.take_definitions(true),
            "securitySchemes": {
                "sessionCookie": { "type": "apiKey", "in": "cookie", "name": super::cookies::SESSION_COOKIE },
                "apiKey": { "type": "http", "scheme": "bearer", "description": "tsk_… API key" },
                "agentToken": { "type": "http", "scheme": "bearer", "description": "tsa_… agent token" },
                "metricsToken": { "type": "http", "scheme": "bearer", "description": "the metrics.token setting" }
            }
        }
    })
}

/// Path segments are ids (strings) except a file's position in its torrent.
fn path_parameter_schema(name: &str) -> Value {
    match name {
        "index" => json!({ "type": "integer", "minimum": 0, "maximum": u32::MAX }),
        _ => json!({ "type": "string" }),
    }
}

/// Sized integers say their range: a page number past `u32::MAX` is not a valid request, and the
/// document says so instead of letting a client find out.
fn integer_bounds(schema: &mut Schema) {
    let range = match schema.get("format").and_then(Value::as_str) {
        Some("uint8") => (0, i128::from(u8::MAX)),
        Some("uint16") => (0, i128::from(u16::MAX)),
        Some("uint32") => (0, i128::from(u32::MAX)),
        Some("uint64") => (0, i128::from(u64::MAX)),
        Some("int32") => (i128::from(i32::MIN), i128::from(i32::MAX)),
        Some("int64") => (i128::from(i64::MIN), i128::from(i64::MAX)),
        _ => return,
    };
    if schema.get("minimum").is_none() {
        schema.insert("minimum".into(), json!(range.0));
    }
    if schema.get("maximum").is_none() {
        schema.insert("maximum".into(), json!(range.1));
    }
}

fn path_parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        // `{*key}` is axum's catch-all; OpenAPI names it plainly.
        .map(|name| name.trim_start_matches('*'))
}
