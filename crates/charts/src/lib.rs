//! SVG charts generated in Rust, shared by web pages and PDF reports.
