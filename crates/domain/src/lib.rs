//! rumbo-domain (work in progress).
