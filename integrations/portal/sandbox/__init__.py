"""The sandbox portal: the contract's server side with its own SQLite store."""

from integrations.portal.sandbox.portal import ProcedureTerms, SandboxPortal, Terms

__all__ = ["ProcedureTerms", "SandboxPortal", "Terms"]
