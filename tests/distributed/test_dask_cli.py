"""``policymatch run --dask``: the same round from the command line; clear errors, no traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from policymatch.cli import main
from policymatch.distributed import ClusterError, connect
from tests.distributed.registries import messy_csv, policy_set


def run_cli(*args: str) -> int:
    return main(["run", *args])


def test_dask_local_equals_single(tmp_path: Path) -> None:
    policy_set(tmp_path / "policies")
    registry = messy_csv(tmp_path / "registry.csv", 2_000, seed=3)
    common = [
        "--registry", str(registry), "--as-of", "2024-03-01",
        "--policies", str(tmp_path / "policies"), "--ledger", str(tmp_path / "ledger.sqlite"),
    ]  # fmt: skip
    assert run_cli(*common, "--out", str(tmp_path / "single")) == 0
    assert run_cli(*common, "--out", str(tmp_path / "dask"), "--dask", "local") == 0
    for path in sorted((tmp_path / "single").iterdir()):
        assert path.read_bytes() == (tmp_path / "dask" / path.name).read_bytes(), path.name


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (["--dask", "my-cluster"], "PM802", "help: --dask local (a cluster of this machine's"),
        (["--dask", "local", "--backend", "reference"], "PM802", "--dask runs the batch core"),
    ],
)
def test_usage_errors(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    code: str,
    message: str,
) -> None:
    policy_set(tmp_path / "policies")
    registry = messy_csv(tmp_path / "registry.csv", 50, seed=3)
    status = run_cli(
        "--registry", str(registry), "--as-of", "2024-03-01", "--out", str(tmp_path / "out"),
        "--policies", str(tmp_path / "policies"), *extra,
    )  # fmt: skip
    err = capsys.readouterr().err
    assert status == 2
    assert f"[{code}]" in err
    assert message in err
    assert "Traceback" not in err


def test_dask_not_installed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    policy_set(tmp_path / "policies")
    registry = messy_csv(tmp_path / "registry.csv", 50, seed=3)
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    status = run_cli(
        "--registry", str(registry), "--as-of", "2024-03-01", "--out", str(tmp_path / "out"),
        "--policies", str(tmp_path / "policies"), "--dask", "local",
    )  # fmt: skip
    err = capsys.readouterr().err
    assert status == 1
    assert "[PM801]" in err
    assert "pip install 'policymatch[dask]'" in err


def test_unreachable_scheduler() -> None:
    pytest.importorskip("distributed")
    # Nothing listens on the discard port of this machine: the connection is refused.
    with pytest.raises(ClusterError) as caught, connect("tcp://127.0.0.1:9", timeout=2):
        pass
    rendered = caught.value.render()
    assert "[PM803]" in rendered
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in rendered
    assert "dask scheduler" in rendered
