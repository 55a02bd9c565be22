//! Administration: clients, products, people and user accounts (pages and API), and `/api/v1/me`.

pub mod api;
pub mod pages;
