"""Tests of the personal-data detectors and masks."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gongkai_etl.protect.pii import (
    PiiHit,
    PiiKind,
    find_pii,
    id18_check_char,
    is_valid_id18,
    mask_bank_card,
    mask_email,
    mask_id,
    mask_name,
    mask_phone,
    mask_value,
    redact,
    salted_key,
)

# --- strategies ------------------------------------------------------------------

CJK_PUNCTUATION = list("，。、；：？！“”‘’（）《》【】—…·")
cjk_text = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), st.sampled_from(CJK_PUNCTUATION)
    ),
    max_size=12,
)


def _luhn_check_digit(body: str) -> str:
    total = 0
    for i, c in enumerate(reversed(body)):
        n = int(c)
        if i % 2 == 0:  # doubled once the check digit is appended
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return str((10 - total % 10) % 10)


@st.composite
def id18s(draw: st.DrawFn) -> str:
    region = draw(st.integers(110000, 659999))
    born = draw(st.dates(min_value=date(1800, 1, 1), max_value=date.today()))
    seq = draw(st.integers(0, 999))
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + id18_check_char(first17)


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    digits = "1" + draw(st.sampled_from("3456789")) + draw(st.text("0123456789", min_size=9, max_size=9))
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "+86-", "0086", "0086 ", "86", "86-"]))
    sep = draw(st.sampled_from(["", " ", "-"]))
    return prefix + digits[:3] + sep + digits[3:7] + sep + digits[7:]


@st.composite
def bank_cards(draw: st.DrawFn) -> str:
    length = draw(st.integers(16, 19))
    prefix = draw(st.sampled_from(["62", "6228", "6222", "4", "5", "9558", "60"]))
    rest = length - 1 - len(prefix)
    body = list(prefix + draw(st.text("0123456789", min_size=rest, max_size=rest)))
    body[6] = "0"  # a birth year 0xxx: an 18-digit card never looks like an ID by chance
    body_s = "".join(body)
    card = body_s + _luhn_check_digit(body_s)
    if draw(st.booleans()):
        card = " ".join(card[i : i + 4] for i in range(0, len(card), 4))
    return card


def _found_alone(value: str, kind: PiiKind, before: str, after: str) -> None:
    text = before + value + after
    assert find_pii(text) == [PiiHit(kind, len(before), len(before) + len(value), value)]


# --- properties -------------------------------------------------------------------


@given(id18s(), cjk_text, cjk_text)
def test_valid_id18_found_in_chinese_text(value: str, before: str, after: str) -> None:
    assert is_valid_id18(value)
    _found_alone(value, PiiKind.ID18, before, after)


@given(mobiles(), cjk_text, cjk_text)
def test_mobile_found_in_chinese_text(value: str, before: str, after: str) -> None:
    _found_alone(value, PiiKind.MOBILE, before, after)


@given(bank_cards(), cjk_text, cjk_text)
def test_bank_card_found_in_chinese_text(value: str, before: str, after: str) -> None:
    _found_alone(value, PiiKind.BANK_CARD, before, after)


@given(
    st.one_of(
        id18s().map(lambda v: (PiiKind.ID18, v)),
        mobiles().map(lambda v: (PiiKind.MOBILE, v)),
        bank_cards().map(lambda v: (PiiKind.BANK_CARD, v)),
    ),
    cjk_text,
    cjk_text,
)
def test_masked_forms_not_flagged_again(
    kind_value: tuple[PiiKind, str], before: str, after: str
) -> None:
    kind, value = kind_value
    masked = mask_value(kind, value)
    assert "*" in masked
    assert find_pii(before + masked + after) == []
    assert mask_value(kind, masked) == masked  # masking twice changes nothing


@given(id18s(), st.sampled_from("0123456789X"), cjk_text, cjk_text)
def test_wrong_check_char_is_suspicious_not_id18(
    value: str, wrong: str, before: str, after: str
) -> None:
    assume(wrong != value[-1])
    bad = value[:-1] + wrong
    assert not is_valid_id18(bad)
    _found_alone(bad, PiiKind.ID18_SUSPICIOUS, before, after)


@given(st.text("0123456789", min_size=18, max_size=18), st.sampled_from(["", "X"]))
def test_id18_hits_always_valid(digits: str, x: str) -> None:
    value = digits[:17] + x if x else digits
    for hit in find_pii("号码" + value + "。"):
        if hit.kind is PiiKind.ID18:
            assert is_valid_id18(hit.value)


@settings(max_examples=50)
@given(st.lists(st.one_of(id18s(), mobiles(), bank_cards(), cjk_text), max_size=6))
def test_redact_leaves_nothing_to_find(pieces: list[str]) -> None:
    # Pieces joined by a CJK character so that two numbers never merge into one run.
    text = "，".join(pieces)
    redacted = redact(text)
    assert find_pii(redacted) == []
    assert redact(redacted) == redacted


# --- examples ---------------------------------------------------------------------


def kinds(text: str) -> list[tuple[str, str]]:
    return [(h.kind.value, h.value) for h in find_pii(text)]


def test_domain_examples() -> None:
    assert id18_check_char("11010519491231002") == "X"
    assert id18_check_char("44052418800101001") == "4"
    assert is_valid_id18("11010519491231002X")
    assert is_valid_id18("11010519491231002x")
    assert is_valid_id18("440524188001010014")  # born 1880
    assert not is_valid_id18("110105199001011234")
    assert kinds("110105199001011234") == [("id18_suspicious", "110105199001011234")]


@pytest.mark.parametrize("bad", ["1101051949123100", "1101051949123100X", "１１０１０５１９４９１２３１００２"])
def test_check_char_needs_17_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        id18_check_char(bad)


def test_id18_implausible_shapes() -> None:
    first17 = "91010519491231002"  # region starting with 9
    assert not is_valid_id18(first17 + id18_check_char(first17))
    future = f"110105{date.today().year + 1}0101002"
    assert not is_valid_id18(future + id18_check_char(future))
    bad_date = "11010519490231002"  # 31 February
    assert not is_valid_id18(bad_date + id18_check_char(bad_date))


def test_id_variants() -> None:
    assert kinds("户主身份证号：11010519491231002X，现住址") == [("id18", "11010519491231002X")]
    assert kinds("证件110105 19491231 002X") == [("id18", "110105 19491231 002X")]
    full_width = "１１０１０５１９４９１２３１００２Ｘ"  # offsets stay those of the original text
    assert kinds(f"证件{full_width}号") == [("id18", full_width)]
    assert kinds("老证号110105491231002已换") == [("id15", "110105491231002")]
    assert kinds("110105491331002") == []  # month 13: not an old ID


@pytest.mark.parametrize(
    "text,value",
    [
        ("办公电话010-65001234转", "010-65001234"),
        ("电话（010）12345678，", "（010）12345678"),
        ("(010)12345678", "(010)12345678"),
        ("联系0755-1234567", "0755-1234567"),
        ("总机010-65001234-801值班", "010-65001234-801"),
        ("热线 021 62345678", "021 62345678"),
        ("座机01065001234号", "01065001234"),
    ],
)
def test_landline(text: str, value: str) -> None:
    assert kinds(text) == [("landline", value)]


def test_email() -> None:
    assert kinds("请发邮件至zhang.san@chaoyang.gov.cn。谢谢") == [("email", "zhang.san@chaoyang.gov.cn")]
    assert kinds("邮箱13812345678@139.com") == [("email", "13812345678@139.com")]
    assert kinds("z***@163.com") == []


def test_mobile_examples() -> None:
    assert kinds("电话13812345678和13912345678") == [
        ("mobile", "13812345678"),
        ("mobile", "13912345678"),
    ]
    assert kinds("+86 138 1234 5678") == [("mobile", "+86 138 1234 5678")]
    assert kinds("12812345678") == []  # no 12x mobile prefix


@pytest.mark.parametrize(
    "text",
    [
        "编号12345678901234567890",  # 20 digits: not a mobile, card or ID
        "订单号201610031234567890123",
        "日期20161003，20161003123045",
        "金额1234567.89元",
        "补助13812345678.50元",  # an amount's integer part, not a phone
        "区划代码110105001000",
        "2016-10-03 12:00:00",
        "138****5678、110105********002X、6222********4567",
    ],
)
def test_not_pii(text: str) -> None:
    assert find_pii(text) == []


def test_luhn_valid_order_number_not_a_card() -> None:
    body = "201610030000012345"  # 19 digits starting with a date, Luhn-valid
    order = body + _luhn_check_digit(body)
    assert find_pii(f"流水号{order}") == []
    card = "622202" + "123456789012"
    card += _luhn_check_digit(card)
    assert kinds(f"卡号{card}") == [("bank_card", card)]


def test_valid_id_that_passes_luhn_is_an_id() -> None:
    for seq in range(1000):
        first17 = f"11010519800101{seq:03d}"
        value = first17 + id18_check_char(first17)
        if value.isdigit() and _luhn_check_digit(value[:-1]) == value[-1]:
            break
    assert kinds(value) == [("id18", value)]


# --- masks and keys -----------------------------------------------------------------


def test_masks() -> None:
    assert mask_name("王五") == "王*"
    assert mask_name("李建华") == "李*华"
    assert mask_name("欧阳娜娜") == "欧**娜"
    assert mask_name(" 王 ") == "王*"
    assert mask_name("李*华") == "李*华"
    assert mask_name("王五*") == "王**"  # a stray star is no mask
    assert "19491231" not in mask_id("11010519491231002X*")
    assert mask_name("") == ""
    assert mask_id("11010519491231002X") == "110105********002X"
    assert mask_id("110105491231002") == "110105*****1002"
    assert mask_phone("+86 138-1234-5678") == "138****5678"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("(010)65001234转8") == "010-****1234"
    assert mask_bank_card("6222 0213 8123 4567") == "6222********4567"
    assert mask_email("zhangsan@163.com") == "z***@163.com"
    assert mask_value("id18", "11010519491231002X") == "110105********002X"
    with pytest.raises(ValueError):
        mask_value("passport", "E12345678")


def test_redact_in_sentence() -> None:
    text = "户主王五，身份证11010519491231002X，电话13812345678，已核实。"
    assert redact(text) == "户主王五，身份证110105********002X，电话138****5678，已核实。"
    assert redact("无个人信息") == "无个人信息"


def test_salted_key() -> None:
    key = salted_key("s3cret", "11010519491231002X")
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    assert key == salted_key("s3cret", "11010519491231002X")
    assert key != salted_key("other", "11010519491231002X")
    assert salted_key("s", "ab", "c") != salted_key("s", "a", "bc")
    with pytest.raises(ValueError):
        salted_key("", "x")


# --- more kinds and surroundings (issue: confidentiality review) -----------------------

# Text around a number in real remarks: Chinese, Latin letters, spaces and
# punctuation. No digits (they would join the number), no '+' (a leading
# '+1...' is not a Chinese mobile), no x/X right after an ID (its check place).
mixed_text = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.sampled_from(CJK_PUNCTUATION + list("abcdefghijklmnopqrstuvwyzABCDEFGHIJKLMNOPQRSTUVWYZ :;,.()#/")),
    ),
    max_size=12,
)


@st.composite
def id15s(draw: st.DrawFn) -> str:
    region = draw(st.integers(110000, 659999))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)))
    seq = draw(st.integers(0, 999))
    return f"{region}{born:%y%m%d}{seq:03d}"


@st.composite
def landlines(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        area = draw(st.sampled_from(["010", "020", "021", "022", "023", "024", "025", "027", "028", "029"]))
        local_len = 8
    else:
        area = "0" + draw(st.sampled_from("3456789")) + draw(st.text("0123456789", min_size=2, max_size=2))
        local_len = draw(st.sampled_from([7, 8]))
    local = draw(st.sampled_from("23456789")) + draw(st.text("0123456789", min_size=local_len - 1, max_size=local_len - 1))
    form = draw(st.sampled_from(["{a}-{l}", "({a}){l}", "（{a}）{l}", "{a} {l}", "{a}{l}"]))
    return form.format(a=area, l=local)


emails = st.builds(
    lambda user, domain, tld: f"{user}@{domain}.{tld}",
    st.text("abcdefghijklmnopqrstuvwxyz0123456789._", min_size=1, max_size=12).filter(lambda u: u[0].isalnum()),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10),
    st.sampled_from(["com", "cn", "gov.cn", "com.cn", "net", "org"]),
)


@given(id15s(), cjk_text, cjk_text)
def test_id15_found_in_chinese_text(value: str, before: str, after: str) -> None:
    _found_alone(value, PiiKind.ID15, before, after)


@given(landlines(), cjk_text, cjk_text)
def test_landline_found_in_chinese_text(value: str, before: str, after: str) -> None:
    _found_alone(value, PiiKind.LANDLINE, before, after)


@given(emails, cjk_text, cjk_text)
def test_email_found_in_chinese_text(value: str, before: str, after: str) -> None:
    _found_alone(value, PiiKind.EMAIL, before, after)


@given(
    st.one_of(
        id18s().map(lambda v: (PiiKind.ID18, v)),
        mobiles().map(lambda v: (PiiKind.MOBILE, v)),
        bank_cards().map(lambda v: (PiiKind.BANK_CARD, v)),
    ),
    mixed_text,
    mixed_text,
)
def test_found_among_latin_letters_and_spaces(kind_value: tuple[PiiKind, str], before: str, after: str) -> None:
    kind, value = kind_value
    assume(not (before.endswith(" ") and value[:1] == "+"))
    hits = find_pii(before + value + after)
    assert [(h.kind, h.value.strip()) for h in hits] == [(kind, value)]


@given(id18s(), cjk_text, cjk_text)
def test_id18_lower_x_and_full_width_found(value: str, before: str, after: str) -> None:
    for variant in (value.lower(), value.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})):
        _found_alone(variant, PiiKind.ID18, before, after)


@given(
    st.one_of(
        id15s().map(lambda v: (PiiKind.ID15, v)),
        landlines().map(lambda v: (PiiKind.LANDLINE, v)),
        emails.map(lambda v: (PiiKind.EMAIL, v)),
    ),
    cjk_text,
    cjk_text,
)
def test_masked_id15_landline_email_not_flagged_again(kind_value: tuple[PiiKind, str], before: str, after: str) -> None:
    kind, value = kind_value
    masked = mask_value(kind, value)
    assert "*" in masked
    assert find_pii(before + masked + after) == []
    assert mask_value(kind, masked) == masked


@given(st.text("0123456789", min_size=18, max_size=18), cjk_text, cjk_text)
def test_random_18_digits_are_never_a_valid_id_unless_checked(digits: str, before: str, after: str) -> None:
    """A random 18-digit number: an ID only with a correct check character; with
    an ID's shape but a wrong one it is reported as suspicious, never as an ID."""
    kinds_found = {h.kind for h in find_pii(before + digits + after) if h.value == digits}
    if is_valid_id18(digits):
        assert kinds_found == {PiiKind.ID18}
    else:
        assert PiiKind.ID18 not in kinds_found
        first17_ok = digits[0] in "12345678" and is_valid_id18(digits[:17] + id18_check_char(digits[:17]))
        if first17_ok:
            assert kinds_found == {PiiKind.ID18_SUSPICIOUS}


def test_id_groupings_and_trailing_x() -> None:
    assert kinds("身份证号码：110105 1949 1231 002X。") == [("id18", "110105 1949 1231 002X")]
    assert kinds("证件1101-0519-4912-3100-2X号") == [("id18", "1101-0519-4912-3100-2X")]
    # a stray or doubled X after the number does not hide it
    assert kinds("身份证11010519491231002XX") == [("id18", "11010519491231002X")]
    assert kinds("身份证440524188001010014x") == [("id18", "440524188001010014")]
    assert redact("身份证440524188001010014x") == "身份证440524********0014x"


@given(id18s(), st.sampled_from([(6, 8, 4), (6, 4, 4, 4), (4, 4, 4, 4, 2)]), st.sampled_from([" ", "-"]), cjk_text, cjk_text)
def test_grouped_id18_found(value: str, groups: tuple[int, ...], sep: str, before: str, after: str) -> None:
    parts, pos = [], 0
    for n in groups:
        parts.append(value[pos : pos + n])
        pos += n
    grouped = sep.join(parts)
    _found_alone(grouped, PiiKind.ID18, before, after)
    assert find_pii(before + redact(grouped) + after) == []
