//! `netpolicy lsp`, driven as an editor drives it: JSON-RPC messages over
//! its standard input and output.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

struct Server {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Server {
    fn start() -> Option<Server> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_netpolicy"))
            .arg("lsp")
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let stdin = child.stdin.take()?;
        let stdout = BufReader::new(child.stdout.take()?);
        Some(Server {
            child,
            stdin,
            stdout,
        })
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        let _ = write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len());
        let _ = self.stdin.flush();
    }

    fn receive(&mut self) -> Value {
        let mut length = 0;
        loop {
            let mut line = String::new();
            if self.stdout.read_line(&mut line).unwrap_or(0) == 0 {
                return Value::Null;
            }
            let line = line.trim();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                length = n.parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        let _ = self.stdout.read_exact(&mut body);
        serde_json::from_slice(&body).unwrap_or(Value::Null)
    }

    /// The next message that answers request `id` or has `method`.
    fn wait(&mut self, id: Option<i64>, method: Option<&str>) -> Value {
        for _ in 0..50 {
            let m = self.receive();
            if m.is_null() {
                return m;
            }
            if id.is_some_and(|id| m["id"] == json!(id)) || method.is_some_and(|x| m["method"] == x)
            {
                return m;
            }
        }
        Value::Null
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn policy_uri() -> String {
    format!(
        "file://{}/policies/editing.np",
        concat!(env!("CARGO_MANIFEST_DIR"), "/..")
    )
}

#[test]
fn the_server_diagnoses_completes_and_hovers() {
    let Some(mut server) = Server::start() else {
        panic!("cannot start netpolicy lsp");
    };
    server.send(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"capabilities": {}, "processId": null, "rootUri": null}}));
    let init = server.wait(Some(1), None);
    assert!(
        init["result"]["capabilities"]["completionProvider"].is_object(),
        "{init}"
    );
    server.send(&json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));

    let uri = policy_uri();
    let text = "model \"../tests/fixtures/cloudformation/inspector-reachability-workshop.json\"\n\nno internet -> sg:Nope : ssh\n";
    server.send(
        &json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": uri, "languageId": "netpolicy", "version": 1, "text": text}}}),
    );
    let published = server.wait(None, Some("textDocument/publishDiagnostics"));
    let diagnostics = &published["params"]["diagnostics"];
    assert_eq!(diagnostics.as_array().map(Vec::len), Some(1), "{published}");
    assert!(
        diagnostics[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Nope"),
        "{published}"
    );
    assert_eq!(diagnostics[0]["range"]["start"]["line"], 2, "{published}");

    // Completion after `sg:` lists the model's groups.
    let text = "model \"../tests/fixtures/cloudformation/inspector-reachability-workshop.json\"\n\nno internet -> sg:\n";
    server.send(
        &json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": text}]}}),
    );
    let _ = server.wait(None, Some("textDocument/publishDiagnostics"));
    server.send(
        &json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/completion", "params": {
        "textDocument": {"uri": uri}, "position": {"line": 2, "character": 18}}}),
    );
    let completion = server.wait(Some(2), None);
    let labels: Vec<&str> = (completion["result"].as_array().into_iter().flatten())
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert!(
        labels.contains(&"WebAppDbServerSecurityGroup"),
        "{completion}"
    );

    // Hover on a service shows its ports; on a selector, what it names.
    let text = "model \"../tests/fixtures/cloudformation/inspector-reachability-workshop.json\"\n\nno internet -> instance:BastionAZ1 : mysql\n";
    server.send(
        &json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": text}]}}),
    );
    let published = server.wait(None, Some("textDocument/publishDiagnostics"));
    assert_eq!(published["params"]["diagnostics"], json!([]), "{published}");
    server.send(
        &json!({"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", "params": {
        "textDocument": {"uri": uri}, "position": {"line": 2, "character": 39}}}),
    );
    let hover = server.wait(Some(3), None);
    assert!(hover.to_string().contains("tcp/3306"), "{hover}");
    server.send(
        &json!({"jsonrpc": "2.0", "id": 4, "method": "textDocument/hover", "params": {
        "textDocument": {"uri": uri}, "position": {"line": 2, "character": 20}}}),
    );
    let hover = server.wait(Some(4), None);
    assert!(hover.to_string().contains("1 endpoint(s)"), "{hover}");
    server.send(
        &json!({"jsonrpc": "2.0", "id": 5, "method": "textDocument/definition", "params": {
        "textDocument": {"uri": uri}, "position": {"line": 2, "character": 20}}}),
    );
    let definition = server.wait(Some(5), None);
    assert!(
        definition["result"]["uri"]
            .as_str()
            .unwrap_or_default()
            .ends_with("inspector-reachability-workshop.json"),
        "{definition}"
    );

    // A model that does not load is one diagnostic on the model line; the
    // server keeps serving.
    let text = "model \"no/such/model.json\"\nno internet -> * : ssh\n";
    server.send(
        &json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": 4}, "contentChanges": [{"text": text}]}}),
    );
    let published = server.wait(None, Some("textDocument/publishDiagnostics"));
    assert_eq!(
        published["params"]["diagnostics"][0]["range"]["start"]["line"], 0,
        "{published}"
    );
    // A document that does not parse is a diagnostic too.
    server.send(&json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": 5}, "contentChanges": [{"text": "no internet ->"}]}}));
    let published = server.wait(None, Some("textDocument/publishDiagnostics"));
    assert_eq!(
        published["params"]["diagnostics"].as_array().map(Vec::len),
        Some(1),
        "{published}"
    );

    server.send(&json!({"jsonrpc": "2.0", "id": 9, "method": "shutdown"}));
    let down = server.wait(Some(9), None);
    assert!(down.get("result").is_some(), "{down}");
    server.send(&json!({"jsonrpc": "2.0", "method": "exit"}));
}
