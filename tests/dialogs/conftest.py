"""Fixtures for the conversation transcripts: a fresh Vietnamese-speaking citizen per test."""

from __future__ import annotations

import pytest
from chat_harness import ChatHarness


@pytest.fixture
def chat() -> ChatHarness:
    """A citizen whose platform says Vietnamese, talking to the engine over the fake knowledge."""
    return ChatHarness()
