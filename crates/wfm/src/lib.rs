//! rumbo-wfm (work in progress).
