"""Procedure knowledge: the national procedure model, its importer and the citizen-facing search."""
