//! The only module that touches sockets: TCP with timeouts, TLS via native-tls.
