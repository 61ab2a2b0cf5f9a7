"""HTTP Basic authentication of frameworks, as a Mesos master with `--authenticate_http_frameworks` and
`--credentials` does it (pure: no HTTP here).

`Credentials` holds principal -> secret and checks an `Authorization` header in constant time (the secret
comparison does not depend on where the strings differ). `load_credentials(path)` reads Mesos's JSON
credentials file, `{"credentials": [{"principal": "p", "secret": "s"}, ...]}`, into principal -> secret
(for `MasterOptions.credentials`). Failed checks raise `AuthenticationFailed`; the transport answers them
with 401 and `WWW-Authenticate: Basic realm="<REALM>"` (Mesos's default realm for the scheduler API).
Secrets never appear in messages, logs or `repr`.
"""
from __future__ import annotations

import base64
import binascii
import hmac
import json
import pathlib

from mesosframe.errors import ConfigurationError, ProtocolError

REALM = "mesos-master-scheduler"
CHALLENGE = f'Basic realm="{REALM}"'


class AuthenticationFailed(ProtocolError):
    """Missing, malformed or wrong credentials (HTTP 401)."""


class CredentialsFileError(ConfigurationError):
    """A credentials file that cannot be read or is not Mesos's JSON format."""


class Credentials:
    """The principals a master accepts. `authenticate(header)` returns the authenticated principal."""

    __slots__ = ("_secrets",)

    def __init__(self, secrets: dict[str, str]) -> None:
        for principal, secret in secrets.items():
            if not isinstance(principal, str) or not principal or not isinstance(secret, str):
                raise ConfigurationError("credentials need a non-empty string principal and a string secret")
            if ":" in principal:
                raise ConfigurationError(f"principal {principal!r} contains ':' (not usable with HTTP Basic)")
        self._secrets = {p: s.encode("utf-8") for p, s in secrets.items()}

    def __repr__(self) -> str:
        return f"Credentials(principals={sorted(self._secrets)!r})"

    def __len__(self) -> int:
        return len(self._secrets)

    def principals(self) -> list[str]:
        return sorted(self._secrets)

    def authenticate(self, header: str | None) -> str:
        """Check an `Authorization: Basic ...` header; the principal, or AuthenticationFailed."""
        if not header:
            raise AuthenticationFailed("no Authorization header")
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "basic" or not token.strip():
            raise AuthenticationFailed("not HTTP Basic credentials")
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise AuthenticationFailed("malformed Basic credentials") from None
        principal, colon, secret = decoded.partition(":")
        if not colon:
            raise AuthenticationFailed("malformed Basic credentials")
        expected = self._secrets.get(principal)
        # Compare against a dummy when the principal is unknown, so the timing does not tell which it was.
        matches = hmac.compare_digest(secret.encode("utf-8"), expected if expected is not None else b"\0")
        if expected is None or not matches:
            raise AuthenticationFailed(f"wrong credentials for principal {principal!r}")
        return principal


def parse_credentials(data: object) -> dict[str, str]:
    """Mesos's credentials JSON (already decoded) -> principal -> secret (checked usable)."""
    if not isinstance(data, dict) or not isinstance(data.get("credentials"), list):
        raise CredentialsFileError('expected {"credentials": [{"principal": ..., "secret": ...}, ...]}')
    secrets: dict[str, str] = {}
    for entry in data["credentials"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("principal"), str) \
                or not isinstance(entry.get("secret"), str):
            raise CredentialsFileError("each credential needs a string 'principal' and 'secret'")
        if entry["principal"] in secrets:
            raise CredentialsFileError(f"principal {entry['principal']!r} is given twice")
        secrets[entry["principal"]] = entry["secret"]
    try:
        Credentials(secrets)
    except ConfigurationError as exc:
        raise CredentialsFileError(str(exc)) from None
    return secrets


def load_credentials(path: str | pathlib.Path) -> dict[str, str]:
    """Read a credentials file (Mesos's `--credentials` JSON format)."""
    try:
        text = pathlib.Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CredentialsFileError(f"cannot read credentials file {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:   # the message holds no file content, so no secret leaks
        raise CredentialsFileError(f"credentials file {path} is not JSON (line {exc.lineno})") from None
    return parse_credentials(data)


def principal_mismatch(authenticated: str, framework_principal: str) -> str:
    """Mesos's message when a call's FrameworkInfo.principal is not the authenticated principal."""
    return (f"Authenticated principal '{authenticated}' does not match principal '{framework_principal}' "
            f"set in `FrameworkInfo`")
