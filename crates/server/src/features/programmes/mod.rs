//! Programmes: list, create, show with history, edit, delete, team (pages and `/api/v1/programs`).

pub mod api;
pub mod archive;
pub mod pages;
