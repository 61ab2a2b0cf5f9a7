"""Master URLs: `zk://[user:pass@]h1:p1,h2:p2/path` (Mesos's format, credentials kept) and plain addresses.

Pure: parsing only, no connections. Unlike pymesos, which hands the URL to kazoo and so drops the credentials,
`ZooKeeperURL` keeps them for digest authentication.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from mesosframe.errors import MasterURLError

ZOOKEEPER_SCHEMES = ("zk://", "zoo://")
DEFAULT_ZOOKEEPER_PORT = 2181
DEFAULT_MASTER_PORT = 5050

_HOST = re.compile(r"\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9_.-]+)")


@dataclass(frozen=True)
class ZooKeeperURL:
    """A parsed `zk://` URL: `hosts` ("host:port" each), the znode `path`, digest `credentials` (user, password)."""

    hosts: tuple[str, ...]
    path: str
    credentials: tuple[str, str] | None = field(default=None, repr=False)
    scheme: str = "zk"

    @classmethod
    def parse(cls, text: str) -> ZooKeeperURL:
        """Parse `zk://` or `zoo://` URLs; raises MasterURLError saying what is wrong."""
        if not isinstance(text, str):
            raise MasterURLError(f"a ZooKeeper URL is a string, not {type(text).__name__}")
        text = text.strip()
        scheme = next((s for s in ZOOKEEPER_SCHEMES if text.lower().startswith(s)), None)
        if scheme is None:
            raise MasterURLError(f"not a ZooKeeper URL (zk://[user:pass@]host:port/path): {_redact(text)!r}")
        rest = text[len(scheme):]
        authority, slash, path = rest.partition("/")
        if not slash:
            raise MasterURLError(f"ZooKeeper URL has no path (e.g. /mesos): {_redact(text)!r}")
        path = "/" + path
        if path == "/":
            raise MasterURLError(f"ZooKeeper URL path must not be the bare root '/': {_redact(text)!r}")
        if path.endswith("/") or "//" in path or any(p in (".", "..") for p in path.split("/")):
            raise MasterURLError(f"ZooKeeper URL path {path!r} is not a valid znode path")
        userinfo, at, host_list = authority.rpartition("@")
        credentials = _parse_credentials(userinfo) if at else None
        hosts = tuple(_parse_host(h, DEFAULT_ZOOKEEPER_PORT, text) for h in host_list.split(","))
        return cls(hosts=hosts, path=path, credentials=credentials, scheme=scheme[:-3].lower())

    @property
    def kazoo_hosts(self) -> str:
        """The hosts as kazoo's `hosts` argument, without chroot: "h1:2181,h2:2181"."""
        return ",".join(self.hosts)

    @property
    def auth_data(self) -> list[tuple[str, str]]:
        """kazoo `auth_data`: [("digest", "user:pass")] with credentials, else []."""
        return [("digest", f"{self.credentials[0]}:{self.credentials[1]}")] if self.credentials else []

    def with_path(self, path: str) -> ZooKeeperURL:
        """The same servers and credentials with another znode path."""
        return ZooKeeperURL.parse(f"{self.scheme}://{self._userinfo()}{self.kazoo_hosts}{path}")

    def unparse(self) -> str:
        """The full URL, password included (never log it; `str()` hides the password)."""
        return f"{self.scheme}://{self._userinfo()}{self.kazoo_hosts}{self.path}"

    def _userinfo(self) -> str:
        return f"{self.credentials[0]}:{self.credentials[1]}@" if self.credentials else ""

    def __str__(self) -> str:
        user = f"{self.credentials[0]}:***@" if self.credentials else ""
        return f"{self.scheme}://{user}{self.kazoo_hosts}{self.path}"


def parse_master(text: str) -> ZooKeeperURL | str:
    """A `ZooKeeperURL` for zk:// and zoo:// URLs, else the master's "host:port".

    Accepts "host", "host:port" (port 5050 by default), "master@host:port", "http(s)://host:port[/...]" and
    the deprecated "file://path" (a file holding one of the others).
    """
    if not isinstance(text, str) or not text.strip():
        raise MasterURLError("the master URL is empty")
    text = text.strip()
    lowered = text.lower()
    if lowered.startswith(ZOOKEEPER_SCHEMES):
        return ZooKeeperURL.parse(text)
    if lowered.startswith("file://"):
        try:
            content = Path(text[len("file://"):]).read_text().strip()
        except OSError as exc:
            raise MasterURLError(f"cannot read master URL file {text!r}: {exc}") from exc
        if content.lower().startswith("file://"):
            raise MasterURLError(f"master URL file {text!r} points to another file")
        return parse_master(content)
    for prefix in ("http://", "https://"):
        if lowered.startswith(prefix):
            text = text[len(prefix):].split("/", 1)[0]
            break
    else:
        if text.startswith("master@"):
            text = text[len("master@"):]
    if "@" in text or "/" in text:
        raise MasterURLError(f"cannot parse master address {_redact(text)!r}")
    return _parse_host(text, DEFAULT_MASTER_PORT, text)


def _parse_credentials(userinfo: str) -> tuple[str, str]:
    user, colon, password = userinfo.partition(":")
    if not colon or not user:
        raise MasterURLError("ZooKeeper URL credentials must be user:password@")
    return user, password


def _parse_host(item: str, default_port: int, text: str) -> str:
    match = _HOST.match(item)
    if not item or match is None:
        raise MasterURLError(f"bad host {item!r} in {_redact(text)!r}")
    host = match.group(0)
    rest = item[match.end():]
    if not rest:
        return f"{host}:{default_port}"
    if not rest.startswith(":") or not rest[1:].isdigit() or not 0 < int(rest[1:]) < 65536:
        raise MasterURLError(f"bad port in {item!r} of {_redact(text)!r}")
    return f"{host}:{int(rest[1:])}"


def _redact(text: str) -> str:
    """`text` with any password between '://user:' and '@' replaced, for error messages."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", text)
