//! forecast (in progress).
