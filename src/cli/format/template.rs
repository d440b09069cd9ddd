//! The subset of Go text/template that `--format` users write, evaluated on JSON values.
