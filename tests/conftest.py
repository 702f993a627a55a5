"""Shared by every test package: the golden-file helper's assertions show a diff like a test's."""

import pytest

pytest.register_assert_rewrite("tests.golden")
