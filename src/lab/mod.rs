//! Lab files: the format, the matcher, the sandbox and the runner.

pub mod format;
pub mod matcher;
pub mod messages;
pub mod report;
pub mod runner;
pub mod sandbox;
