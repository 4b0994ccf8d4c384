"""Privacy policy of a dataset and the PII scan of its output table.

The protect stage first applies the policy (salted keys from the clear values,
then masks, then drops) and then scans every remaining cell; any finding blocks
publication. Findings carry only masked values, so the report that lists them
can be logged and mailed without leaking what it found.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gongkai_etl.arrowtext import one_array, string_payload
from gongkai_etl.errors import ConfigError
from gongkai_etl.protect.keys import salted_key_array
from gongkai_etl.protect.pii import (
    KEY_SEP,
    PiiKind,
    mask_bank_card,
    mask_email,
    mask_id,
    mask_name,
    mask_phone,
    redact,
)

#: Mask methods a policy may name, field -> method.
MASK_METHODS: dict[str, Callable[[str], str]] = {
    "name": mask_name,
    "id": mask_id,
    "phone": mask_phone,
    "bank_card": mask_bank_card,
    "email": mask_email,
    "redact": redact,  # free text: mask every hit inside it
}

_TUPLE_KEYS = ("drop", "name_fields", "allow_names", "ignore")
_DICT_KEYS = ("mask", "salted_keys")
POLICY_KEYS = (*_TUPLE_KEYS, *_DICT_KEYS)

#: Report labels, Chinese first.
KIND_LABELS: dict[PiiKind, str] = {
    PiiKind.ID18: "身份证号 (resident ID)",
    PiiKind.ID18_SUSPICIOUS: "疑似身份证号，校验位不符 (suspicious resident ID, wrong check character)",
    PiiKind.ID15: "15位身份证号 (old 15-digit resident ID)",
    PiiKind.MOBILE: "手机号 (mobile number)",
    PiiKind.LANDLINE: "固定电话 (landline number)",
    PiiKind.BANK_CARD: "银行卡号 (bank card number)",
    PiiKind.EMAIL: "电子邮箱 (email address)",
    PiiKind.NAME: "未遮蔽姓名 (unmasked personal name)",
}


@dataclass(frozen=True)
class PrivacyPolicy:
    """What the protect stage does to one dataset.

    ``drop``: fields removed before output (often raw columns outside the schema;
    absent ones are ignored). ``mask``: field -> method from :data:`MASK_METHODS`.
    ``name_fields``: columns of personal names that must be masked; the scan
    flags unmasked names there (fields masked with ``name`` count too).
    ``allow_names``: columns allowed to hold full names (officials named as
    responsible persons); they win over ``name_fields``. ``salted_keys``: output
    field -> source fields hashed with the salt. ``ignore``: fields whose numbers
    are known not to be personal (division_code, project_id); the scan skips
    them. The salt itself is not policy: the caller passes it to
    :func:`apply_policy` (the pipeline's ``salt_env`` names its variable).
    """

    drop: tuple[str, ...] = ()
    mask: dict[str, str] = field(default_factory=dict)
    name_fields: tuple[str, ...] = ()
    allow_names: tuple[str, ...] = ()
    salted_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name, method in self.mask.items():
            if method not in MASK_METHODS:
                raise ConfigError(
                    f"privacy.mask.{name}: 未知遮蔽方法 {method!r} (unknown mask method); "
                    f"可用 (expected): {', '.join(MASK_METHODS)}",
                    field=name,
                )
        for name, sources in self.salted_keys.items():
            if not sources:
                raise ConfigError(
                    f"privacy.salted_keys.{name}: 未列出来源字段 (no source fields listed)", field=name
                )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None, *, where: str = "privacy") -> PrivacyPolicy:
        """Build a policy from a dataset's ``privacy`` dict or a pipeline section."""
        return cls().merge(d or {}, where=where)

    def merge(self, overrides: Mapping[str, Any], *, where: str = "privacy") -> PrivacyPolicy:
        """A copy adjusted by ``overrides`` (a pipeline tuning the dataset default).

        Lists are added to the default, never silently replace it, so a pipeline
        cannot drop a protection by omission; ``mask``/``salted_keys`` entries
        are set per field, and a field set to null removes that entry.
        """
        if not isinstance(overrides, Mapping):
            raise ConfigError(f"{where}: 应为映射 (expected a mapping), got {type(overrides).__name__}")
        changes: dict[str, Any] = {}
        for key, value in overrides.items():
            path = f"{where}.{key}"
            if key not in POLICY_KEYS:
                raise ConfigError(
                    f"{path}: 未知配置项 {key!r} (unknown privacy key); "
                    f"可用 (expected): {', '.join(POLICY_KEYS)}",
                    field=str(key),
                )
            if key in _TUPLE_KEYS:
                added = _names(value, path)
                changes[key] = tuple(dict.fromkeys((*getattr(self, key), *added)))
            elif key == "mask":
                merged = dict(self.mask)
                for name, method in _mapping(value, path).items():
                    if method is None:
                        merged.pop(name, None)
                    elif not isinstance(method, str):
                        raise ConfigError(
                            f"{path}.{name}: 应为遮蔽方法名 (expected a mask method name)", field=name
                        )
                    else:
                        merged[name] = method
                changes[key] = merged
            else:  # salted_keys
                keys = dict(self.salted_keys)
                for name, sources in _mapping(value, path).items():
                    if sources is None:
                        keys.pop(name, None)
                    else:
                        keys[name] = _names(sources, f"{path}.{name}")
                changes[key] = keys
        return replace(self, **changes)

    @property
    def name_check_fields(self) -> tuple[str, ...]:
        """Columns the scan checks for unmasked names."""
        masked = (f for f, m in self.mask.items() if m == "name")
        fields = dict.fromkeys((*self.name_fields, *masked))
        return tuple(f for f in fields if f not in self.allow_names and f not in self.ignore)


def _names(value: Any, path: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]  # a lone field name in YAML is a common slip; accept it
    if not isinstance(value, Iterable) or isinstance(value, Mapping):
        raise ConfigError(f"{path}: 应为字段名列表 (expected a list of field names)")
    out = tuple(value)
    for item in out:
        if not isinstance(item, str) or not item:
            raise ConfigError(
                f"{path}: 字段名应为非空字符串 (field names must be non-empty strings): {item!r}"
            )
    return out


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{path}: 应为 字段: 值 映射 (expected a mapping of field: value)")
    return value


# --- apply ---------------------------------------------------------------------


def as_strings(column: pa.ChunkedArray) -> pa.Array:
    """A column as one plain string array (dictionary decoded, other types cast)."""
    arr = one_array(column)
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    return arr if pa.types.is_string(arr.type) else pc.cast(arr, pa.string())


def _map_strings(arr: pa.Array, fn: Callable[[str], str]) -> pa.Array:
    # Work on the distinct values only: names and remarks repeat a lot.
    encoded = pc.dictionary_encode(arr)
    mapped = pa.array([fn(v) for v in encoded.dictionary.to_pylist()], pa.string())
    return mapped.take(encoded.indices)


# Python's str.strip() whitespace within ASCII (it includes the separators 0x1C-0x1F).
_ASCII_STRIP = " \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"


def _key_texts(column: pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """Column-wise ``_key_part`` where it is exact: (texts, rows left to Python).

    For ASCII text NFKC and NFC change nothing, ``strip`` is a trim of the ASCII
    whitespace above and ``upper`` is ``ascii_upper``; integers print the same in
    both. Other rows (non-ASCII, other types) take the scalar path.
    """
    arr = one_array(column)
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if pa.types.is_integer(arr.type):
        return pc.cast(arr, pa.string()), pa.repeat(pa.scalar(False), len(arr))
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return pa.nulls(len(arr), pa.string()), pc.is_valid(arr)
    arr = arr.cast(pa.string())
    ascii_rows = pc.fill_null(pc.string_is_ascii(arr), True)
    texts = pc.ascii_upper(pc.utf8_trim(arr, _ASCII_STRIP))
    return texts, pc.invert(ascii_rows)


def _salted_keys(table: pa.Table, sources: tuple[str, ...], salt: str) -> pa.Array:
    """``salted_key(salt, *map(_key_part, row))`` for every row, null where a
    source is null: the key parts prepared column-wise (see :func:`_key_texts`),
    the rare rows that need Unicode normalisation in Python, then AES-CMAC over
    the whole column (:func:`gongkai_etl.protect.keys.salted_key_array`)."""

    parts, slow = [], None
    for src in sources:
        texts, python_rows = _key_texts(table.column(src))
        parts.append(texts)
        slow = python_rows if slow is None else pc.or_(slow, python_rows)
    joined = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, KEY_SEP)
    any_null = None
    for src in sources:
        col_null = pc.is_null(one_array(table.column(src)))
        any_null = col_null if any_null is None else pc.or_(any_null, col_null)
    python_rows = pc.indices_nonzero(pc.fill_null(slow, False)).to_pylist() if slow is not None else []
    if python_rows:
        columns = [table.column(src) for src in sources]
        fixed = []
        for i in python_rows:
            row = [c[i].as_py() for c in columns]
            fixed.append(None if any(v is None for v in row) else KEY_SEP.join(
                unicodedata.normalize("NFC", p) for p in map(_key_part, row)))
        mask = np.zeros(len(joined), bool)
        mask[python_rows] = True
        joined = pc.replace_with_mask(joined, pa.array(mask), pa.array(fixed, pa.string()))
    if pc.any(any_null).as_py():
        joined = pc.if_else(any_null, pa.scalar(None, pa.string()), joined)
    return salted_key_array(salt, joined)


# A plain name column-wise: Han characters only (no space, no '*', nothing to strip).
_PLAIN_NAME = r"^\p{Han}+$"


def _mask_names(arr: pa.Array) -> pa.Array:
    """``mask_name`` for a column: plain Han names column-wise (first character,
    ``*`` for the middle, last character; one-two characters -> first + ``*``),
    anything else (spaces, dots, Latin, already masked) through ``mask_name``."""
    common = _mask_common_han(arr)
    if common is not None:
        return common
    plain = pc.fill_null(pc.match_substring_regex(arr, _PLAIN_NAME), False)
    n = pc.utf8_length(arr)
    first = pc.utf8_slice_codeunits(arr, 0, 1)
    last = pc.if_else(pc.greater(n, 2), pc.utf8_slice_codeunits(arr, -1), "")
    stars = pc.binary_repeat("*", pc.max_element_wise(pc.subtract(n, 2), 1))
    fast = pc.binary_join_element_wise(first, stars, last, "")
    if pc.all(pc.or_(plain, pc.is_null(arr))).as_py() is not False:
        return pc.if_else(plain, fast, arr)
    slow_rows = pc.and_(pc.invert(plain), pc.is_valid(arr))
    slow = _map_strings(arr.filter(slow_rows), mask_name)
    return pc.replace_with_mask(pc.if_else(plain, fast, arr), slow_rows, slow)


def _mask_common_han(arr: pa.Array) -> pa.Array | None:
    """The masks of a column whose every value is one or more characters of
    U+4E00..U+9FBF (the common CJK ideographs, all \\p{Han} in any Unicode
    version), laid out from the UTF-8 bytes: each character is 3 bytes, so the
    first and last are fixed-size copies. None for any other column (a null,
    an empty cell, a rarer character), which the kernels handle."""
    arr = one_array(arr)
    if not len(arr) or arr.null_count or not pa.types.is_string(arr.type):
        return None
    data, offsets = string_payload(arr)
    lengths = np.diff(offsets)
    if (lengths == 0).any() or (lengths % 3).any():
        return None
    chars = data[int(offsets[0]) : int(offsets[-1])].reshape(-1, 3)
    lead, second, third = chars[:, 0], chars[:, 1], chars[:, 2]
    common = ((lead >= 0xE5) & (lead <= 0xE8)) | ((lead == 0xE4) & (second >= 0xB8)) | ((lead == 0xE9) & (second <= 0xBE))
    if not (common & (second >= 0x80) & (second <= 0xBF) & (third >= 0x80) & (third <= 0xBF)).all():
        return None
    count = lengths // 3
    has_last = count > 2
    sizes = 3 + np.maximum(count - 2, 1) + 3 * has_last  # first, the stars, the last
    out_offsets = np.zeros(len(count) + 1, np.int64)
    np.cumsum(sizes, out=out_offsets[1:])
    if out_offsets[-1] >= 2**31:
        return None
    out = np.full(int(out_offsets[-1]), ord("*"), np.uint8)
    starts = (offsets[:-1] - offsets[0]).astype(np.int64)
    ends = (offsets[1:] - offsets[0]).astype(np.int64)[has_last]
    flat = chars.reshape(-1)
    for k in range(3):
        out[out_offsets[:-1] + k] = flat[starts + k]
        out[out_offsets[1:][has_last] - 3 + k] = flat[ends - 3 + k]
    return pa.StringArray.from_buffers(len(count), pa.py_buffer(out_offsets.astype(np.int32)), pa.py_buffer(out))


def _key_part(value: Any) -> str:
    # Same person, same key, whatever the spelling: full-width digits, a lower-case x.
    return unicodedata.normalize("NFKC", str(value)).strip().upper()


def _set_string_column(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    if name in table.column_names:
        i = table.column_names.index(name)
        old = table.schema.field(i)
        return table.set_column(i, pa.field(name, pa.string(), old.nullable, old.metadata), values)
    return table.append_column(pa.field(name, pa.string()), values)


def apply_policy(
    table: pa.Table, policy: PrivacyPolicy, *, salt: str | None, salt_env: str = "GONGKAI_SALT"
) -> pa.Table:
    """Salted keys (from the clear values), then masks, then drops.

    A key's value is null when one of its source values is null. Raises
    :class:`ConfigError` when the policy names a missing field to mask or hash,
    or salted keys are asked for without a salt; ``salt_env`` only names the
    variable in that message.
    """
    if policy.salted_keys:
        if not salt:
            raise ConfigError(
                f"盐值未配置 (salt not configured): 请设置环境变量 {salt_env}，"
                f"或在流水线中用 salt_env 指定其他变量 (set the environment variable "
                f"{salt_env}, or name another one with salt_env in the pipeline)",
                field=next(iter(policy.salted_keys)),
            )
        for out_name, sources in policy.salted_keys.items():
            for src in sources:
                if src not in table.column_names:
                    raise ConfigError(
                        f"privacy.salted_keys.{out_name}: 来源字段 {src!r} 不存在 "
                        f"(source field not in the table)",
                        field=src,
                    )
            keys = _salted_keys(table, sources, salt)
            table = _set_string_column(table, out_name, keys)
    for name, method in policy.mask.items():
        if name not in table.column_names:
            if name in policy.drop:
                continue  # dropped anyway
            raise ConfigError(f"privacy.mask.{name}: 字段不存在 (field not in the table)", field=name)
        values = as_strings(table.column(name))
        masked = _mask_names(values) if method == "name" else _map_strings(values, MASK_METHODS[method])
        table = _set_string_column(table, name, masked)
    present = [name for name in policy.drop if name in table.column_names]
    return table.drop_columns(present) if present else table


# --- scan ----------------------------------------------------------------------


