"""The JSON API (/api/v1) for EHRs and partner portals, described by OpenAPI 3.1."""
