"""The Prevent and Channel pathway (guidance Diagram 1) as a pure state machine."""
