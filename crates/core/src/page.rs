//! Offset pagination: what a listing asks for and what it returns.

use serde::Serialize;

/// The largest page a listing serves; larger requests are served at this size.
pub const MAX_PAGE_SIZE: u32 = 200;

/// A page request: `limit` rows after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub offset: u64,
}

impl Page {
    /// A page of at most [`MAX_PAGE_SIZE`] rows.
    pub fn new(limit: u32, offset: u64) -> Self {
        Self {
            limit: limit.clamp(1, MAX_PAGE_SIZE),
            offset,
        }
    }
}

impl Default for Page {
    /// ZORA CORE's default listing: 50 rows from the start.
    fn default() -> Self {
        Self::new(50, 0)
    }
}

/// One page of rows and the total number of rows that match.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Paginated<T> {
    pub items: Vec<T>,
    pub page: Page,
    pub total: u64,
}

impl<T> Paginated<T> {
    /// Whether rows remain after this page (`total > offset + limit`).
    pub fn has_more(&self) -> bool {
        self.total > self.page.offset + u64::from(self.page.limit)
    }
}

impl Serialize for Page {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut state = serializer.serialize_struct("Page", 2)?;
        state.serialize_field("limit", &self.limit)?;
        state.serialize_field("offset", &self.offset)?;
        state.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_capped_and_know_whether_more_follow() {
        assert_eq!(Page::new(1000, 0).limit, MAX_PAGE_SIZE);
        let page = Paginated::<()> {
            items: vec![],
            page: Page::new(10, 10),
            total: 21,
        };
        assert!(page.has_more());
        let last = Paginated::<()> { total: 20, ..page };
        assert!(!last.has_more());
    }
}
