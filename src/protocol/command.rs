//! Typed SMTP commands and their wire form (RFC 5321 section 4.1).
//!
//! Every argument is checked: CR, LF and NUL are refused, so no caller input can
//! inject a second command. AUTH payloads are secrets and are shown as `***` in
//! [`Command::log_line`].

use crate::error::{Error, Result};
#[cfg(doc)]
use crate::protocol::address::check_address;
use crate::protocol::address::{outside_quoted_local_part, quote_value};

/// One SMTP command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command<'a> {
    /// `EHLO <domain>`
    Ehlo(&'a str),
    /// `HELO <domain>`
    Helo(&'a str),
    /// `STARTTLS`
    StartTls,
    /// `AUTH <mechanism> [initial-response]`; the initial response is a secret.
    Auth {
        /// The SASL mechanism name, e.g. `PLAIN`.
        mechanism: &'a str,
        /// The base64 initial response, if any (secret).
        initial_response: Option<&'a str>,
    },
    /// A SASL continuation line (base64, or `*` to cancel); a secret.
    AuthResponse(&'a str),
    /// `MAIL FROM:<path> [params]`; an empty path gives `<>`.
    Mail {
        /// The reverse-path without angle brackets.
        from: &'a str,
        /// ESMTP parameters such as `SIZE=1234`, `BODY=8BITMIME`, `SMTPUTF8`.
        params: &'a [String],
    },
    /// `RCPT TO:<path> [params]`
    Rcpt {
        /// The forward-path without angle brackets.
        to: &'a str,
        /// ESMTP parameters such as `NOTIFY=SUCCESS`.
        params: &'a [String],
    },
    /// `DATA`
    Data,
    /// `BDAT <size> [LAST]` (RFC 3030); the chunk follows the command line.
    Bdat {
        /// The chunk size in bytes.
        size: u64,
        /// Whether this is the last chunk.
        last: bool,
    },
    /// `RSET`
    Rset,
    /// `NOOP`
    Noop,
    /// `VRFY <string>`
    Vrfy(&'a str),
    /// `ETRN <node>`
    Etrn(&'a str),
    /// `QUIT`
    Quit,
}

/// What an argument may hold, beyond the CR/LF/NUL refused everywhere.
#[derive(Clone, Copy)]
enum Rule {
    /// Any text, possibly empty.
    MayBeEmpty,
    /// Required: must not be empty.
    NonEmpty,
    /// A path inside `<...>`: no angle brackets, no white space except inside a
    /// quoted local part (`"john doe"@example.com`, as
    /// [`crate::protocol::address::check_address`] allows).
    Path,
    /// A required path.
    NonEmptyPath,
    /// One ESMTP parameter: non-empty, no white space (a space would smuggle in a
    /// second parameter).
    Param,
}

/// Checks one argument. `command` and `argument` name it in the error; a `secret`
/// value is never shown.
fn check(command: &str, argument: &str, value: &str, rule: Rule, secret: bool) -> Result<()> {
    let problem = if value.is_empty() {
        matches!(rule, Rule::NonEmpty | Rule::NonEmptyPath | Rule::Param).then_some("is empty")
    } else if value.contains('\r') || value.contains('\n') {
        Some("contains a line break (CR or LF)")
    } else if value.contains('\0') {
        Some("contains a NUL character")
    } else if matches!(rule, Rule::Path | Rule::NonEmptyPath) && value.contains(['<', '>']) {
        Some("contains '<' or '>'")
    } else if no_space_part(value, rule).contains(char::is_whitespace) {
        Some("contains white space")
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(problem) if secret || value.is_empty() => Err(Error::invalid(format!(
            "{command}: the {argument} {problem}"
        ))),
        Some(problem) => Err(Error::invalid(format!(
            "{command}: the {argument} {} {problem}",
            quote_value(value)
        ))),
    }
}

/// The part of `value` where `rule` forbids white space.
fn no_space_part(value: &str, rule: Rule) -> &str {
    match rule {
        Rule::Path | Rule::NonEmptyPath => outside_quoted_local_part(value),
        Rule::Param => value,
        Rule::MayBeEmpty | Rule::NonEmpty => "",
    }
}

fn check_params(command: &str, params: &[String]) -> Result<()> {
    for (i, param) in params.iter().enumerate() {
        check(
            command,
            &format!("parameter {}", i + 1),
            param,
            Rule::Param,
            false,
        )?;
    }
    Ok(())
}

impl Command<'_> {
    /// Appends the command line, with CRLF, to `out`. Fails with
    /// [`crate::ErrorKind::InvalidArgument`] (naming the command and the argument)
    /// when an argument is empty where one is required, contains CR, LF or NUL, or,
    /// for paths, contains `<`, `>` or white space; `out` is left unchanged then.
    ///
    /// ESMTP parameters must also be non-empty and free of white space; white space
    /// inside a quoted local part of a path is allowed. An empty
    /// AUTH initial response is sent as `=` (RFC 4954 section 4).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        self.validate()?;
        out.extend_from_slice(self.render(false).as_bytes());
        out.extend_from_slice(b"\r\n");
        Ok(())
    }

    /// The line as it should appear in a log, without CRLF; AUTH payloads are `***`.
    ///
    /// Control characters of an invalid argument are escaped, so the result is always
    /// one line.
    pub fn log_line(&self) -> String {
        let line = self.render(true);
        if !line.contains(|c: char| c.is_control()) {
            return line;
        }
        line.chars()
            .map(|c| match c {
                '\r' => "\\r".to_string(),
                '\n' => "\\n".to_string(),
                c if c.is_control() => c.escape_unicode().to_string(),
                c => c.to_string(),
            })
            .collect()
    }

    /// The command's verb as named in errors.
    fn name(&self) -> &'static str {
        match self {
            Command::Ehlo(_) => "EHLO",
            Command::Helo(_) => "HELO",
            Command::StartTls => "STARTTLS",
            Command::Auth { .. } => "AUTH",
            Command::AuthResponse(_) => "AUTH continuation",
            Command::Mail { .. } => "MAIL FROM",
            Command::Rcpt { .. } => "RCPT TO",
            Command::Data => "DATA",
            Command::Bdat { .. } => "BDAT",
            Command::Rset => "RSET",
            Command::Noop => "NOOP",
            Command::Vrfy(_) => "VRFY",
            Command::Etrn(_) => "ETRN",
            Command::Quit => "QUIT",
        }
    }

    fn validate(&self) -> Result<()> {
        let name = self.name();
        match *self {
            Command::Ehlo(domain) | Command::Helo(domain) => {
                check(name, "domain", domain, Rule::NonEmpty, false)
            }
            Command::Auth {
                mechanism,
                initial_response,
            } => {
                check(name, "mechanism", mechanism, Rule::NonEmpty, false)?;
                match initial_response {
                    Some(ir) => check(name, "initial response", ir, Rule::MayBeEmpty, true),
                    None => Ok(()),
                }
            }
            Command::AuthResponse(response) => {
                check(name, "response", response, Rule::MayBeEmpty, true)
            }
            Command::Mail { from, params } => {
                check(name, "path", from, Rule::Path, false)?;
                check_params(name, params)
            }
            Command::Rcpt { to, params } => {
                check(name, "path", to, Rule::NonEmptyPath, false)?;
                check_params(name, params)
            }
            Command::Vrfy(string) => check(name, "argument", string, Rule::NonEmpty, false),
            Command::Etrn(node) => check(name, "node", node, Rule::NonEmpty, false),
            Command::StartTls
            | Command::Data
            | Command::Bdat { .. }
            | Command::Rset
            | Command::Noop
            | Command::Quit => Ok(()),
        }
    }

    /// The line without CRLF; with `hide_secrets`, AUTH payloads become `***`.
    fn render(&self, hide_secrets: bool) -> String {
        let with_params = |head: String, params: &[String]| {
            params.iter().fold(head, |mut line, p| {
                line.push(' ');
                line.push_str(p);
                line
            })
        };
        match *self {
            Command::Ehlo(domain) => format!("EHLO {domain}"),
            Command::Helo(domain) => format!("HELO {domain}"),
            Command::StartTls => "STARTTLS".to_string(),
            Command::Auth {
                mechanism,
                initial_response,
            } => match initial_response {
                None => format!("AUTH {mechanism}"),
                Some(_) if hide_secrets => format!("AUTH {mechanism} ***"),
                Some("") => format!("AUTH {mechanism} ="),
                Some(ir) => format!("AUTH {mechanism} {ir}"),
            },
            Command::AuthResponse(_) if hide_secrets => "***".to_string(),
            Command::AuthResponse(response) => response.to_string(),
            Command::Mail { from, params } => with_params(format!("MAIL FROM:<{from}>"), params),
            Command::Rcpt { to, params } => with_params(format!("RCPT TO:<{to}>"), params),
            Command::Data => "DATA".to_string(),
            Command::Bdat { size, last: true } => format!("BDAT {size} LAST"),
            Command::Bdat { size, last: false } => format!("BDAT {size}"),
            Command::Rset => "RSET".to_string(),
            Command::Noop => "NOOP".to_string(),
            Command::Vrfy(string) => format!("VRFY {string}"),
            Command::Etrn(node) => format!("ETRN {node}"),
            Command::Quit => "QUIT".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn wire(cmd: Command<'_>) -> String {
        let mut out = Vec::new();
        cmd.encode(&mut out)
            .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
        String::from_utf8(out).unwrap()
    }

    /// Encodes a command that must be refused; checks `out` is untouched and returns
    /// the error message.
    fn refused(cmd: Command<'_>) -> String {
        let mut out = b"EARLIER\r\n".to_vec();
        let err = cmd.encode(&mut out).expect_err("must be refused");
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert_eq!(out, b"EARLIER\r\n", "out unchanged on error");
        assert!(
            !err.message().contains(['\r', '\n', '\0']),
            "{:?}",
            err.message()
        );
        err.message().to_string()
    }

    #[test]
    fn simple_commands() {
        assert_eq!(
            wire(Command::Ehlo("client.example")),
            "EHLO client.example\r\n"
        );
        assert_eq!(wire(Command::Helo("[192.0.2.1]")), "HELO [192.0.2.1]\r\n");
        assert_eq!(wire(Command::StartTls), "STARTTLS\r\n");
        assert_eq!(wire(Command::Data), "DATA\r\n");
        assert_eq!(wire(Command::Rset), "RSET\r\n");
        assert_eq!(wire(Command::Noop), "NOOP\r\n");
        assert_eq!(wire(Command::Vrfy("postmaster")), "VRFY postmaster\r\n");
        assert_eq!(wire(Command::Vrfy("John Smith")), "VRFY John Smith\r\n");
        assert_eq!(wire(Command::Etrn("@example.com")), "ETRN @example.com\r\n");
        assert_eq!(wire(Command::Quit), "QUIT\r\n");
    }

    #[test]
    fn bdat() {
        assert_eq!(
            wire(Command::Bdat {
                size: 123,
                last: true
            }),
            "BDAT 123 LAST\r\n"
        );
        assert_eq!(
            wire(Command::Bdat {
                size: 0,
                last: false
            }),
            "BDAT 0\r\n"
        );
        assert_eq!(
            wire(Command::Bdat {
                size: u64::MAX,
                last: false
            }),
            format!("BDAT {}\r\n", u64::MAX)
        );
    }

    #[test]
    fn mail_and_rcpt() {
        let params = ["SIZE=1".to_string(), "BODY=8BITMIME".to_string()];
        assert_eq!(
            wire(Command::Mail {
                from: "a@b",
                params: &params
            }),
            "MAIL FROM:<a@b> SIZE=1 BODY=8BITMIME\r\n"
        );
        assert_eq!(
            wire(Command::Mail {
                from: "",
                params: &[]
            }),
            "MAIL FROM:<>\r\n"
        );
        assert_eq!(
            wire(Command::Rcpt {
                to: "a@b",
                params: &[]
            }),
            "RCPT TO:<a@b>\r\n"
        );
        let notify = ["NOTIFY=SUCCESS,FAILURE".to_string()];
        assert_eq!(
            wire(Command::Rcpt {
                to: "用户@例子.测试",
                params: &notify
            }),
            "RCPT TO:<用户@例子.测试> NOTIFY=SUCCESS,FAILURE\r\n"
        );
        // White space inside a quoted local part is part of the address.
        assert_eq!(
            wire(Command::Mail {
                from: "\"john doe\"@example.com",
                params: &[]
            }),
            "MAIL FROM:<\"john doe\"@example.com>\r\n"
        );
    }

    #[test]
    fn auth() {
        assert_eq!(
            wire(Command::Auth {
                mechanism: "PLAIN",
                initial_response: Some("AGEAYg==")
            }),
            "AUTH PLAIN AGEAYg==\r\n"
        );
        assert_eq!(
            wire(Command::Auth {
                mechanism: "LOGIN",
                initial_response: None
            }),
            "AUTH LOGIN\r\n"
        );
        assert_eq!(
            wire(Command::Auth {
                mechanism: "EXTERNAL",
                initial_response: Some("")
            }),
            "AUTH EXTERNAL =\r\n"
        );
        assert_eq!(wire(Command::AuthResponse("dXNlcg==")), "dXNlcg==\r\n");
        assert_eq!(wire(Command::AuthResponse("*")), "*\r\n");
        assert_eq!(wire(Command::AuthResponse("")), "\r\n");
    }

    #[test]
    fn log_line_hides_auth_payloads() {
        let auth = Command::Auth {
            mechanism: "PLAIN",
            initial_response: Some("AGEAc2VjcmV0"),
        };
        assert_eq!(auth.log_line(), "AUTH PLAIN ***");
        let empty = Command::Auth {
            mechanism: "EXTERNAL",
            initial_response: Some(""),
        };
        assert_eq!(empty.log_line(), "AUTH EXTERNAL ***");
        let login = Command::Auth {
            mechanism: "LOGIN",
            initial_response: None,
        };
        assert_eq!(login.log_line(), "AUTH LOGIN");
        assert_eq!(Command::AuthResponse("c2VjcmV0").log_line(), "***");
        let params = ["SIZE=10".to_string()];
        assert_eq!(
            Command::Mail {
                from: "a@b",
                params: &params
            }
            .log_line(),
            "MAIL FROM:<a@b> SIZE=10"
        );
        assert_eq!(
            Command::Bdat {
                size: 5,
                last: true
            }
            .log_line(),
            "BDAT 5 LAST"
        );
        assert_eq!(Command::Ehlo("me").log_line(), "EHLO me");
    }

    #[test]
    fn log_line_of_an_invalid_command_stays_one_line() {
        let cmd = Command::Rcpt {
            to: "a@b>\r\nDATA",
            params: &[],
        };
        assert_eq!(cmd.log_line(), "RCPT TO:<a@b>\\r\\nDATA>");
        assert_eq!(Command::Vrfy("x\0y").log_line(), "VRFY x\\u{0}y");
    }

    #[test]
    fn refuses_line_breaks_and_nul_in_every_argument() {
        let param = |p: &str| vec![p.to_string()];
        for bad in ["x\r", "x\n", "\r\nQUIT", "x\0y"] {
            refused(Command::Ehlo(bad));
            refused(Command::Helo(bad));
            refused(Command::Vrfy(bad));
            refused(Command::Etrn(bad));
            refused(Command::Auth {
                mechanism: bad,
                initial_response: None,
            });
            refused(Command::Auth {
                mechanism: "PLAIN",
                initial_response: Some(bad),
            });
            refused(Command::AuthResponse(bad));
            refused(Command::Mail {
                from: bad,
                params: &[],
            });
            refused(Command::Rcpt {
                to: bad,
                params: &[],
            });
            refused(Command::Mail {
                from: "a@b",
                params: &param(bad),
            });
            refused(Command::Rcpt {
                to: "a@b",
                params: &param(bad),
            });
        }
    }

    #[test]
    fn errors_name_the_command_and_argument() {
        let msg = refused(Command::Ehlo("a\r\nb"));
        assert!(msg.starts_with("EHLO: the domain"), "{msg}");
        assert!(msg.contains("\"a\\r\\nb\""), "value shown escaped: {msg}");
        let msg = refused(Command::Mail {
            from: "a@b\nRCPT",
            params: &[],
        });
        assert!(msg.starts_with("MAIL FROM: the path"), "{msg}");
        let ps = ["SIZE=1".to_string(), "BODY=8BIT\r\nMIME".to_string()];
        let msg = refused(Command::Rcpt {
            to: "a@b",
            params: &ps,
        });
        assert!(msg.starts_with("RCPT TO: the parameter 2"), "{msg}");
        let msg = refused(Command::Auth {
            mechanism: "PL\nAIN",
            initial_response: None,
        });
        assert!(msg.starts_with("AUTH: the mechanism"), "{msg}");
        assert!(refused(Command::Etrn("")).starts_with("ETRN: the node is empty"));
        assert!(refused(Command::Vrfy("")).starts_with("VRFY: the argument is empty"));
    }

    #[test]
    fn errors_never_echo_auth_payloads() {
        let secret = "c2VjcmV0\r\nMAIL FROM:<x>";
        let msg = refused(Command::Auth {
            mechanism: "PLAIN",
            initial_response: Some(secret),
        });
        assert!(msg.starts_with("AUTH: the initial response"), "{msg}");
        assert!(!msg.contains("c2VjcmV0"), "{msg}");
        let msg = refused(Command::AuthResponse("c2VjcmV0\0"));
        assert!(msg.starts_with("AUTH continuation: the response"), "{msg}");
        assert!(!msg.contains("c2VjcmV0"), "{msg}");
    }

    #[test]
    fn refuses_empty_required_arguments() {
        refused(Command::Ehlo(""));
        refused(Command::Helo(""));
        refused(Command::Vrfy(""));
        refused(Command::Etrn(""));
        refused(Command::Auth {
            mechanism: "",
            initial_response: None,
        });
        refused(Command::Rcpt {
            to: "",
            params: &[],
        });
        let empty = [String::new()];
        refused(Command::Mail {
            from: "a@b",
            params: &empty,
        });
    }

    #[test]
    fn refuses_brackets_and_white_space_in_paths() {
        for bad in [
            "a@b>",
            "<a@b",
            "a@b> SIZE=1",
            "a b@c",
            "a@b\t",
            "a@b\u{a0}",
            "\"a b@c",
            "\"a\" b@c",
            "\"a b\"@c d",
        ] {
            refused(Command::Mail {
                from: bad,
                params: &[],
            });
            refused(Command::Rcpt {
                to: bad,
                params: &[],
            });
        }
        let msg = refused(Command::Rcpt {
            to: "a@b>",
            params: &[],
        });
        assert!(msg.contains("'<' or '>'"), "{msg}");
        let msg = refused(Command::Mail {
            from: "a b@c",
            params: &[],
        });
        assert!(msg.contains("white space"), "{msg}");
    }

    #[test]
    fn refuses_white_space_in_params() {
        let smuggled = ["ENVID=x NOTIFY=NEVER".to_string()];
        let msg = refused(Command::Mail {
            from: "a@b",
            params: &smuggled,
        });
        assert!(
            msg.contains("parameter 1") && msg.contains("white space"),
            "{msg}"
        );
    }
}
