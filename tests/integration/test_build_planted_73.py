"""The build check on the planted series of Linux 7.3 (see build_cases.py)."""

import pytest

from tests.integration.build_cases import *  # noqa: F403 (the shared cases)


@pytest.fixture(scope="module")
def release() -> str:
    return "7.3"


from tests.integration.build_fault_cases import *  # noqa: E402, F403 (7.3 only, same worker)
