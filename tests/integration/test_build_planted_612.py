"""The build check on the planted series of Linux 6.12 (see build_cases.py)."""

import pytest

from tests.integration.build_cases import *  # noqa: F403 (the shared cases)


@pytest.fixture(scope="module")
def release() -> str:
    return "6.12"
