"""Use cases: one function each, keyword-only, taking a unit of work and owning its transaction."""
