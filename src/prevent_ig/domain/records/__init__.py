"""Pure rules about records: NHS numbers, the audit hash chain, Channel consent from a consent record."""
