"""Which obligations an instance probes and exports: `shard = "I/N"`, like Prometheus's hashmod.

Instances with different shards share one store and split the obligations
between them; the hash is of the obligation's key, so a restart, another
host or another Python version gives every obligation the same shard.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from i18n import _

SHARD = re.compile(r"([0-9]+)/([1-9][0-9]*)")


def shard_hash(department: str, system: str) -> int:
    """A stable 64-bit hash of an obligation's key (MD5's last 8 bytes, as Prometheus's hashmod)."""
    digest = hashlib.md5(f"{department}/{system}".encode(), usedforsecurity=False).digest()
    return int.from_bytes(digest[8:], "big")


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count` (0 ≤ index < count); "0/1" is the whole registry."""

    index: int = 0
    count: int = 1

    @classmethod
    def parse(cls, text: str) -> Shard:
        """ "I/N" → a Shard; ValueError with the reason otherwise."""
        found = SHARD.fullmatch(text.strip())
        if found is None:
            raise ValueError(
                _("shard {text!r}: expected I/N, like 0/2 (shards 0 to N-1 of N)").format(text=text)
            )
        index, count = int(found[1]), int(found[2])
        if index >= count:
            raise ValueError(
                _("shard {text!r}: I must be below N (shards are 0 to {last})").format(
                    text=text, last=count - 1
                )
            )
        return cls(index, count)

    def owns(self, pair: tuple[str, str]) -> bool:
        """Whether the obligation (department, system) is this shard's."""
        return self.count == 1 or shard_hash(*pair) % self.count == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"
