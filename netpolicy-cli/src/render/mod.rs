//! Report renderers, one file per machine format. Human text comes from
//! [`netpolicy_lang::report::Report::render_text`]; JSON is the report itself.

pub mod diagnostic;
pub mod junit;
pub mod sarif;

/// An error met while checking (an unreadable policy, an unknown name, a model
/// that does not load), as the machine formats carry it: a CI consumer that
/// reads only the report must see it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RunError {
    /// The message.
    pub message: String,
    /// The diagnostic code, e.g. `np::resolve::unknown_name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The file the error points into, when it has a location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl RunError {
    /// The error of a diagnostic report, located by its first label.
    pub fn of(report: &miette::Report) -> Self {
        let location = report
            .labels()
            .and_then(|mut labels| labels.next())
            .and_then(|label| {
                let contents = report.source_code()?.read_span(label.inner(), 0, 0).ok()?;
                Some((
                    contents.name().map(str::to_string),
                    contents.line() + 1,
                    contents.column() + 1,
                ))
            });
        let (file, line, column) = match location {
            Some((file, line, column)) => (file, Some(line), Some(column)),
            None => (None, None, None),
        };
        RunError {
            message: report.to_string(),
            code: report.code().map(|c| c.to_string()),
            file,
            line,
            column,
            help: report.help().map(|h| h.to_string()),
        }
    }
}
