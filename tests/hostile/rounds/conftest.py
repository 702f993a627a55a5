"""The county working folder of the CLI tests (policies/ and registry.csv), for hostile rounds."""

from tests.cli.test_cli_rounds import county  # noqa: F401 - a fixture, by name
