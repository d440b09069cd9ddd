//! Human units as go-units prints them: durations, decimal sizes, binary sizes.
