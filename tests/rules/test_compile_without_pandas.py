"""Compiling a policy set, examples included, imports no pandas (a second of ``policymatch
check``'s start-up): the blank test of the values YAML gives answers without it, as pandas
would."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from policymatch.values import is_blank

SHIPPED = Path(__file__).resolve().parents[2] / "policies"


@given(
    st.one_of(
        st.integers(),
        st.booleans(),
        st.decimals(allow_nan=True, allow_infinity=True).filter(lambda d: not d.is_snan()),
        st.dates(),
    )
)
def test_yaml_values_are_blank_as_pandas_says(value: int | Decimal | dt.date) -> None:
    assert is_blank(value) == bool(pd.isna(value))


def test_compiling_the_shipped_policies_imports_no_pandas() -> None:
    code = (
        "import sys\n"
        "from policymatch.rules import compile_policy_set\n"
        f"policy_set = compile_policy_set({str(SHIPPED)!r})\n"
        "assert sum(len(p.examples) for p in policy_set.policies) > 0\n"
        "print('pandas' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
