//! Output formatting shared by the engine commands: tables, Go templates, human units.

pub mod table;
pub mod template;
pub mod units;
