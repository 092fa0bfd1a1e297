"""Pure domain logic: no I/O beyond reading data files shipped inside the package."""
