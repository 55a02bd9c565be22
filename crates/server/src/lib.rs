//! rumbo-server (work in progress).
