"""WeCom (企业微信) callback encryption, wire-compatible with Tencent's WXBizMsgCrypt samples.

WeCom signs and encrypts every callback it sends to us, and expects passive replies in the
same envelope. The scheme (Tencent's official samples, wechatpy, WxJava):

* ``key = base64decode(EncodingAESKey + "=")``: the 43-character key decodes to 32 bytes.
* AES-256-CBC with ``IV = key[:16]`` and no library padding.
* plaintext = 16 random bytes + 4-byte big-endian length + message + receive id
  (corp id, suite id, ... depending on the app type), PKCS#7-padded to a multiple of **32**.
* ``msg_signature = sha1("".join(sorted([token, timestamp, nonce, encrypt]))).hexdigest()``.

CBC without a MAC is malleable, so the signature is what authenticates a callback: the public
entry points (:meth:`WeComCrypto.verify_url`, :meth:`WeComCrypto.decrypt_message`) always check it
*before* decrypting, which also keeps the padding checks from acting as a padding oracle.
Errors carry Tencent's official numeric codes so logs can be matched against their documentation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import struct
from types import MappingProxyType
from typing import TYPE_CHECKING, ClassVar

import defusedxml.ElementTree as SafeET
from Crypto.Cipher import AES

if TYPE_CHECKING:
    from Crypto.Cipher._mode_cbc import CbcMode

__all__ = [
    "ERRORS_BY_CODE",
    "AesKeyError",
    "Base64DecodeError",
    "Base64EncodeError",
    "ComputeSignatureError",
    "DecryptError",
    "EncryptError",
    "GenReturnXmlError",
    "IllegalBufferError",
    "ReceiveIdError",
    "SignatureError",
    "WeComCrypto",
    "WeComCryptoError",
    "XmlParseError",
    "aes_key_problems",
]

_AES_KEY_CHARS = 43  # EncodingAESKey as shown in the WeCom admin console: base64 without the trailing "="
_AES_KEY_BYTES = 32  # AES-256
_PAD_BLOCK = 32  # WeCom pads to 32 bytes, not AES's 16
_RANDOM_BYTES = 16
_LENGTH_FIELD = struct.Struct(">I")
_BASE64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
# Values we put into the reply envelope verbatim: printable ASCII that cannot end a CDATA section or
# open markup, so a caller-supplied nonce can never change the envelope's structure.
_ENVELOPE_FIELD = re.compile(r"[\x21-\x7e]+")
_ENVELOPE_FORBIDDEN = frozenset("<>&")
# Same layout as the official samples and wechatpy, so our replies are byte-identical to theirs.
_ENVELOPE = (
    "<xml>\n"
    "<Encrypt><![CDATA[{encrypt}]]></Encrypt>\n"
    "<MsgSignature><![CDATA[{signature}]]></MsgSignature>\n"
    "<TimeStamp>{timestamp}</TimeStamp>\n"
    "<Nonce><![CDATA[{nonce}]]></Nonce>\n"
    "</xml>"
)


class WeComCryptoError(Exception):
    """Base of all WeCom crypto failures; catch this, raise a subclass so ``code`` is always official."""

    code: ClassVar[int]
    default_message: ClassVar[str] = "WeCom callback crypto failed"

    def __init__(self, message: str | None = None) -> None:
        if type(self) is WeComCryptoError:
            raise TypeError("raise a WeComCryptoError subclass so the error carries an official code")
        self.message = message or self.default_message
        super().__init__(self.message)


class SignatureError(WeComCryptoError):
    """The msg_signature does not match: not from WeCom, or token/timestamp/nonce/body was altered."""

    code = -40001
    default_message = "msg_signature does not match the token, timestamp, nonce and ciphertext"


class XmlParseError(WeComCryptoError):
    """The callback body is not the expected XML (or tried DTD/entity tricks)."""

    code = -40002
    default_message = "callback body is not valid WeCom XML"


class ComputeSignatureError(WeComCryptoError):
    """The signature inputs could not be hashed (not text, or not encodable)."""

    code = -40003
    default_message = "could not compute the signature"


class AesKeyError(WeComCryptoError):
    """The configured EncodingAESKey is not a valid 43-character key."""

    code = -40004
    default_message = "EncodingAESKey is invalid"


class ReceiveIdError(WeComCryptoError):
    """The decrypted message was addressed to a different corp/suite than the configured one."""

    code = -40005
    default_message = "the message's receive id does not match the configured corp id"


class EncryptError(WeComCryptoError):
    """Encryption failed (bad inputs to the AES step)."""

    code = -40006
    default_message = "AES encryption failed"


class DecryptError(WeComCryptoError):
    """The ciphertext cannot be AES-decrypted (wrong length)."""

    code = -40007
    default_message = "AES decryption failed"


class IllegalBufferError(WeComCryptoError):
    """The decrypted bytes are not a well-formed WeCom plaintext (padding or length field is off)."""

    code = -40008
    default_message = "decrypted data is malformed"


class Base64EncodeError(WeComCryptoError):
    """Base64 encoding failed; kept so every official code has a class."""

    code = -40009
    default_message = "base64 encoding failed"


class Base64DecodeError(WeComCryptoError):
    """The ciphertext is not valid base64."""

    code = -40010
    default_message = "ciphertext is not valid base64"


class GenReturnXmlError(WeComCryptoError):
    """The reply envelope could not be built safely from the given timestamp/nonce."""

    code = -40011
    default_message = "could not build the reply XML"


ERRORS_BY_CODE: MappingProxyType[int, type[WeComCryptoError]] = MappingProxyType(
    {
        cls.code: cls
        for cls in (
            SignatureError,
            XmlParseError,
            ComputeSignatureError,
            AesKeyError,
            ReceiveIdError,
            EncryptError,
            DecryptError,
            IllegalBufferError,
            Base64EncodeError,
            Base64DecodeError,
            GenReturnXmlError,
        )
    }
)


def aes_key_problems(encoding_aes_key: str) -> list[str]:
    """Return plain-words problems with an EncodingAESKey, or [] when it is usable.

    Used by check-config so an admin sees *why* a pasted key is wrong; never echoes key material.
    """
    if not isinstance(encoding_aes_key, str):
        return [f"must be a string, got {type(encoding_aes_key).__name__}"]
    problems: list[str] = []
    stripped = encoding_aes_key.strip()
    if stripped != encoding_aes_key:
        problems.append("has leading or trailing whitespace")
    if len(encoding_aes_key) != _AES_KEY_CHARS:
        problems.append(f"must be {_AES_KEY_CHARS} characters, got {len(encoding_aes_key)}")
        return problems  # a key of the wrong length cannot decode to 32 bytes either: said once
    bad_chars = sum(1 for char in stripped if char not in _BASE64_ALPHABET)
    if bad_chars:
        problems.append(
            f"contains {bad_chars} character(s) that are not base64 letters (A-Z, a-z, 0-9, + and /)"
        )
        return problems
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != _AES_KEY_BYTES:
        problems.append(f"does not decode to {_AES_KEY_BYTES} bytes")
    return problems


def _extract_encrypt(body: bytes) -> str:
    """Pull the <Encrypt> text out of a callback body, refusing DTDs so entity bombs never expand."""
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
    except SafeET.ParseError as exc:
        raise XmlParseError(f"callback body is not well-formed XML: {exc}") from exc
    except ValueError as exc:  # defusedxml's DTDForbidden / EntitiesForbidden / ExternalReferenceForbidden
        raise XmlParseError(f"callback body uses forbidden XML features: {type(exc).__name__}") from exc
    element = root.find("Encrypt")
    if element is None or not element.text:
        raise XmlParseError("callback body has no <Encrypt> element")
    return element.text


def _check_envelope_field(name: str, value: str) -> None:
    """Refuse reply-envelope values that could break out of their XML element."""
    if (
        not isinstance(value, str)
        or not _ENVELOPE_FIELD.fullmatch(value)
        or any(char in _ENVELOPE_FORBIDDEN for char in value)
    ):
        raise GenReturnXmlError(f"{name} must be printable ASCII without spaces, '<', '>' or '&'")


class WeComCrypto:
    """Signs, verifies, encrypts and decrypts WeCom callbacks for one app (token, key, receive id)."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        """Validate the key up front so a misconfiguration fails at start-up, not on the first callback.

        ``receive_id`` is the corp id for self-built apps (the suite id for third-party apps); it may be
        empty for callback types where WeCom sends an empty receive id.
        """
        problems = aes_key_problems(encoding_aes_key)
        if problems:
            raise AesKeyError("EncodingAESKey " + "; ".join(problems))
        if not isinstance(token, str) or not token:
            # An empty token makes msg_signature computable by anyone.
            raise ValueError("token must be a non-empty string")
        if not isinstance(receive_id, str):
            raise TypeError("receive_id must be a string")
        self._token = token
        self._key = base64.b64decode(encoding_aes_key + "=")
        self._receive_id = receive_id.encode("utf-8")

    def _cipher(self) -> CbcMode:
        """A fresh CBC cipher per call: CBC objects are stateful and must not be shared across threads."""
        return AES.new(self._key, AES.MODE_CBC, iv=self._key[:16])

    def signature(self, timestamp: str, nonce: str, encrypt: str) -> str:
        """The msg_signature WeCom computes: SHA-1 over the sorted, concatenated inputs."""
        parts = [self._token, timestamp, nonce, encrypt]
        if not all(isinstance(part, str) for part in parts):
            raise ComputeSignatureError("timestamp, nonce and encrypt must be strings")
        try:
            joined = "".join(sorted(parts)).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ComputeSignatureError("signature inputs are not valid text") from exc
        return hashlib.sha1(joined).hexdigest()

    def verify_signature(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        """Raise SignatureError unless msg_signature matches; constant-time so it leaks nothing."""
        expected = self.signature(timestamp, nonce, encrypt).encode("ascii")
        if not isinstance(msg_signature, str):
            raise SignatureError("msg_signature is missing")
        if not hmac.compare_digest(expected, msg_signature.encode("utf-8", "replace")):
            raise SignatureError()

    def encrypt(self, plaintext: bytes, random16: bytes | None = None) -> str:
        """Encrypt ``plaintext`` into WeCom's base64 ciphertext.

        ``random16`` exists only so tests can reproduce published vectors; leave it None in production.
        """
        if not isinstance(plaintext, (bytes, bytearray, memoryview)):
            raise TypeError("plaintext must be bytes; encode text as UTF-8 first")
        plaintext = bytes(plaintext)
        if random16 is None:
            random16 = os.urandom(_RANDOM_BYTES)
        elif len(random16) != _RANDOM_BYTES:
            raise EncryptError(f"random16 must be exactly {_RANDOM_BYTES} bytes, got {len(random16)}")
        if len(plaintext) > 0xFFFFFFFF:
            raise EncryptError("message is too long for the 4-byte length field")
        body = b"".join((bytes(random16), _LENGTH_FIELD.pack(len(plaintext)), plaintext, self._receive_id))
        pad = _PAD_BLOCK - len(body) % _PAD_BLOCK  # 1..32: a full block of padding when already aligned
        body += bytes([pad]) * pad
        try:
            ciphertext = self._cipher().encrypt(body)
        except (ValueError, TypeError) as exc:
            raise EncryptError(f"AES encryption failed: {exc}") from exc
        try:
            return base64.b64encode(ciphertext).decode("ascii")
        except (binascii.Error, ValueError) as exc:  # pragma: no cover - b64encode of bytes cannot fail
            raise Base64EncodeError() from exc

    def decrypt(self, ciphertext_b64: str) -> bytes:
        """Decrypt a base64 ciphertext and return the message, checking padding, length and receive id.

        Does not check the signature: call :meth:`verify_url` / :meth:`decrypt_message` for input from
        the network, or verify first, so a forged ciphertext is rejected before it is decrypted.
        """
        try:
            raw = base64.b64decode(ciphertext_b64, validate=True)
        except (binascii.Error, ValueError, TypeError) as exc:
            raise Base64DecodeError() from exc
        if not raw or len(raw) % AES.block_size:
            raise DecryptError(f"ciphertext is {len(raw)} bytes, not a whole number of AES blocks")
        try:
            plain = self._cipher().decrypt(raw)
        except (ValueError, TypeError) as exc:  # pragma: no cover - length was checked above
            raise DecryptError(f"AES decryption failed: {exc}") from exc

        pad = plain[-1]
        if not 1 <= pad <= _PAD_BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise IllegalBufferError("decrypted data has invalid padding (wrong key or corrupted ciphertext)")
        content = plain[_RANDOM_BYTES : len(plain) - pad]
        if len(content) < _LENGTH_FIELD.size:
            raise IllegalBufferError("decrypted data is too short to hold the length field")
        (msg_len,) = _LENGTH_FIELD.unpack_from(content)
        if msg_len > len(content) - _LENGTH_FIELD.size:
            raise IllegalBufferError("decrypted length field is larger than the data")
        message_end = _LENGTH_FIELD.size + msg_len
        if not hmac.compare_digest(content[message_end:], self._receive_id):
            raise ReceiveIdError()
        return content[_LENGTH_FIELD.size : message_end]

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> bytes:
        """Handle WeCom's GET URL check: verify, then return the decrypted echostr to echo back.

        ``echostr`` must already be URL-decoded (its '+' and '/' arrive percent-encoded).
        """
        self.verify_signature(msg_signature, timestamp, nonce, echostr)
        return self.decrypt(echostr)

    def decrypt_message(self, body: bytes, msg_signature: str, timestamp: str, nonce: str) -> bytes:
        """Verify and decrypt a POSTed callback ``<xml><Encrypt>..</Encrypt></xml>``; return the inner XML."""
        encrypt = _extract_encrypt(body)
        self.verify_signature(msg_signature, timestamp, nonce, encrypt)
        return self.decrypt(encrypt)

    def encrypt_message(
        self, plaintext: bytes, nonce: str, timestamp: str, *, random16: bytes | None = None
    ) -> bytes:
        """Build the signed, encrypted reply envelope WeCom expects for a passive reply.

        ``random16`` exists only so tests can reproduce published vectors; leave it None in production.
        """
        _check_envelope_field("timestamp", timestamp)
        _check_envelope_field("nonce", nonce)
        encrypt = self.encrypt(plaintext, random16)
        signature = self.signature(timestamp, nonce, encrypt)
        envelope = _ENVELOPE.format(encrypt=encrypt, signature=signature, timestamp=timestamp, nonce=nonce)
        return envelope.encode("utf-8")
