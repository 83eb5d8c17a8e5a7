//! Integration tests: every call goes to a real axum server on 127.0.0.1 (or ::1) that
//! answers well or badly on purpose. One test binary, as in svix's `tests/it`.

mod answers;
mod guard;
mod limits;
mod logs;
mod signing;
mod support;
mod trace;
