"""Adapters to the outside world: configuration files now; database, mail and PDFs later."""
