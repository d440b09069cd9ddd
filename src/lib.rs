//! docklab: a small Docker-compatible container engine and a step-by-step lab runner.
//!
//! `engine` is the container engine as a library (no argument parsing, no printing),
//! `cli` parses the command line and prints, `lab` runs the course's lab files.

pub mod cli;
pub mod engine;
pub mod lab;
