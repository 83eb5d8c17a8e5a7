//! A call as a curl command, so a developer can replay it against their endpoint.

use crate::trace::CallTrace;

impl CallTrace {
    /// The signed request as a POSIX shell command. Static header values stay masked (the
    /// dashboard puts the real ones in only when the admin asks); the signature is only
    /// valid for the Standard Webhooks tolerance (five minutes after `webhook-timestamp`).
    pub fn curl_command(&self) -> String {
        let request = &self.request;
        // A bare method reads as the curl commands developers know; anything else is quoted.
        let method = match request.method.bytes().all(|b| b.is_ascii_alphabetic()) {
            true => request.method.clone(),
            false => quote(&request.method),
        };
        let mut words = vec!["curl".to_owned(), "-sS".to_owned(), "-X".to_owned(), method, quote(&request.url)];
        for header in &request.headers {
            words.push("-H".to_owned());
            words.push(quote(&format!("{}: {}", header.name, header.value)));
        }
        words.push("--data-raw".to_owned());
        words.push(quote(&request.body));
        words.join(" ")
    }
}

/// Single-quotes a word for a POSIX shell: inside single quotes nothing is special except
/// the closing quote itself, which is written as `'\''` (close, escaped quote, reopen).
pub(crate) fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_quotes_survive_the_shell() {
        assert_eq!(quote("plain"), "'plain'");
        assert_eq!(quote("O'Brien"), r"'O'\''Brien'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("$HOME `x` \"y\" \\n"), "'$HOME `x` \"y\" \\n'");
    }
}
