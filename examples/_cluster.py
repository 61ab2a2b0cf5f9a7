"""Shared by the examples: use `--master URL`, or start an embedded LocalCluster for the duration."""
from __future__ import annotations

import argparse
import contextlib
import logging
from typing import Iterator


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--master", help="host:port, http://host:port or zk://host:port/path "
                                    "(default: start an embedded local cluster)")
    p.add_argument("--timeout", type=float, default=120.0, help="give up after this many seconds")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


@contextlib.contextmanager
def master_from(url: str | None, verbose: bool = False, **cluster_options) -> Iterator[str]:
    """Yield `url`, or the address of a LocalCluster started here and stopped on exit."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(message)s")
    if url:
        yield url
        return
    from mesosframe.local.cluster import LocalCluster
    with LocalCluster(**cluster_options) as cluster:
        yield cluster.master_address
