"""Tests for bot.providers.wecom.crypto.

Published vectors (Tencent's samples and wechatpy's test-suite), interop with the installed wechatpy,
Hypothesis properties, and every failure mode mapped to its official WeCom error code.
"""

from __future__ import annotations

import base64
import struct
from types import ModuleType

import defusedxml.ElementTree as SafeET
import pytest
from Crypto.Cipher import AES
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.providers.wecom.crypto import (
    ERRORS_BY_CODE,
    AesKeyError,
    Base64DecodeError,
    Base64EncodeError,
    ComputeSignatureError,
    DecryptError,
    EncryptError,
    GenReturnXmlError,
    IllegalBufferError,
    ReceiveIdError,
    SignatureError,
    WeComCrypto,
    WeComCryptoError,
    XmlParseError,
    aes_key_problems,
)

# --------------------------------------------------------------------------------------------------
# Vector set 1: Tencent's documented example (token "QDG6eK").
# Source: sbzhu/weworkapi_php callback/Sample.php (Tencent's official PHP callback sample): config,
# URL-verification request, encrypted POST and the decrypted plaintext printed in its comment.
# The same GET/POST requests appear in the comments of sbzhu/weworkapi_python callback/Sample.py.
# --------------------------------------------------------------------------------------------------
QDG_TOKEN = "QDG6eK"
QDG_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
QDG_CORP_ID = "wx5823bf96d3bd56c7"
QDG_VERIFY_SIGNATURE = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
QDG_VERIFY_TIMESTAMP = "1409659589"
QDG_VERIFY_NONCE = "263014780"
QDG_ECHOSTR = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
QDG_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911"
    "L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLx"
    "AUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9"
    "nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/u"
    "h9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)
QDG_MSG_SIGNATURE = "477715d11cdb4164915debcba66cb864d751f3e6"
QDG_MSG_TIMESTAMP = "1409659813"
QDG_MSG_NONCE = "1372623149"
QDG_BODY = (
    "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA["
    + QDG_ENCRYPT
    + "]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
).encode()
QDG_PLAINTEXT = (
    b"<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n"
    b"<FromUserName><![CDATA[mycreate]]></FromUserName>\n"
    b"<CreateTime>1409659813</CreateTime>\n"
    b"<MsgType><![CDATA[text]]></MsgType>\n"
    b"<Content><![CDATA[hello]]></Content>\n"
    b"<MsgId>4561255354251345929</MsgId>\n"
    b"<AgentID>218</AgentID>\n"
    b"</xml>"
)

# --------------------------------------------------------------------------------------------------
# Vector set 2: sbzhu/weworkapi_python callback/Sample.py (Tencent's official Python sample, current
# config). The DecryptMsg plaintext is that file's own sRespData string.
# --------------------------------------------------------------------------------------------------
SAMPLE_TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
SAMPLE_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
SAMPLE_CORP_ID = "ww1436e0e65a779aee"
SAMPLE_VERIFY_SIGNATURE = "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb"
SAMPLE_VERIFY_TIMESTAMP = "1476416373"
SAMPLE_VERIFY_NONCE = "47744683"
SAMPLE_ECHOSTR = "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA=="
SAMPLE_ENCRYPT = (
    "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzT"
    "tRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5j"
    "aU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX"
    "3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+"
)
SAMPLE_MSG_SIGNATURE = "0c3914025cb4b4d68103f6bfc8db550f79dcf48e"
SAMPLE_MSG_TIMESTAMP = "1476422779"
SAMPLE_MSG_NONCE = "1597212914"
SAMPLE_BODY = (
    "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>\n<Encrypt><![CDATA["
    + SAMPLE_ENCRYPT
    + "]]></Encrypt>\n<AgentID><![CDATA[1000002]]></AgentID>\n</xml>"
).encode()
SAMPLE_PLAINTEXT = (
    "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName>"
    "<CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content>"
    "<MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>"
).encode()

# --------------------------------------------------------------------------------------------------
# Vector set 3: wechatpy/wechatpy tests/test_crypto.py (WeChat Work / 企业微信 cases).
# --------------------------------------------------------------------------------------------------
WECHATPY_TOKEN = "123456"
WECHATPY_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
WECHATPY_CORP_ID = "wx49f0ab532d5d035a"
WECHATPY_VERIFY_SIGNATURE = "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96"
WECHATPY_VERIFY_TIMESTAMP = "1411443780"
WECHATPY_VERIFY_NONCE = "437374425"
WECHATPY_BAD_NONCE = "437374424"  # test_check_signature_should_fail
WECHATPY_ECHOSTR = "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q=="
WECHATPY_ENCRYPT = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXz"
    "F6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gY"
    "Nx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2S"
    "jHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En74"
    "9zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0="
)
WECHATPY_REPLY_ENCRYPT = (
    "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8Gq"
    "xlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qv"
    "SUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQy"
    "PR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3"
)
WECHATPY_RANDOM16 = b"1234567890123456"  # PrpCryptoMock.get_random_string
WECHATPY_REPLY = (
    b"<xml>\n"
    b"<MsgType><![CDATA[text]]></MsgType>\n"
    b"<Content><![CDATA[test]]></Content>\n"
    b"<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n"
    b"<ToUserName><![CDATA[messense]]></ToUserName>\n"
    b"<AgentID>1</AgentID>\n"
    b"<CreateTime>1411525903</CreateTime>\n"
    b"</xml>"
)
WECHATPY_MSG_SIGNATURE = "74d92dfeb87ba7c714f89d98870ae5eb62dff26d"
WECHATPY_REPLY_SIGNATURE = "407518b7649e86ef23978113f92d27afa9296533"
WECHATPY_MSG_TIMESTAMP = "1411525903"
WECHATPY_MSG_NONCE = "461056294"
WECHATPY_BODY = (
    "<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>\n<Encrypt><![CDATA["
    + WECHATPY_ENCRYPT
    + "]]></Encrypt>\n<AgentID><![CDATA[1]]></AgentID>\n</xml>"
).encode()
WECHATPY_EXPECTED_ENVELOPE = (
    "<xml>\n"
    "<Encrypt><![CDATA[" + WECHATPY_REPLY_ENCRYPT + "]]></Encrypt>\n"
    "<MsgSignature><![CDATA[" + WECHATPY_REPLY_SIGNATURE + "]]></MsgSignature>\n"
    "<TimeStamp>1411525903</TimeStamp>\n"
    "<Nonce><![CDATA[461056294]]></Nonce>\n"
    "</xml>"
).encode()

# The echostr plaintexts are not printed in the sources above; these values come from decrypting the
# published echostrs with wechatpy 1.8.18, and test_wechatpy_agrees_on_published_echostrs re-checks them.
QDG_ECHO_PLAIN = b"1616140317555161061"
SAMPLE_ECHO_PLAIN = b"1288432023552776189"
WECHATPY_ECHO_PLAIN = b"5927782489442352469"


def qdg() -> WeComCrypto:
    return WeComCrypto(QDG_TOKEN, QDG_KEY, QDG_CORP_ID)


def raw_key(encoding_aes_key: str) -> bytes:
    return base64.b64decode(encoding_aes_key + "=")


def raw_encrypt(encoding_aes_key: str, plain: bytes) -> str:
    """AES-CBC-encrypt hand-built plaintext so tests can forge malformed padding/length fields."""
    key = raw_key(encoding_aes_key)
    return base64.b64encode(AES.new(key, AES.MODE_CBC, iv=key[:16]).encrypt(plain)).decode()


def raw_decrypt(encoding_aes_key: str, ciphertext_b64: str) -> bytes:
    key = raw_key(encoding_aes_key)
    return AES.new(key, AES.MODE_CBC, iv=key[:16]).decrypt(base64.b64decode(ciphertext_b64))


def envelope_fields(envelope: bytes) -> dict[str, str]:
    root = SafeET.fromstring(envelope, forbid_dtd=True)
    return {child.tag: child.text or "" for child in root}


# ------------------------------------------------------------------ published vectors


def test_tencent_documented_url_verification() -> None:
    echo = qdg().verify_url(QDG_VERIFY_SIGNATURE, QDG_VERIFY_TIMESTAMP, QDG_VERIFY_NONCE, QDG_ECHOSTR)
    assert echo == QDG_ECHO_PLAIN


def test_tencent_documented_message_decryption() -> None:
    plain = qdg().decrypt_message(QDG_BODY, QDG_MSG_SIGNATURE, QDG_MSG_TIMESTAMP, QDG_MSG_NONCE)
    assert plain == QDG_PLAINTEXT


def test_tencent_python_sample_url_verification() -> None:
    crypto = WeComCrypto(SAMPLE_TOKEN, SAMPLE_KEY, SAMPLE_CORP_ID)
    echo = crypto.verify_url(
        SAMPLE_VERIFY_SIGNATURE, SAMPLE_VERIFY_TIMESTAMP, SAMPLE_VERIFY_NONCE, SAMPLE_ECHOSTR
    )
    assert echo == SAMPLE_ECHO_PLAIN


def test_tencent_python_sample_message_decryption() -> None:
    crypto = WeComCrypto(SAMPLE_TOKEN, SAMPLE_KEY, SAMPLE_CORP_ID)
    plain = crypto.decrypt_message(SAMPLE_BODY, SAMPLE_MSG_SIGNATURE, SAMPLE_MSG_TIMESTAMP, SAMPLE_MSG_NONCE)
    assert plain == SAMPLE_PLAINTEXT
    assert SafeET.fromstring(plain).findtext("Content") == "你好"


def test_wechatpy_check_signature_ok() -> None:
    crypto = WeComCrypto(WECHATPY_TOKEN, WECHATPY_KEY, WECHATPY_CORP_ID)
    echo = crypto.verify_url(
        WECHATPY_VERIFY_SIGNATURE, WECHATPY_VERIFY_TIMESTAMP, WECHATPY_VERIFY_NONCE, WECHATPY_ECHOSTR
    )
    assert echo == WECHATPY_ECHO_PLAIN


def test_wechatpy_check_signature_fail() -> None:
    crypto = WeComCrypto(WECHATPY_TOKEN, WECHATPY_KEY, WECHATPY_CORP_ID)
    with pytest.raises(SignatureError) as info:
        crypto.verify_url(
            WECHATPY_VERIFY_SIGNATURE, WECHATPY_VERIFY_TIMESTAMP, WECHATPY_BAD_NONCE, WECHATPY_ECHOSTR
        )
    assert info.value.code == -40001


def test_wechatpy_encrypt_message_is_byte_identical() -> None:
    crypto = WeComCrypto(WECHATPY_TOKEN, WECHATPY_KEY, WECHATPY_CORP_ID)
    assert crypto.encrypt(WECHATPY_REPLY, WECHATPY_RANDOM16) == WECHATPY_REPLY_ENCRYPT
    envelope = crypto.encrypt_message(
        WECHATPY_REPLY, WECHATPY_MSG_NONCE, WECHATPY_MSG_TIMESTAMP, random16=WECHATPY_RANDOM16
    )
    assert envelope == WECHATPY_EXPECTED_ENVELOPE


def test_wechatpy_decrypt_message() -> None:
    crypto = WeComCrypto(WECHATPY_TOKEN, WECHATPY_KEY, WECHATPY_CORP_ID)
    plain = crypto.decrypt_message(
        WECHATPY_BODY, WECHATPY_MSG_SIGNATURE, WECHATPY_MSG_TIMESTAMP, WECHATPY_MSG_NONCE
    )
    root = SafeET.fromstring(plain)
    assert root.findtext("Content") == "test"
    assert root.findtext("FromUserName") == "messense"


# ------------------------------------------------------------------ interop with installed wechatpy


@pytest.fixture(scope="module")
def wechatpy_crypto() -> ModuleType:
    """wechatpy's WeChat Work crypto module: ``wechatpy.work`` in 2.x, ``wechatpy.enterprise`` in 1.x."""
    pytest.importorskip("wechatpy")
    try:
        from wechatpy.work import crypto as module
    except ImportError:
        from wechatpy.enterprise import crypto as module
    return module


@pytest.mark.parametrize(
    ("config", "verify", "expected"),
    [
        (
            (QDG_TOKEN, QDG_KEY, QDG_CORP_ID),
            (QDG_VERIFY_SIGNATURE, QDG_VERIFY_TIMESTAMP, QDG_VERIFY_NONCE, QDG_ECHOSTR),
            QDG_ECHO_PLAIN,
        ),
        (
            (SAMPLE_TOKEN, SAMPLE_KEY, SAMPLE_CORP_ID),
            (SAMPLE_VERIFY_SIGNATURE, SAMPLE_VERIFY_TIMESTAMP, SAMPLE_VERIFY_NONCE, SAMPLE_ECHOSTR),
            SAMPLE_ECHO_PLAIN,
        ),
        (
            (WECHATPY_TOKEN, WECHATPY_KEY, WECHATPY_CORP_ID),
            (WECHATPY_VERIFY_SIGNATURE, WECHATPY_VERIFY_TIMESTAMP, WECHATPY_VERIFY_NONCE, WECHATPY_ECHOSTR),
            WECHATPY_ECHO_PLAIN,
        ),
    ],
    ids=["tencent-doc", "tencent-python-sample", "wechatpy"],
)
def test_wechatpy_agrees_on_published_echostrs(
    wechatpy_crypto: ModuleType,
    config: tuple[str, str, str],
    verify: tuple[str, str, str, str],
    expected: bytes,
) -> None:
    theirs = wechatpy_crypto.WeChatCrypto(*config).check_signature(*verify)
    assert theirs.encode() == expected
    assert WeComCrypto(*config).verify_url(*verify) == expected


def test_ours_to_wechatpy(wechatpy_crypto: ModuleType) -> None:
    text = "<xml><Content><![CDATA[审批通过 ✅]]></Content></xml>"
    envelope = qdg().encrypt_message(text.encode(), "98765", "1700000000")
    fields = envelope_fields(envelope)
    theirs = wechatpy_crypto.WeChatCrypto(QDG_TOKEN, QDG_KEY, QDG_CORP_ID)
    assert theirs.decrypt_message(envelope.decode(), fields["MsgSignature"], "1700000000", "98765") == text


def test_wechatpy_to_ours(wechatpy_crypto: ModuleType) -> None:
    text = "<xml><Content><![CDATA[请审批 #42]]></Content></xml>"
    theirs = wechatpy_crypto.WeChatCrypto(QDG_TOKEN, QDG_KEY, QDG_CORP_ID)
    envelope = theirs.encrypt_message(text, "12345", "1700000001")
    signature = envelope_fields(envelope.encode())["MsgSignature"]
    assert qdg().decrypt_message(envelope.encode(), signature, "1700000001", "12345") == text.encode()


def test_same_random_gives_same_envelope_as_wechatpy(
    wechatpy_crypto: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wechatpy_crypto.PrpCrypto, "get_random_string", lambda self: "abcdefghijklmnop")
    text = "<xml><Content>same bytes</Content></xml>"
    theirs = wechatpy_crypto.WeChatCrypto(QDG_TOKEN, QDG_KEY, QDG_CORP_ID).encrypt_message(text, "1", "2")
    ours = qdg().encrypt_message(text.encode(), "1", "2", random16=b"abcdefghijklmnop")
    assert ours == theirs.encode()


xml_safe_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=300)


@settings(max_examples=50)
@given(text=xml_safe_text)
def test_interop_property(wechatpy_crypto: ModuleType, text: str) -> None:
    theirs = wechatpy_crypto.WeChatCrypto(QDG_TOKEN, QDG_KEY, QDG_CORP_ID)
    ours = qdg()
    envelope = ours.encrypt_message(text.encode(), "7", "8")
    signature = envelope_fields(envelope)["MsgSignature"]
    assert theirs.decrypt_message(envelope.decode(), signature, "8", "7") == text
    envelope = theirs.encrypt_message(text, "7", "8").encode()
    signature = envelope_fields(envelope)["MsgSignature"]
    assert ours.decrypt_message(envelope, signature, "8", "7") == text.encode()


# ------------------------------------------------------------------ properties

receive_ids = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
aligned_messages = st.integers(min_value=0, max_value=8).flatmap(
    lambda blocks: st.binary(min_size=32 * blocks, max_size=32 * blocks)
)


@given(message=st.one_of(st.binary(max_size=2048), aligned_messages), receive_id=receive_ids)
def test_round_trip(message: bytes, receive_id: str) -> None:
    crypto = WeComCrypto(QDG_TOKEN, QDG_KEY, receive_id)
    ciphertext = crypto.encrypt(message)
    assert crypto.decrypt(ciphertext) == message
    plain = raw_decrypt(QDG_KEY, ciphertext)
    assert len(plain) % 32 == 0
    pad = plain[-1]
    assert 1 <= pad <= 32
    assert plain[-pad:] == bytes([pad]) * pad
    assert len(plain) - pad == 16 + 4 + len(message) + len(receive_id.encode())


@pytest.mark.parametrize("size", [0, 26, 58, 32, 64])
def test_round_trip_edges(size: int) -> None:
    """16 + 4 + 18 (corp id) + 26 = 64: an aligned body gets a whole extra block of padding (pad byte 32)."""
    message = bytes(range(size))
    ciphertext = qdg().encrypt(message)
    assert qdg().decrypt(ciphertext) == message
    if (16 + 4 + size + len(QDG_CORP_ID)) % 32 == 0:
        assert raw_decrypt(QDG_KEY, ciphertext)[-32:] == bytes([32]) * 32


def test_random_prefix_differs_each_time() -> None:
    assert qdg().encrypt(b"same") != qdg().encrypt(b"same")


signature_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40)


@given(
    token=signature_text,
    timestamp=signature_text,
    nonce=signature_text,
    encrypt=signature_text,
    data=st.data(),
)
def test_any_single_character_change_breaks_the_signature(
    token: str, timestamp: str, nonce: str, encrypt: str, data: st.DataObject
) -> None:
    good = WeComCrypto(token, QDG_KEY, QDG_CORP_ID)
    fields = {
        "token": token,
        "msg_signature": good.signature(timestamp, nonce, encrypt),
        "timestamp": timestamp,
        "nonce": nonce,
        "encrypt": encrypt,
    }
    good.verify_signature(fields["msg_signature"], timestamp, nonce, encrypt)

    name = data.draw(st.sampled_from(sorted(fields)), label="field")
    value = fields[name]
    index = data.draw(st.integers(min_value=0, max_value=len(value) - 1), label="index")
    replacement = data.draw(
        st.characters(codec="utf-8", exclude_categories=("Cs",)).filter(lambda c: c != value[index]),
        label="replacement",
    )
    fields[name] = value[:index] + replacement + value[index + 1 :]

    crypto = WeComCrypto(fields["token"], QDG_KEY, QDG_CORP_ID)
    with pytest.raises(SignatureError):
        crypto.verify_signature(
            fields["msg_signature"], fields["timestamp"], fields["nonce"], fields["encrypt"]
        )


# ------------------------------------------------------------------ error classes


def test_every_official_code_has_a_class() -> None:
    assert sorted(ERRORS_BY_CODE) == list(range(-40011, -40000))
    expected = {
        -40001: SignatureError,
        -40002: XmlParseError,
        -40003: ComputeSignatureError,
        -40004: AesKeyError,
        -40005: ReceiveIdError,
        -40006: EncryptError,
        -40007: DecryptError,
        -40008: IllegalBufferError,
        -40009: Base64EncodeError,
        -40010: Base64DecodeError,
        -40011: GenReturnXmlError,
    }
    assert dict(ERRORS_BY_CODE) == expected
    for code, cls in expected.items():
        error = cls()
        assert isinstance(error, WeComCryptoError)
        assert error.code == code
        assert str(error)  # plain-English default message
    with pytest.raises(TypeError):
        ERRORS_BY_CODE[-1] = SignatureError  # type: ignore[index]
    with pytest.raises(TypeError):
        WeComCryptoError("no code")


# ------------------------------------------------------------------ negative cases


def test_bad_signature_on_message() -> None:
    with pytest.raises(SignatureError) as info:
        qdg().decrypt_message(QDG_BODY, "0" * 40, QDG_MSG_TIMESTAMP, QDG_MSG_NONCE)
    assert info.value.code == -40001


def test_uppercase_signature_is_rejected_like_the_official_sample() -> None:
    with pytest.raises(SignatureError):
        qdg().verify_url(QDG_VERIFY_SIGNATURE.upper(), QDG_VERIFY_TIMESTAMP, QDG_VERIFY_NONCE, QDG_ECHOSTR)


def test_tampered_ciphertext_fails_the_signature_first() -> None:
    raw = bytearray(base64.b64decode(QDG_ENCRYPT))
    raw[40] ^= 0x01
    tampered = base64.b64encode(bytes(raw)).decode()
    body = QDG_BODY.replace(QDG_ENCRYPT.encode(), tampered.encode())
    with pytest.raises(SignatureError):
        qdg().decrypt_message(body, QDG_MSG_SIGNATURE, QDG_MSG_TIMESTAMP, QDG_MSG_NONCE)


def test_tampered_ciphertext_is_caught_by_structure_checks() -> None:
    """Without the signature, flipping ciphertext byte 0 flips the length field's top byte (CBC)."""
    raw = bytearray(base64.b64decode(QDG_ENCRYPT))
    raw[0] ^= 0x01
    with pytest.raises(IllegalBufferError) as info:
        qdg().decrypt(base64.b64encode(bytes(raw)).decode())
    assert info.value.code == -40008
    raw = bytearray(base64.b64decode(QDG_ENCRYPT))
    raw[-20] ^= 0xFF  # garbles the last block: padding and receive id
    with pytest.raises((IllegalBufferError, ReceiveIdError)):
        qdg().decrypt(base64.b64encode(bytes(raw)).decode())


@pytest.mark.parametrize(
    "ciphertext",
    ["not base64!!", "QUJ", "QUJDRA==\n", "ＡＢＣＤ"],
    ids=["punctuation", "bad-padding", "newline", "non-ascii"],
)
def test_bad_base64(ciphertext: str) -> None:
    with pytest.raises(Base64DecodeError) as info:
        qdg().decrypt(ciphertext)
    assert info.value.code == -40010


def test_empty_or_partial_block_ciphertext() -> None:
    with pytest.raises(DecryptError) as info:
        qdg().decrypt(base64.b64encode(b"x" * 20).decode())
    assert info.value.code == -40007
    with pytest.raises(DecryptError):
        qdg().decrypt("")


def test_bad_base64_in_echostr_after_good_signature() -> None:
    crypto = qdg()
    signature = crypto.signature("1", "2", "%%%")
    with pytest.raises(Base64DecodeError):
        crypto.verify_url(signature, "1", "2", "%%%")


def test_wrong_receive_id() -> None:
    crypto = WeComCrypto(QDG_TOKEN, QDG_KEY, "ww0000000000000000")
    with pytest.raises(ReceiveIdError) as info:
        crypto.decrypt_message(QDG_BODY, QDG_MSG_SIGNATURE, QDG_MSG_TIMESTAMP, QDG_MSG_NONCE)
    assert info.value.code == -40005


def forged(message: bytes, receive_id: bytes, tail: bytes, length: int | None = None) -> str:
    """Encrypt 16 random bytes + length + message + receive id + ``tail`` (the caller's 'padding')."""
    length = len(message) if length is None else length
    return raw_encrypt(QDG_KEY, b"R" * 16 + struct.pack(">I", length) + message + receive_id + tail)


def test_forged_with_correct_padding_decrypts() -> None:
    """Sanity check for the forging helper: 16 + 4 + 4 + 18 = 42 bytes, so 22 bytes of padding."""
    assert qdg().decrypt(forged(b"ping", QDG_CORP_ID.encode(), bytes([22]) * 22)) == b"ping"


@pytest.mark.parametrize(
    "tail",
    [bytes([0]) * 22, bytes(21) + bytes([33]), bytes([7]) * 21 + bytes([8]), bytes(21) + bytes([255])],
    ids=["pad-0", "pad-33", "pad-inconsistent", "pad-255"],
)
def test_bad_padding(tail: bytes) -> None:
    with pytest.raises(IllegalBufferError) as info:
        qdg().decrypt(forged(b"ping", QDG_CORP_ID.encode(), tail))
    assert info.value.code == -40008


def test_pad_of_32_beyond_a_single_aes_block_is_accepted() -> None:
    message = b"x" * 26  # 16 + 4 + 26 + 18 = 64: whole extra block of padding
    assert qdg().decrypt(forged(message, QDG_CORP_ID.encode(), bytes([32]) * 32)) == message


def test_truncated_length_field() -> None:
    # 16 random bytes, then only 2 bytes where the 4-byte length belongs, then 14 bytes of padding.
    ciphertext = raw_encrypt(QDG_KEY, b"R" * 16 + b"\x00\x00" + bytes([14]) * 14)
    with pytest.raises(IllegalBufferError) as info:
        qdg().decrypt(ciphertext)
    assert info.value.code == -40008


def test_length_field_larger_than_data() -> None:
    with pytest.raises(IllegalBufferError):
        qdg().decrypt(forged(b"ping", QDG_CORP_ID.encode(), bytes([22]) * 22, length=1000))
    with pytest.raises(IllegalBufferError):
        qdg().decrypt(forged(b"ping", QDG_CORP_ID.encode(), bytes([22]) * 22, length=0xFFFFFFFF))


def test_length_field_shorter_than_data_shifts_into_receive_id() -> None:
    with pytest.raises(ReceiveIdError):
        qdg().decrypt(forged(b"ping", QDG_CORP_ID.encode(), bytes([22]) * 22, length=3))


@pytest.mark.parametrize("key", [QDG_KEY[:40], QDG_KEY + "A", "", QDG_KEY[:42] + "!", QDG_KEY + "="])
def test_bad_aes_key(key: str) -> None:
    with pytest.raises(AesKeyError) as info:
        WeComCrypto(QDG_TOKEN, key, QDG_CORP_ID)
    assert info.value.code == -40004
    assert aes_key_problems(key)


def test_aes_key_problems_wording() -> None:
    assert aes_key_problems(QDG_KEY) == []
    assert aes_key_problems(QDG_KEY[:40]) == ["must be 43 characters, got 40"]  # not also "does not decode"
    assert "has leading or trailing whitespace" in aes_key_problems(QDG_KEY + "\n")
    problems = aes_key_problems(QDG_KEY[:42] + "!")
    assert problems == ["contains 1 character(s) that are not base64 letters (A-Z, a-z, 0-9, + and /)"]
    assert not any(QDG_KEY[:10] in problem for problem in aes_key_problems(QDG_KEY[:40]))


def test_empty_token_is_refused() -> None:
    with pytest.raises(ValueError, match="token"):
        WeComCrypto("", QDG_KEY, QDG_CORP_ID)


@pytest.mark.parametrize(
    "body",
    [
        b"<xml><ToUserName>x</ToUserName><AgentID>1</AgentID></xml>",
        b"<xml><Encrypt></Encrypt></xml>",
        b"<xml><Wrapper><Encrypt>abc</Encrypt></Wrapper></xml>",
        b"<xml><Encrypt>abc</Encrypt>",
        b"",
        b"not xml at all",
        b"\xff\xfe<\x00x\x00",
    ],
    ids=["missing", "empty", "nested", "unclosed", "empty-body", "text", "garbage-bytes"],
)
def test_missing_or_malformed_encrypt(body: bytes) -> None:
    with pytest.raises(XmlParseError) as info:
        qdg().decrypt_message(body, QDG_MSG_SIGNATURE, QDG_MSG_TIMESTAMP, QDG_MSG_NONCE)
    assert info.value.code == -40002


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE xml [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<xml><Encrypt>&lol9;</Encrypt></xml>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><Encrypt>&xxe;</Encrypt></xml>"""

DTD_ONLY = b"""<?xml version="1.0"?>
<!DOCTYPE xml SYSTEM "http://example.invalid/x.dtd">
<xml><Encrypt>abc</Encrypt></xml>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY, DTD_ONLY], ids=["bomb", "xxe", "dtd"])
def test_xml_attacks_are_refused_without_expanding(body: bytes) -> None:
    with pytest.raises(XmlParseError) as info:
        qdg().decrypt_message(body, QDG_MSG_SIGNATURE, QDG_MSG_TIMESTAMP, QDG_MSG_NONCE)
    assert info.value.code == -40002


@pytest.mark.parametrize(
    ("nonce", "timestamp"),
    [("1]]><Evil/><![CDATA[", "1"), ("1", "1</TimeStamp>"), ("a b", "1"), ("1", ""), ("1", "1&amp;")],
)
def test_reply_envelope_refuses_markup_in_fields(nonce: str, timestamp: str) -> None:
    with pytest.raises(GenReturnXmlError) as info:
        qdg().encrypt_message(b"<xml/>", nonce, timestamp)
    assert info.value.code == -40011


def test_encrypt_rejects_bad_inputs() -> None:
    with pytest.raises(EncryptError) as info:
        qdg().encrypt(b"x", random16=b"short")
    assert info.value.code == -40006
    with pytest.raises(TypeError):
        qdg().encrypt("text, not bytes")  # type: ignore[arg-type]


def test_signature_inputs_must_be_text() -> None:
    with pytest.raises(ComputeSignatureError) as info:
        qdg().signature("1", "2", None)  # type: ignore[arg-type]
    assert info.value.code == -40003
    with pytest.raises(ComputeSignatureError):
        qdg().signature("1", "\ud800", "x")  # lone surrogate cannot be UTF-8 encoded


def test_signature_error_for_non_ascii_signature() -> None:
    with pytest.raises(SignatureError):
        qdg().verify_url("é" * 40, QDG_VERIFY_TIMESTAMP, QDG_VERIFY_NONCE, QDG_ECHOSTR)


def test_envelope_round_trip_and_shape() -> None:
    envelope = qdg().encrypt_message(b"<xml><Content>hi</Content></xml>", "555", "1700000000")
    fields = envelope_fields(envelope)
    assert list(fields) == ["Encrypt", "MsgSignature", "TimeStamp", "Nonce"]
    assert fields["TimeStamp"] == "1700000000"
    assert fields["Nonce"] == "555"
    qdg().verify_signature(fields["MsgSignature"], "1700000000", "555", fields["Encrypt"])
    assert qdg().decrypt_message(envelope, fields["MsgSignature"], "1700000000", "555") == (
        b"<xml><Content>hi</Content></xml>"
    )
