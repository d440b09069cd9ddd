//! Containers: their config and state on disk, and one file per verb.
