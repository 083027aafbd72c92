//! Builds the OpenAPI 3.1 document from the route table and the wire types' JSON Schemas.

use super::guard::Access;
use super::routes::{ApiRoute, BodyDoc};
use schemars::generate::SchemaSettings;
use serde_json::{json, Map, Value};

pub fn document(routes: &[ApiRoute]) -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = "/components/schemas".into())
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
            Access::AtLeast(_) => {
                operation.insert(
                    "security".into(),
                    json!([{ "sessionCookie": [] }, { "apiKey": [] }]),
                );
            }
        }
        let mut parameters: Vec<Value> = path_parameters(route.path)
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
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
                    schema = definition.clone();
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
                        "properties": {
                            "torrent": { "type": "string", "contentMediaType": "application/x-bittorrent" },
                            "selectedFiles": { "type": "string", "description": "JSON array of file indexes" }
                        }
                    } } } }),
                );
            }
        }
        let mut responses = Map::new();
        let success = match route.response {
            Some(schema) if route.streams => {
                // Each event's data: `snapshot` a list, `job` one item, `removed` the id.
                let item = schema(&mut generator);
                let data = json!({
                    "description": "data of one event: `snapshot` (a list), `job` (one), `removed` ({id})",
                    "oneOf": [
                        { "type": "array", "items": item },
                        item,
                        { "type": "object", "required": ["id"], "properties": { "id": { "type": "string" } } }
                    ]
                });
                json!({ "description": "Server-Sent Events", "content": { "text/event-stream": { "schema": data } } })
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
                "agentToken": { "type": "http", "scheme": "bearer", "description": "tsa_… agent token" }
            }
        }
    })
}

fn path_parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        // `{*key}` is axum's catch-all; OpenAPI names it plainly.
        .map(|name| name.trim_start_matches('*'))
}
