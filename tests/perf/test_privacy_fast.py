"""The column-wise salted keys and name masks give exactly what the scalar functions give."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from gongkai_etl.protect import privacy
from gongkai_etl.protect.pii import mask_name, salted_key
from gongkai_etl.protect.privacy import PrivacyPolicy, _key_part, apply_policy

IDS = ["11010519491231002x", " 11010519491231002X ", "１１０１０５１９４９１２３１００２Ｘ", None, "", "a\x1fb",
       "\x1c110\x1d", "ｘ", "110105 1949", "ß", "ﬁ1"]
NAMES = ["王五", "李建华", "欧阳娜娜", "王", "", None, " 王 芳 ", "王*", "李*华", "阿依古丽·买买提", "John Smith",
         "王五\u3000", "李 建华", "欧阳**"]


def test_salted_keys_match_scalar() -> None:
    policy = PrivacyPolicy(salted_keys={"k": ("a",), "k2": ("a", "b"), "k3": ("d",)})
    b = [1, 22, None, 4, 5, 6, 7, 8, 9, 10, 11]
    d = [Decimal("1.5")] * 10 + [None]
    t = pa.table({"a": IDS, "b": pa.array(b, pa.int64()), "d": pa.array(d, pa.decimal128(5, 1))})
    out = apply_policy(t, policy, salt="s")
    for name, cols in (("k", ("a",)), ("k2", ("a", "b")), ("k3", ("d",))):
        want = [None if any(t.column(c)[i].as_py() is None for c in cols)
                else salted_key("s", *(_key_part(t.column(c)[i].as_py()) for c in cols)) for i in range(t.num_rows)]
        assert out.column(name).to_pylist() == want, name


def test_mask_names_match_scalar() -> None:
    t = pa.table({"n": NAMES})
    out = apply_policy(t, PrivacyPolicy(mask={"n": "name"}), salt=None)
    assert out.column("n").to_pylist() == [None if v is None else mask_name(v) for v in NAMES]
    plain = pa.table({"n": ["王五", "李建华", None]})
    assert apply_policy(plain, PrivacyPolicy(mask={"n": "name"}), salt=None).column("n").to_pylist() == ["王*", "李*华", None]


# Characters at the edges of the byte-level fast path, and some it must leave to the kernels.
EDGE_CHARS = "一丁龿鿀鿕鿿㐀䶵丽王李华欧阳*· Ａa\u3000𠀀"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=EDGE_CHARS, max_size=6) | st.text(alphabet="一丁龿王李华欧阳龟", min_size=1, max_size=6),
                min_size=1, max_size=12), st.integers(0, 2))
def test_name_masks_from_bytes_equal_the_kernels(names: list[str], cut: int) -> None:
    arr = pa.array(["王五"] * cut + names, pa.string()).slice(cut)
    fast = privacy._mask_names(arr)
    with mock.patch.object(privacy, "_mask_common_han", return_value=None):
        kernels = privacy._mask_names(arr)
    assert fast.to_pylist() == kernels.to_pylist() == [mask_name(v) for v in names]


def test_common_han_path_is_taken_for_plain_names() -> None:
    arr = pa.array(["王五", "李建华", "欧阳娜娜", "王", "龿一"])
    assert privacy._mask_common_han(arr).to_pylist() == ["王*", "李*华", "欧**娜", "王*", "龿*"]
    assert privacy._mask_common_han(pa.array(["王五", None])) is None
    assert privacy._mask_common_han(pa.array(["王五", "鿀"])) is None  # U+9FC0: left to the kernels
