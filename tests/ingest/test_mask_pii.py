import pytest

from ingest.mask_pii import MaskPII
from smallbatch.pii import cn_id_checksum, luhn, mask
from ingest.steps import Drops
from smallbatch.records import Doc


def valid_cn_id(first17: str) -> str:
    """Complete 17 digits with the one check character the validator accepts."""
    (number,) = [first17 + c for c in "0123456789X" if cn_id_checksum(first17 + c)]
    return number


def test_validators():
    assert luhn("4111111111111111") and not luhn("4111111111111112")
    assert luhn("378282246310005")  # Amex test number
    assert cn_id_checksum("11010519491231002X") and cn_id_checksum("11010519491231002x")
    assert not cn_id_checksum("110105194912310021")
    assert not cn_id_checksum("11010519491231002")  # 17 characters


def test_email():
    assert mask("Write to jane.doe+kb@mail.example.co.uk today.") == (
        "Write to [EMAIL] today.", {"EMAIL": 1})


@pytest.mark.parametrize("phone", [
    "+44 20 7946 0958", "+1 (415) 555-2671", "415-555-2671", "(415) 555-2671", "1-800-555-0199",
    "13800138000", "+86 138 0013 8000", "+8613800138000", "138-0013-8000",
])
def test_phones(phone):
    assert mask(f"Call {phone} now.") == ("Call [PHONE] now.", {"PHONE": 1})


def test_chinese_mobile_next_to_chinese_text():
    assert mask("联系电话13912345678，谢谢")[0] == "联系电话[PHONE]，谢谢"


def test_valid_chinese_id_masked_and_bad_checksum_left_alone():
    good = valid_cn_id("44030419880512345")
    bad = good[:17] + ("1" if good[17] != "1" else "2")
    text, counts = mask(f"身份证号 {good}，旧号码 {bad}。")
    assert text == f"身份证号 [CN_ID]，旧号码 {bad}。"
    assert counts == {"CN_ID": 1}


def test_luhn_valid_cards_masked_and_invalid_left_alone():
    text, counts = mask("Visa 4111 1111 1111 1111, Amex 3782-822463-10005, raw 5555555555554444; "
                        "order 4111 1111 1111 1112.")
    assert text == "Visa [CARD], Amex [CARD], raw [CARD]; order 4111 1111 1111 1112."
    assert counts == {"CARD": 3}


def test_ip_addresses():
    text, counts = mask("Hosts 192.168.0.1, 10.0.0.255 and 2001:db8::8a2e:370:7334, ::1, "
                        "::ffff:192.0.2.1. Not 256.1.1.1, 1.2.3.4.5, 12:30:45 or std::vector.")
    assert text == ("Hosts [IP], [IP] and [IP], [IP], [IP]. "
                    "Not 256.1.1.1, 1.2.3.4.5, 12:30:45 or std::vector.")
    assert counts == {"IP": 5}


@pytest.mark.parametrize("secret", [
    "sk-proj4f9aZ8kLmN2pQrStUvWx",
    "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
    "AKIAIOSFODNN7EXAMPLE",
    "xoxb-123456789012-abcdefGHIJ",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
])
def test_token_kinds(secret):
    assert mask(f"token {secret} leaked")[0] == "token [SECRET] leaked"


def test_assignments_keep_the_name_and_mask_long_values():
    text, counts = mask('api_key=a8f5f167f44f4964e6c998dee827110c\n"client_secret": "Zx81kPq0Lm29Vb7Ty6Rc"\n'
                        "access_token: 9f86d081884c7d659a2f\ntoken=short1 and the key: unlocking.")
    assert text == ('api_key=[SECRET]\n"client_secret": "[SECRET]"\n'
                    "access_token: [SECRET]\ntoken=short1 and the key: unlocking.")
    assert counts == {"SECRET": 3}


def test_ordinary_numbers_are_untouched():
    text = ("In 1347 the plague reached Europe and by 1351 it had killed 25,000,000 people; "
            "100,000 people fled, 8 ships docked, pi is 3.14159, version 2.3.1 shipped on "
            "2023-05-01, room 1204, ISBN 978-3-16-148410-0, population 1234567.")
    assert mask(text) == (text, {})


def test_step_masks_text_counts_kinds_and_never_drops():
    docs = [Doc("a", "Mail a@b.io or b@c.io, call 415-555-2671.", {"pii_masked": {"EMAIL": 1}}),
            Doc("b", "Nothing personal here.")]
    drops = Drops()
    out = list(MaskPII().run(iter(docs), drops))
    assert [d.text for d in out] == ["Mail [EMAIL] or [EMAIL], call [PHONE].", "Nothing personal here."]
    assert out[0].metadata["pii_masked"] == {"EMAIL": 3, "PHONE": 1}
    assert "pii_masked" not in out[1].metadata
    assert drops.summary() == {}
