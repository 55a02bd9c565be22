//! holidays (in progress).
