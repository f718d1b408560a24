"""`-h` works like `--help` on every command, and `--version` names the version."""

from __future__ import annotations

from controlroom import __version__
from tests.cli.conftest import invoke


def test_dash_h_is_help_on_the_program_and_its_commands() -> None:
    for args in (["-h"], ["runs", "-h"], ["run", "show", "-h"]):
        result = invoke(*args)
        assert result.exit_code == 0, (args, result.output)
        assert "Usage:" in result.output


def test_version_prints_the_version_and_exits() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"controlroom {__version__}"
