"""Encryption at rest for secrets and tokens (MultiFernet; keys newest first)."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app


class EncryptionKeysError(ValueError):
    """ENCRYPTION_KEYS cannot be used; the message never holds a key."""


class SecretBox:
    """Encrypts with the newest key, decrypts with any configured key."""

    def __init__(self, keys: str) -> None:
        parts = [part.strip() for part in keys.split(",") if part.strip()]
        if not parts:
            raise EncryptionKeysError("ENCRYPTION_KEYS holds no key")
        try:
            self._fernet = MultiFernet([Fernet(part) for part in parts])
        except (ValueError, TypeError):
            # Never echo the keys themselves.
            raise EncryptionKeysError(
                "ENCRYPTION_KEYS must be comma-separated url-safe base64 Fernet keys"
            ) from None

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ValueError("a stored secret cannot be decrypted with ENCRYPTION_KEYS") from None

    def rotate(self, token: str) -> str:
        """Re-encrypt a stored value with the newest key."""
        return self._fernet.rotate(token.encode()).decode()


def init_app(app: Flask) -> None:
    app.extensions["secret_box"] = SecretBox(app.config["ENCRYPTION_KEYS"])


def secret_box() -> SecretBox:
    return current_app.extensions["secret_box"]
