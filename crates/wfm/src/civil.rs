//! civil (in progress).
