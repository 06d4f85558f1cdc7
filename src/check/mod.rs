//! Validation of governed documents (`regdoc check`).
