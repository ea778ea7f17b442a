//! Synthetic voter-style data (placeholder).
