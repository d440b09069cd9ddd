//! The engine as a library: state directory, locking, IDs, and the image, container and runtime modules.

pub mod container;
pub mod ids;
pub mod image;
pub mod names;
pub mod runtime;
pub mod store;

pub use store::Engine;

/// An I/O error as Go's syscall errors read (`no such file or directory`), without Rust's
/// ` (os error 2)` suffix, for messages that copy Docker's.
pub fn io_text(err: &std::io::Error) -> String {
    match err.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code).desc().to_lowercase(),
        None => err.to_string(),
    }
}
