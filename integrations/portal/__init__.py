"""The public-service portal: the client for its HTTP contract and the sandbox implementing it."""

from integrations.portal.client import HttpPortalClient
from integrations.portal.contract import is_dossier_code

__all__ = ["HttpPortalClient", "is_dossier_code"]
