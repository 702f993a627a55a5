"""Shared by every test package: the golden-file helper's assertions show a diff like a test's;
messages in English unless a test chooses Chinese; every diagnostic the tests make has its
Chinese (tests/language.py)."""

from collections.abc import Iterator

import pytest

from tests.language import SEEN, recording, untranslated

pytest.register_assert_rewrite("tests.golden")


@pytest.fixture(autouse=True)
def english_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands' language follows the locale: the tests' is C, whatever the machine's."""
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture(autouse=True, scope="session")
def record_diagnostics() -> Iterator[None]:
    yield from recording()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    missing = untranslated(SEEN)
    if not missing:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.section("diagnostics without their Chinese (policymatch/messages_runtime.py)")
        for line in missing:
            reporter.line(line)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
