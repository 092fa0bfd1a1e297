"""Documents prevent-ig issues: their content models, built from records, with no I/O."""
