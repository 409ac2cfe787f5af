//! Transaction outcome rules: placeholder until written.
