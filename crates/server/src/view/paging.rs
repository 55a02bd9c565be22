//! Paged lists (the audit history): `?page=N`, a fixed page size, links to the previous and
//! next pages.

use maud::{html, Markup};

use super::ViewCx;

/// Rows per page of a paged list.
pub const PAGE_SIZE: usize = 50;

/// The `?page=` of a paged list (1-based; anything else is the first page).
#[derive(serde::Deserialize, Default)]
pub struct PageQuery {
    pub page: Option<String>,
}

impl PageQuery {
    /// The requested page, 1 or more.
    pub fn page(&self) -> usize {
        self.page
            .as_deref()
            .and_then(|p| p.trim().parse::<usize>().ok())
            .filter(|p| *p >= 1 && *p <= 10_000)
            .unwrap_or(1)
    }
}

/// How many rows to fetch (newest first) to show `page` and know whether there is another.
pub fn fetch_for(page: usize) -> i64 {
    (page * PAGE_SIZE + 1) as i64
}

/// The rows of `page` out of `rows` fetched with [`fetch_for`], and whether more follow.
pub fn page_of<T>(rows: Vec<T>, page: usize) -> (Vec<T>, bool) {
    let more = rows.len() > page * PAGE_SIZE;
    let rows = rows
        .into_iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    (rows, more)
}

/// Links to the previous and next pages of the list at `base` (nothing on a single page).
pub fn pager(ctx: &ViewCx, base: &str, page: usize, more: bool) -> Markup {
    html! {
        @if page > 1 || more {
            nav.pager aria-label=(ctx.t("roles.pager.label")) {
                @if page > 1 {
                    a href={ (base) "?page=" (page - 1) "#history" } rel="prev" { (ctx.t("roles.pager.newer")) }
                }
                " " span { (ctx.tf("roles.pager.page", &[("n", &page.to_string())])) } " "
                @if more {
                    a href={ (base) "?page=" (page + 1) "#history" } rel="next" { (ctx.t("roles.pager.older")) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_holds_page_size_rows_and_says_whether_more_follow() {
        let rows: Vec<usize> = (0..fetch_for(2) as usize).collect();
        let (second, more) = page_of(rows, 2);
        assert_eq!(second.first(), Some(&PAGE_SIZE));
        assert_eq!(second.len(), PAGE_SIZE);
        assert!(more);
        let (first, more) = page_of((0..10).collect::<Vec<_>>(), 1);
        assert_eq!(first.len(), 10);
        assert!(!more);
        assert_eq!(
            PageQuery {
                page: Some("x".into())
            }
            .page(),
            1
        );
    }
}
