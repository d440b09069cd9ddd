//! Lab files: the format, the matcher, the sandbox and the runner.

pub mod matcher;
