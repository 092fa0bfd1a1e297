"""Allow ``python -m prevent_ig`` where the console script is not on PATH."""

from prevent_ig.entrypoints.cli.app import main

main()
