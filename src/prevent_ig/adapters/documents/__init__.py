"""Rendering documents: HTML templates laid out as PDF by WeasyPrint."""
