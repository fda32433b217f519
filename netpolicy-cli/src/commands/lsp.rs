//! `netpolicy lsp`: a language server for `.np` files over stdio.
//!
//! Diagnostics as the user types (the same parse and resolve errors, codes
//! and spans as `check`), completion of selector names from the policy's
//! model, hover on a selector (what it resolves to) or a service (its
//! ports), and go-to-definition from a selector to the object's place in
//! the model. A document or model that does not load is a diagnostic, never
//! an exit.

use crate::Outcome;
use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionOptions, CompletionParams, Diagnostic,
    DiagnosticSeverity, DidChangeTextDocumentParams, DidOpenTextDocumentParams,
    GotoDefinitionParams, Hover, HoverContents, HoverParams, InitializeParams, Location,
    MarkupContent, MarkupKind, NumberOrString, Position, PublishDiagnosticsParams, Range,
    ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind, Uri,
};
use miette::Report;
use netpolicy_core::engine::Engine;
use netpolicy_core::load::cloudformation::TemplateOptions;
use netpolicy_core::load::load_model_file;
use netpolicy_core::model::{Meta, Model};
use netpolicy_core::span::SourceMap;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Runs the server until the client asks it to exit.
pub fn run() -> Result<Outcome, Report> {
    let (connection, io) = Connection::stdio();
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![":".into()]),
            ..CompletionOptions::default()
        }),
        hover_provider: Some(lsp_types::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp_types::OneOf::Left(true)),
        ..ServerCapabilities::default()
    };
    let capabilities = serde_json::to_value(capabilities).map_err(|e| miette::miette!("{e}"))?;
    let params = connection
        .initialize(capabilities)
        .map_err(|e| miette::miette!("language server: {e}"))?;
    let _: InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let mut server = Server::default();
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if connection.handle_shutdown(&request).unwrap_or(true) {
                    break;
                }
                let response = server.request(request);
                let _ = connection.sender.send(Message::Response(response));
            }
            Message::Notification(n) => {
                for out in server.notification(n) {
                    let _ = connection.sender.send(Message::Notification(out));
                }
            }
            Message::Response(_) => {}
        }
    }
    drop(connection);
    let _ = io.join();
    Ok(Outcome::Ok)
}

/// Open documents and the models they name.
#[derive(Default)]
struct Server {
    documents: HashMap<String, String>,
    /// Models by path, loaded once (`Err`: why it does not load).
    models: HashMap<PathBuf, Result<Model, String>>,
}

impl Server {
    fn notification(&mut self, n: Notification) -> Vec<Notification> {
        let (uri, text) = match n.method.as_str() {
            lsp_types::notification::DidOpenTextDocument::METHOD => {
                match serde_json::from_value::<DidOpenTextDocumentParams>(n.params) {
                    Ok(p) => (p.text_document.uri, p.text_document.text),
                    Err(_) => return Vec::new(),
                }
            }
            lsp_types::notification::DidChangeTextDocument::METHOD => {
                match serde_json::from_value::<DidChangeTextDocumentParams>(n.params) {
                    Ok(p) => match p.content_changes.into_iter().last() {
                        Some(change) => (p.text_document.uri, change.text),
                        None => return Vec::new(),
                    },
                    Err(_) => return Vec::new(),
                }
            }
            _ => return Vec::new(),
        };
        self.documents
            .insert(uri.as_str().to_string(), text.clone());
        let diagnostics = self.diagnostics(&uri, &text);
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version: None,
        };
        vec![Notification::new(
            lsp_types::notification::PublishDiagnostics::METHOD.into(),
            params,
        )]
    }

    fn request(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        let result = match request.method.as_str() {
            lsp_types::request::Completion::METHOD => {
                serde_json::from_value::<CompletionParams>(request.params)
                    .ok()
                    .map(|p| serde_json::to_value(self.completion(&p)))
            }
            lsp_types::request::HoverRequest::METHOD => {
                serde_json::from_value::<HoverParams>(request.params)
                    .ok()
                    .map(|p| serde_json::to_value(self.hover(&p)))
            }
            lsp_types::request::GotoDefinition::METHOD => {
                serde_json::from_value::<GotoDefinitionParams>(request.params)
                    .ok()
                    .map(|p| serde_json::to_value(self.definition(&p)))
            }
            _ => None,
        };
        match result {
            Some(Ok(value)) => Response::new_ok(id, value),
            _ => Response::new_ok(id, serde_json::Value::Null),
        }
    }

    /// The model `text` names, loaded (once), relative to the document.
    fn model(&mut self, uri: &Uri, text: &str) -> Option<(Result<&Model, String>, Range)> {
        let (line, path) = model_line(text)?;
        let folder = uri_path(uri)
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let path = folder.join(path);
        let range = Range::new(
            Position::new(line, 0),
            Position::new(line, text_len(text, line)),
        );
        let loaded = self.models.entry(path.clone()).or_insert_with(|| {
            load_model_file(&path, None, &TemplateOptions::default())
                .map_err(|e| format!("the model `{}` does not load: {e}", path.display()))
        });
        Some((loaded.as_ref().map_err(Clone::clone), range))
    }

    fn diagnostics(&mut self, uri: &Uri, text: &str) -> Vec<Diagnostic> {
        let mut sources = SourceMap::default();
        let id = sources.add("policy.np", text);
        let policy = match netpolicy_lang::parse_policy(text, id) {
            Ok(p) => p,
            Err(e) => return vec![diagnostic(text, &e)],
        };
        let Some((model, model_range)) = self.model(uri, text) else {
            return Vec::new();
        };
        let model = match model {
            Ok(m) => m,
            Err(why) => {
                return vec![Diagnostic {
                    range: model_range,
                    severity: Some(DiagnosticSeverity::ERROR),
                    code: Some(NumberOrString::String("np::load".into())),
                    source: Some("netpolicy".into()),
                    message: why,
                    ..Diagnostic::default()
                }];
            }
        };
        let engine = Engine::new(model);
        netpolicy_lang::check::validate_policy(&engine, &policy, &sources)
            .iter()
            .map(|e| diagnostic(text, e))
            .collect()
    }

    fn completion(&mut self, p: &CompletionParams) -> Vec<CompletionItem> {
        let uri = &p.text_document_position.text_document.uri;
        let Some(text) = self.documents.get(uri.as_str()).cloned() else {
            return Vec::new();
        };
        let word = word_before(&text, p.text_document_position.position);
        let Some((kind, _)) = word.split_once(':') else {
            return Vec::new();
        };
        let Some((Ok(model), _)) = self.model(uri, &text) else {
            return Vec::new();
        };
        metas(model, kind)
            .map(|m| CompletionItem {
                label: m.id.clone(),
                kind: Some(CompletionItemKind::VALUE),
                detail: m.name.clone(),
                ..CompletionItem::default()
            })
            .collect()
    }

    fn hover(&mut self, p: &HoverParams) -> Option<Hover> {
        let uri = &p.text_document_position_params.text_document.uri;
        let text = self.documents.get(uri.as_str()).cloned()?;
        let word = word_at(&text, p.text_document_position_params.position);
        if !word.contains(':')
            && let Ok(packets) = netpolicy_lang::service::parse_service(&word)
        {
            return Some(markdown(format!("`{word}`: {}", packets.service_summary())));
        }
        let (Ok(model), _) = self.model(uri, &text)? else {
            return None;
        };
        let found = netpolicy_lang::resolve::resolve_endpoint(model, &word).ok()?;
        let names: Vec<String> = found.iter().take(5).map(|e| e.name().to_string()).collect();
        let more = found.len().saturating_sub(names.len());
        let more = if more > 0 {
            format!(", and {more} more")
        } else {
            String::new()
        };
        Some(markdown(format!(
            "`{word}`: {} endpoint(s): {}{more}",
            found.len(),
            names.join(", ")
        )))
    }

    fn definition(&mut self, p: &GotoDefinitionParams) -> Option<Location> {
        let uri = &p.text_document_position_params.text_document.uri;
        let text = self.documents.get(uri.as_str()).cloned()?;
        let word = word_at(&text, p.text_document_position_params.position);
        let (kind, pattern) = word.split_once(':')?;
        let (Ok(model), _) = self.model(uri, &text)? else {
            return None;
        };
        let meta =
            metas(model, kind).find(|m| m.id == pattern || m.name.as_deref() == Some(pattern))?;
        let span = meta.span?;
        let file = model.sources().get(span.source)?;
        let (line, col) = file.line_col(span.start as usize)?;
        let path = std::fs::canonicalize(&file.name).ok()?;
        let target: Uri = format!("file://{}", path.display()).parse().ok()?;
        let at = Position::new(
            u32::try_from(line.saturating_sub(1)).unwrap_or(0),
            u32::try_from(col.saturating_sub(1)).unwrap_or(0),
        );
        Some(Location::new(target, Range::new(at, at)))
    }
}

/// The objects a selector kind (`sg`, `vpc`, ...) names; none for a kind
/// that names no single object.
fn metas<'m>(model: &'m Model, kind: &str) -> Box<dyn Iterator<Item = &'m Meta> + 'm> {
    match kind {
        "sg" => Box::new(model.security_groups().iter().map(|o| &o.meta)),
        "vpc" => Box::new(model.vpcs().iter().map(|o| &o.meta)),
        "subnet" => Box::new(model.subnets().iter().map(|o| &o.meta)),
        "instance" => Box::new(model.instances().iter().map(|o| &o.meta)),
        "lb" => Box::new(model.load_balancers().iter().map(|o| &o.meta)),
        "eni" => Box::new(model.enis().iter().map(|o| &o.meta)),
        _ => Box::new(std::iter::empty()),
    }
}

fn markdown(value: String) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range: None,
    }
}

/// A diagnostic at the first label of `error` (its span in the policy).
fn diagnostic(text: &str, error: &dyn miette::Diagnostic) -> Diagnostic {
    let (start, len) = error
        .labels()
        .and_then(|mut l| l.next())
        .map_or((0, 0), |l| (l.offset(), l.len()));
    let mut message = error.to_string();
    if let Some(help) = error.help() {
        message.push_str(&format!(" ({help})"));
    }
    Diagnostic {
        range: Range::new(position(text, start), position(text, start + len)),
        severity: Some(DiagnosticSeverity::ERROR),
        code: error.code().map(|c| NumberOrString::String(c.to_string())),
        source: Some("netpolicy".into()),
        message,
        ..Diagnostic::default()
    }
}

/// The LSP position (0-based line, UTF-16 column) of byte `offset`.
fn position(text: &str, offset: usize) -> Position {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col: usize = before
        .get(line_start..)
        .map_or(0, |l| l.chars().map(char::len_utf16).sum());
    Position::new(
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(col).unwrap_or(u32::MAX),
    )
}

/// The byte offset of an LSP position.
fn offset(text: &str, at: Position) -> usize {
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i == at.line as usize {
            let mut units = 0;
            for (b, c) in line.char_indices() {
                if units >= at.character as usize {
                    return offset + b;
                }
                units += c.len_utf16();
            }
            return offset + line.trim_end_matches('\n').len();
        }
        offset += line.len();
    }
    text.len()
}

fn selector_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-' | '.' | '*' | '?' | '/' | '@' | '=')
}

/// The selector or service being typed, up to the cursor.
fn word_before(text: &str, at: Position) -> String {
    let end = offset(text, at);
    let before = text.get(..end).unwrap_or_default();
    let start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !selector_char(*c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    before.get(start..).unwrap_or_default().to_string()
}

/// The selector or service under the cursor.
fn word_at(text: &str, at: Position) -> String {
    let here = offset(text, at);
    let after = text.get(here..).unwrap_or_default();
    let end = after
        .find(|c: char| !selector_char(c))
        .unwrap_or(after.len());
    let mut word = word_before(text, at);
    word.push_str(after.get(..end).unwrap_or_default());
    word.trim_end_matches(':').to_string()
}

/// The `model "..."` line: its 0-based number and the path.
fn model_line(text: &str) -> Option<(u32, String)> {
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("model") {
            let path = rest.trim().trim_matches('"').to_string();
            return Some((u32::try_from(i).ok()?, path));
        }
    }
    None
}

/// The length of line `line` in UTF-16 units.
fn text_len(text: &str, line: u32) -> u32 {
    let len: usize =
        (text.lines().nth(line as usize)).map_or(0, |l| l.chars().map(char::len_utf16).sum());
    u32::try_from(len).unwrap_or(0)
}

/// The file a `file://` URI names.
fn uri_path(uri: &Uri) -> Option<PathBuf> {
    let text = uri.as_str().strip_prefix("file://")?;
    Some(PathBuf::from(percent_decode(text)))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
