"""Password hashing with Argon2 (pwdlib's recommended parameters)."""

from pwdlib import PasswordHash

_hasher = PasswordHash.recommended()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        # Still spend the hashing time, so that unknown users and users without a password
        # cannot be told apart from wrong passwords by timing.
        _hasher.verify(password, _DUMMY_HASH)
        return False
    return _hasher.verify(password, password_hash)


_DUMMY_HASH = _hasher.hash("not-a-real-password")
