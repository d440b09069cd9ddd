//! The subset of Go text/template that `--format` users write, evaluated on JSON values.
//! (Placeholder until the full implementation lands: only `{{json .}}` and plain text.)

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template parsing error: {0}")]
    Parse(String),
}

pub fn render(src: &str, data: &serde_json::Value) -> Result<String, TemplateError> {
    if src.trim() == "{{json .}}" {
        return Ok(data.to_string());
    }
    Err(TemplateError::Parse(format!("unsupported template {src}")))
}

pub fn table_header(src: &str, _headers: &dyn Fn(&str) -> Option<String>) -> String {
    src.to_string()
}
