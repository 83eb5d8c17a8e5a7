//! Lists read a page at a time, by a cursor that names where the next page starts.

/// The cursor of the page after `items`, read `limit` at a time: the last item's when the
/// page is full (there may be more), none when it is not (there is no more).
pub(crate) fn next_cursor<T>(items: &[T], limit: u32, cursor: impl FnOnce(&T) -> String) -> Option<String> {
    if items.len() == limit as usize {
        items.last().map(cursor)
    } else {
        None
    }
}
