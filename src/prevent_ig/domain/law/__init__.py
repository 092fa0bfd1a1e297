"""The sharing assessment: provisions catalogue, input and output contract, and the rules engine.

Import from the modules themselves (``engine.assess``, ``input_checks.parse_assessment``); this package
file stays empty so that its modules can import each other without cycles.
"""
