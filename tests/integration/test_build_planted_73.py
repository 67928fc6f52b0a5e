"""The build check on the planted series of Linux 7.3 (see build_cases.py)."""

import pytest

from tests.integration.build_cases import *  # noqa: F403 (the shared cases)


@pytest.fixture(scope="module")
def release() -> str:
    return "7.3"


# 7.3 only, and the checks screen's build (Pilot): here, so that no other worker waits for the
# 7.3 build home
from tests.integration.build_fault_cases import *  # noqa: E402, F403
from tests.tui.checks_build_cases import *  # noqa: E402, F403
