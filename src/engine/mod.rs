//! The engine as a library: state directory, locking, IDs, and the image, container and runtime modules.

pub mod container;
pub mod ids;
pub mod image;
pub mod names;
pub mod runtime;
pub mod store;

pub use store::Engine;
