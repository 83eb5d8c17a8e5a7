//! The statements both backends run alike, written once with `$N` placeholders (sqlx's
//! SQLite driver takes them too; statements of many values spell them per backend) and generic over the driver through [`Backend`]. Each
//! backend's area files call these from their trait impls, passing the pool, connection or
//! transaction to use; what differs between the two (how a write transaction begins, which
//! rows a statement locks) stays with the backend.

mod backend;

pub(crate) mod accounts;
pub(crate) mod attempts;
pub(crate) mod bots;
pub(crate) mod contacts;
pub(crate) mod conversations;
pub(crate) mod knowledge;
pub(crate) mod sessions;
pub(crate) mod starts;
pub(crate) mod unanswered;

pub(crate) use backend::{Arg, Backend, Db};

/// `($1, …, $columns), ($columns+1, …), …` for a multi-row insert of `rows` rows, in the
/// backend's spelling ([`Backend::placeholder`]).
pub(crate) fn placeholders<DB: Backend>(rows: usize, columns: usize) -> String {
    let row = |r: usize| {
        let values: Vec<String> = (1..=columns).map(|c| DB::placeholder(r * columns + c)).collect();
        format!("({})", values.join(", "))
    };
    (0..rows).map(row).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn placeholders_number_the_values_row_by_row() {
        assert_eq!(placeholders::<sqlx::Postgres>(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(placeholders::<sqlx::Postgres>(1, 1), "($1)");
        assert_eq!(placeholders::<sqlx::Sqlite>(2, 2), "(?, ?), (?, ?)");
    }
}
