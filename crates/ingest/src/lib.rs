//! rumbo-ingest (work in progress).
