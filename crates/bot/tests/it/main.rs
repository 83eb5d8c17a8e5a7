//! Integration tests: the language model client against a real axum server on 127.0.0.1
//! that speaks OpenAI's server-sent events, well or badly on purpose. One test binary.

mod llm;
mod support;
