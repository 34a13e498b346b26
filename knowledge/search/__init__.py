"""Citizen-facing procedure search: typo-, diacritic- and shorthand-tolerant ranking."""

from knowledge.search.index import SearchIndex
from knowledge.search.lexicon import Lexicon

__all__ = ["Lexicon", "SearchIndex"]
