//! Report renderers, one file per machine format. Human text comes from
//! [`netpolicy_lang::report::Report::render_text`]; JSON is the report itself.

pub mod diagnostic;
pub mod junit;
pub mod sarif;
