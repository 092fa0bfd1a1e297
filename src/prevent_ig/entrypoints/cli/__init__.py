"""The ``prevent-ig`` command line. Its JSON forms are a stable interface for scripts."""
