"""Named checks a declared field may ask for (``check: uscc``): the built-in
ones, registered through the same ``register_checks`` hook a third party uses.

* ``id18``: a resident ID number (GB 11643): shape, birth date, check character.
* ``uscc``: a 统一社会信用代码 (GB 32100): alphabet, division digits, check character.
* ``division_code``: a street or area of 朝阳区, by name or 6/9/12-digit code.

Each value is checked once per distinct value (codes repeat a lot in a list).
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc
from gongkai_etl_plugins.ppp_uscc import is_valid_uscc

from gongkai_etl import hookimpl
from gongkai_etl.contracts import NamedCheck
from gongkai_etl.divisions import division_codes
from gongkai_etl.toolkit import is_valid_id18


def per_distinct(test: Callable[[str], bool]) -> Callable[[pa.Array], pa.Array]:
    """A column check from a value check, run once per distinct value."""

    def valid(values: pa.Array) -> pa.Array:
        encoded = pc.dictionary_encode(values.cast(pa.string()))
        verdicts = pa.array([test(v) for v in encoded.dictionary.to_pylist()], pa.bool_())
        return pc.take(verdicts, encoded.indices)

    return valid


def _is_division(value: str) -> bool:
    return division_codes([value])[0] is not None


@hookimpl(trylast=True)
def register_checks() -> list[NamedCheck]:
    return [
        NamedCheck("id18", "公民身份号码", "resident ID number (GB 11643)", per_distinct(is_valid_id18)),
        NamedCheck("uscc", "统一社会信用代码", "unified social credit code (GB 32100)", per_distinct(is_valid_uscc), code=True),
        NamedCheck(
            "division_code", "朝阳区街道/地区", "Chaoyang street or area (name or division code)", per_distinct(_is_division), code=True
        ),
    ]
