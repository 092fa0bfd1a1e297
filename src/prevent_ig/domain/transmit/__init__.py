"""Rules for sending Prevent information: which email addresses are secure (guidance Diagram 2)."""
