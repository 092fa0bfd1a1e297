"""prevent-ig: lawful, proportionate and timely information sharing for Prevent and Channel in the NHS."""

__version__ = "0.1.0"
