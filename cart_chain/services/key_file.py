"""The private half of a site key: a file outside the database.

Whoever can rewrite the database must not also be able to sign a matching
checkpoint, so the Ed25519 private key lives in a file: by default in the
platformdirs config folder, mode 0600, or at $CART_CHAIN_SITE_KEY (a path the
workstations of a PostgreSQL site share). With $CART_CHAIN_SITE_KEY_PASSPHRASE a
new key is written PKCS#8-encrypted and read with it. A witness site's key may be
given as an explicit path (its own file, never the log's).
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from platformdirs import user_config_dir

from cart_chain.domain.errors import EnvironmentProblem

KEY_ENV = "CART_CHAIN_SITE_KEY"
PASSPHRASE_ENV = "CART_CHAIN_SITE_KEY_PASSPHRASE"


def key_path() -> Path:
    """Where this workstation's private site key is kept."""
    override = os.environ.get(KEY_ENV)
    if override:
        return Path(override).expanduser()
    return Path(user_config_dir("cart-chain")) / "site-key.pem"


def _passphrase() -> bytes | None:
    value = os.environ.get(PASSPHRASE_ENV)
    return value.encode() if value else None


def load_private_key(path: Path | None = None) -> Ed25519PrivateKey:
    """The private key at ``path`` (default `key_path`), or `EnvironmentProblem` saying
    what is wrong."""
    path = key_path() if path is None else path
    try:
        data = path.read_bytes()
    except OSError as err:
        raise EnvironmentProblem(
            f"the site key {path} cannot be read ({err.strerror}); set ${KEY_ENV} to its path"
        ) from err
    try:
        key = serialization.load_pem_private_key(data, password=_passphrase())
    except (TypeError, ValueError):
        raise EnvironmentProblem(
            f"the site key {path} cannot be opened: wrong or missing ${PASSPHRASE_ENV}?"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise EnvironmentProblem(f"the site key {path} is not an Ed25519 key")
    return key


def write_new_key(path: Path) -> Ed25519PrivateKey:
    """A new key written to ``path`` (which must not exist), mode 0600."""
    key = Ed25519PrivateKey.generate()
    secret = _passphrase()
    algorithm: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(secret) if secret else serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, algorithm
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
    except OSError as err:
        raise EnvironmentProblem(f"cannot write the site key {path} ({err.strerror})") from err
    return key


def ensure_private_key(path: Path | None = None) -> Ed25519PrivateKey:
    """The key at ``path`` (default `key_path`), or a new one written there (0600)."""
    path = key_path() if path is None else path
    if path.exists():
        return load_private_key(path)
    return write_new_key(path)
