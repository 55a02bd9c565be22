//! rumbo-store (work in progress).
