//! Hostile and malformed input gets the documented error and writes nothing: no job row, no
//! file row, no file on disk.

use cloud::{LiveStream, TestServer};
use reqwest::StatusCode;
use serde_json::json;
use std::path::Path;
use torrents::B;
use tseeder_cloud::store::DbResult;
use tseeder_protocol::Role;
use tseeder_testkit::{cloud, torrents};

/// Rows in the job tables, counted straight from the database.
async fn stored_rows(server: &TestServer) -> (i64, i64, i64) {
    server
        .services
        .db()
        .call(|conn| {
            let count = |table: &str| -> DbResult<i64> {
                conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), &[], |r| r.get(0))
            };
            Ok((count("jobs")?, count("job_files")?, count("job_events")?))
        })
        .await
        .expect("count")
}

/// Every file under the data folder other than the database and the mail outbox.
fn stray_files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("read dir").flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "outbox" {
                    stack.push(path);
                }
            } else if !name.starts_with("tseeder.db") && name != "link-signing.key" {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

#[tokio::test]
async fn malformed_and_oversized_bodies_get_clear_errors() {
    let server = TestServer::start().await;
    let user = server.user(Role::User).await;
    let raw = |body: &'static str, content_type: &'static str| {
        user.request(reqwest::Method::POST, "/api/v1/jobs")
            .header("content-type", content_type)
            .body(body)
    };
    let malformed = user.send(raw("{\"magnet\": ", "application/json")).await;
    assert_eq!(
        (malformed.status, malformed.code()),
        (StatusCode::BAD_REQUEST, "malformed_json")
    );
    let wrong_shape = user.send(raw("{\"magnet\": 42}", "application/json")).await;
    assert_eq!(
        (wrong_shape.status, wrong_shape.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
    );
    let not_json = user
        .send(raw("magnet=x", "application/x-www-form-urlencoded"))
        .await;
    assert_eq!(
        (not_json.status, not_json.code()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );
    let both = user
        .post("/api/v1/jobs", json!({ "magnet": cloud::random_magnet("x"), "torrentUrl": "http://example.org/a.torrent" }))
        .await;
    assert_eq!(
        (both.status, both.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
    );
    let neither = user.post("/api/v1/jobs", json!({})).await;
    assert_eq!(neither.status, StatusCode::UNPROCESSABLE_ENTITY);

    let huge = json!({ "magnet": format!("magnet:?xt=urn:btih:{}&dn={}", "a".repeat(40), "x".repeat(100_000)) });
    let too_large = user.post("/api/v1/jobs", huge).await;
    assert_eq!(
        (too_large.status, too_large.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    let huge_login = server
        .anon()
        .post(
            "/api/v1/auth/login",
            json!({ "email": "a@example.org", "password": "p".repeat(200_000) }),
        )
        .await;
    assert_eq!(huge_login.status, StatusCode::PAYLOAD_TOO_LARGE);

    assert_eq!(stored_rows(&server).await, (0, 0, 0));
}

#[tokio::test]
async fn invalid_magnets_are_refused() {
    let server = TestServer::start().await;
    let user = server.user(Role::User).await;
    for magnet in [
        "".to_owned(),
        "https://example.org/file.torrent".to_owned(),
        "magnet:?dn=no-hash".to_owned(),
        "magnet:?xt=urn:btih:0123456789".to_owned(),
        format!("magnet:?xt=urn:btih:{}", "g".repeat(40)),
        format!("magnet:?xt=urn:btmh:1220{}", "a".repeat(10)),
        format!(
            "magnet:?xt=urn:btih:{}&xt=urn:btih:{}",
            "a".repeat(40),
            "b".repeat(40)
        ),
        "magnet:?xt=urn:btih:%FF%FE%FD".to_owned(),
        format!(
            "magnet:?xt=urn:btih:{}&dn={}",
            "a".repeat(40),
            "n".repeat(20_000)
        ),
    ] {
        let refused = user.post("/api/v1/jobs", json!({ "magnet": magnet })).await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_magnet"),
            "{magnet:.80}"
        );
        assert!(!refused.body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .is_empty());
    }
    let selection = user
        .post(
            "/api/v1/jobs",
            json!({ "magnet": cloud::random_magnet("m"), "selectedFiles": [0] }),
        )
        .await;
    assert_eq!(selection.code(), "selection_needs_metadata");
    assert_eq!(stored_rows(&server).await, (0, 0, 0));
}

#[tokio::test]
async fn hostile_torrents_are_refused_and_write_nothing() {
    let server = TestServer::start_with(|s| {
        s.limits.max_torrent_files = 100;
        s.limits.max_torrent_bytes = 256 * 1024;
    })
    .await;
    let user = server.user(Role::User).await;

    let deep = format!("d4:info{}{}e", "l".repeat(50_000), "e".repeat(50_000)).into_bytes();
    let wide = format!("d4:infol{}ee", "i0e".repeat(60_000)).into_bytes();
    let many_files: Vec<Vec<String>> = (0..101).map(|i| vec![format!("f{i}.bin")]).collect();
    let many_refs: Vec<Vec<&str>> = many_files
        .iter()
        .map(|p| p.iter().map(String::as_str).collect())
        .collect();
    let many: Vec<(&[&str], i64)> = many_refs.iter().map(|p| (p.as_slice(), 1)).collect();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "parent directory",
            torrents::multi_file("ok", &[(&["..", "..", "etc", "cron.d", "evil"], 10)]),
        ),
        ("dot-dot only", torrents::multi_file("ok", &[(&[".."], 10)])),
        (
            "absolute path",
            torrents::multi_file("ok", &[(&["/etc/passwd"], 10)]),
        ),
        (
            "backslash",
            torrents::multi_file("ok", &[(&["..\\..\\windows\\system32"], 10)]),
        ),
        (
            "drive letter",
            torrents::multi_file("ok", &[(&["C:", "boot.ini"], 10)]),
        ),
        (
            "empty component",
            torrents::multi_file("ok", &[(&["a", "", "b"], 10)]),
        ),
        ("empty name", torrents::single_file("", 10)),
        ("dot-dot name", torrents::single_file("..", 10)),
        ("slash in name", torrents::single_file("../escape", 10)),
        ("nul in name", torrents::single_file("a\0b", 10)),
        (
            "duplicate paths",
            torrents::multi_file("ok", &[(&["x"], 1), (&["x"], 1)]),
        ),
        ("too many files", torrents::multi_file("many", &many)),
        ("nesting bomb", deep),
        ("value bomb", wide),
        ("not bencode", b"<html>not a torrent</html>".to_vec()),
        (
            "trailing garbage",
            [torrents::single_file("a", 10), b"junk".to_vec()].concat(),
        ),
        ("no info", B::d([("announce", B::s("http://t"))]).encode()),
        (
            "negative length",
            B::d([(
                "info",
                B::d([
                    ("length", B::I(-1)),
                    ("name", B::s("n")),
                    ("piece length", B::I(16384)),
                    ("pieces", B::S(vec![0; 20])),
                ]),
            )])
            .encode(),
        ),
        (
            "wrong piece count",
            B::d([(
                "info",
                B::d([
                    ("length", B::I(100_000)),
                    ("name", B::s("n")),
                    ("piece length", B::I(16384)),
                    ("pieces", B::S(vec![0; 20])),
                ]),
            )])
            .encode(),
        ),
    ];
    for (what, torrent) in cases {
        let refused = cloud::upload(&user, torrent, None).await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_torrent"),
            "{what}: {refused:?}"
        );
    }

    let oversized = cloud::upload(&user, vec![b'd'; 400 * 1024], None).await;
    assert_eq!(
        (oversized.status, oversized.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    let just_over = cloud::upload(&user, vec![b'd'; 256 * 1024 + 1], None).await;
    assert_eq!(just_over.status, StatusCode::PAYLOAD_TOO_LARGE);
    let out_of_range = {
        let form = reqwest::multipart::Form::new()
            .part(
                "torrent",
                reqwest::multipart::Part::bytes(torrents::single_file("a", 10))
                    .file_name("a.torrent"),
            )
            .text("selectedFiles", "[5]");
        user.send(
            user.request(reqwest::Method::POST, "/api/v1/jobs/torrent")
                .multipart(form),
        )
        .await
    };
    assert_eq!(out_of_range.code(), "invalid_selection");
    let no_file = {
        let form = reqwest::multipart::Form::new().text("other", "x");
        user.send(
            user.request(reqwest::Method::POST, "/api/v1/jobs/torrent")
                .multipart(form),
        )
        .await
    };
    assert_eq!(no_file.status, StatusCode::UNPROCESSABLE_ENTITY);
    let json_to_upload = user.post("/api/v1/jobs/torrent", json!({})).await;
    assert_eq!(json_to_upload.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    assert_eq!(stored_rows(&server).await, (0, 0, 0), "nothing was stored");
    assert_eq!(
        stray_files(&server.data_dir()),
        Vec::<String>::new(),
        "nothing was written to disk"
    );
    assert!(!server.dir.path().join("etc").exists());

    let fine = cloud::upload(&user, torrents::single_file("fine.bin", 10), None).await;
    assert_eq!(
        fine.status,
        StatusCode::CREATED,
        "the same route still takes a good torrent"
    );
}

#[tokio::test]
async fn unknown_form_parts_and_unparsable_paths_are_refused_in_the_error_format() {
    let server = TestServer::start().await;
    let user = server.user(Role::User).await;
    let torrent = torrents::single_file("ok.bin", 1024);

    // A misspelt part is named back, not dropped: the upload would have run on every file.
    let form = reqwest::multipart::Form::new()
        .part(
            "torrent",
            reqwest::multipart::Part::bytes(torrent).file_name("x.torrent"),
        )
        .text("selectedfiles", "[0]");
    let answer = user
        .send(
            user.request(reqwest::Method::POST, "/api/v1/jobs/torrent")
                .multipart(form),
        )
        .await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "unknown_part"),
        "{answer:?}"
    );
    assert_eq!(stored_rows(&server).await, (0, 0, 0));

    // A file index that is not a number answers JSON like every other error.
    let answer = user
        .post("/api/v1/jobs/some-job/files/first/link", json!({}))
        .await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::BAD_REQUEST, "invalid_path"),
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_body_must_be_a_json_object_even_where_its_fields_would_fit_an_array() {
    let server = TestServer::start().await;
    let user = server.user(Role::User).await;
    // serde would read ["Name", null] as {displayName, defaultDeviceId}.
    let answer = user
        .send(
            user.request(reqwest::Method::PATCH, "/api/v1/auth/me")
                .json(&json!(["Name", null])),
        )
        .await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        "{answer:?}"
    );
    let me = user.get("/api/v1/auth/me").await;
    assert!(
        me.body["user"]["displayName"].is_null(),
        "nothing changed: {me:?}"
    );
}

#[tokio::test]
async fn the_openapi_document_states_the_limits_the_server_enforces() {
    let server = TestServer::start().await;
    let doc = server.anon().get("/api/v1/openapi.json").await.body;
    let schemas = &doc["components"]["schemas"];
    let register = &schemas["RegisterRequest"]["properties"];
    assert_eq!(register["email"]["format"], "email");
    assert_eq!(register["password"]["minLength"], 10);
    assert_eq!(register["password"]["maxLength"], 256);
    assert_eq!(register["acceptedAup"]["const"], true);
    // Typed-in names publish the server's own rule as a pattern (tseeder_protocol::fields).
    assert_eq!(
        schemas["CreateApiKey"]["properties"]["name"]["pattern"],
        tseeder_protocol::fields::LABEL_PATTERN
    );
    assert_eq!(
        schemas["ChangePassword"]["properties"]["newPassword"]["minLength"],
        10
    );
    assert_eq!(
        schemas["EmailRequest"]["properties"]["email"]["format"],
        "email"
    );
    assert_eq!(
        schemas["RegisterDevice"]["properties"]["name"]["pattern"],
        tseeder_protocol::fields::LABEL_PATTERN
    );
    assert_eq!(
        schemas["Justification"]["properties"]["reason"]["pattern"],
        tseeder_protocol::fields::REASON_PATTERN
    );
    // Sized integers carry their range, and a file index in a path is a number.
    let page = doc["paths"]["/api/v1/jobs"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == "page")
        .expect("page")
        .clone();
    assert_eq!(page["schema"]["maximum"], u64::from(u32::MAX));
    let index = &doc["paths"]["/api/v1/jobs/{id}/files/{index}"]["delete"]["parameters"][1];
    assert_eq!(
        (index["name"].as_str(), index["schema"]["type"].as_str()),
        (Some("index"), Some("integer"))
    );
    // Query parameters are listed, the ones the server cannot do without as required.
    let parameters = doc["paths"]["/api/v1/files/{key}"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .clone();
    let required = |name: &str| {
        parameters
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["required"].clone())
    };
    assert_eq!(required("expires"), Some(json!(true)));
    assert_eq!(required("signature"), Some(json!(true)));
    assert_eq!(required("name"), Some(json!(false)));
}

#[tokio::test]
async fn every_event_a_live_stream_sends_is_in_its_documented_schema() {
    let server = TestServer::start().await;
    let doc = server.anon().get("/api/v1/openapi.json").await.body;
    // The document describes one event as a client parses it: its name and its JSON data.
    let forms = doc["paths"]["/api/v1/jobs/live"]["get"]["responses"]["200"]["content"]
        ["text/event-stream"]["schema"]["oneOf"]
        .as_array()
        .expect("oneOf")
        .clone();
    let names: Vec<&str> = forms
        .iter()
        .map(|form| form["properties"]["event"]["const"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["snapshot", "job", "removed"]);
    let data = |i: usize| forms[i]["properties"]["data"]["contentSchema"].clone();
    assert_eq!(
        data(0)["items"],
        data(1),
        "a snapshot is a list of what job sends"
    );
    assert_eq!(data(2)["required"], json!(["id"]));

    // And the stream sends exactly those names.
    let user = server.user(Role::User).await;
    let job = user
        .post(
            "/api/v1/jobs",
            json!({ "magnet": cloud::random_magnet("live-doc") }),
        )
        .await;
    let id = job.body["job"]["id"].as_str().expect("id").to_owned();
    let mut stream = LiveStream::open(&user, "/api/v1/jobs/live").await;
    let within = std::time::Duration::from_secs(10);
    let (name, data) = stream.next(within).await;
    assert_eq!(name, "snapshot");
    assert!(data.is_array(), "{data}");
    user.delete(&format!("/api/v1/jobs/{id}")).await;
    let mut seen: Vec<String> = Vec::new();
    while seen.last().map(String::as_str) != Some("removed") {
        let (name, _) = stream.next(within).await;
        assert!(names.contains(&name.as_str()), "undocumented event {name}");
        seen.push(name);
    }
}
