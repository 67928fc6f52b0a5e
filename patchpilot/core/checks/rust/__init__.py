"""The Rust rules (kernel-rust-rules.md, table A): one module per rule family (safety,
unsafe_ops, panics, lints, comments, docs, bindings, imports, module, nostd, atomic) beside
the helpers they share (syntax, paths, source, ruleset, tree, kbuild, includes, locks);
rules.py runs them."""
