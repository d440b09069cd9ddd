//! Go tabwriter-compatible column layout (minwidth 10, padding 3) for Docker tables.
