"""Counter-based randomness for the market simulator.

Every random number is a pure function of ``(key, purpose, index)``: a splitmix64 hash turned
into a uniform, then a normal. Unlike a sequential ``random.Random`` stream, the value at grid
step ``k`` does not depend on how many numbers were drawn before it, so a price path can be
evaluated at any step, in any order, at any sampling frequency, and always agrees with itself.

:class:`BrownianPath` builds a standard Brownian motion on the integer grid top-down (Lévy's
midpoint construction): the value at any step costs O(depth) hashes, and a walk over
consecutive steps costs O(1) amortised thanks to a cached descent.
"""

from __future__ import annotations

import math
import zlib
from statistics import NormalDist

_MASK64 = (1 << 64) - 1
_STD_NORMAL = NormalDist()


def mix64(x: int) -> int:
    """splitmix64 finaliser: a fast, well-mixed 64-bit hash of ``x``."""
    z = (x + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def stream_key(seed: int, name: str) -> int:
    """Key of the random stream for ``name`` under ``seed``.

    ``zlib.crc32`` rather than ``hash()``: Python salts ``str`` hashes per process, which would
    make paths differ between runs.
    """
    return mix64(mix64(seed & _MASK64) ^ zlib.crc32(name.encode("utf-8")))


def uniform(key: int, purpose: int, index: int) -> float:
    """A uniform in the open interval (0, 1), fixed by its arguments."""
    h = mix64(mix64(key ^ purpose) ^ (index & _MASK64))
    return ((h >> 11) + 0.5) / 9007199254740992.0  # 2**53


def normal(key: int, purpose: int, index: int) -> float:
    """A standard normal, fixed by its arguments."""
    return _STD_NORMAL.inv_cdf(uniform(key, purpose, index))


class BrownianPath:
    """Standard Brownian motion ``W`` on the grid ``0..2**depth`` (``W(0) = 0``, ``Var W(k) = k``).

    ``W(2**depth)`` is drawn first, then each dyadic interval's midpoint from the Brownian
    bridge between its ends, down to unit intervals. Node ``n`` of the implicit binary tree
    (root 1, children ``2n`` and ``2n + 1``) owns the normal ``normal(key, purpose, n)``.
    """

    __slots__ = ("_key", "_purpose", "_size", "_stack")

    def __init__(self, key: int, purpose: int, depth: int = 40) -> None:
        self._key = key
        self._purpose = purpose
        self._size = 1 << depth
        top = math.sqrt(self._size) * normal(key, purpose, 0)
        # (lo, hi, w_lo, w_hi, node): the descent of the last lookup, root first. A nearby
        # lookup resumes from the deepest interval that still contains it.
        self._stack: list[tuple[int, int, float, float, int]] = [(0, self._size, 0.0, top, 1)]

    @property
    def size(self) -> int:
        """Last grid index covered."""
        return self._size

    def at(self, k: int) -> float:
        """``W(k)``. Raises ValueError outside ``0..size``."""
        if not 0 <= k <= self._size:
            raise ValueError(f"step {k} outside the Brownian grid 0..{self._size}")
        stack = self._stack
        while len(stack) > 1 and not stack[-1][0] <= k <= stack[-1][1]:
            stack.pop()
        lo, hi, w_lo, w_hi, node = stack[-1]
        while True:
            if k == lo:
                return w_lo
            if k == hi:
                return w_hi
            mid = (lo + hi) >> 1
            w_mid = 0.5 * (w_lo + w_hi) + 0.5 * math.sqrt(hi - lo) * normal(
                self._key, self._purpose, node
            )
            if k < mid:
                hi, w_hi, node = mid, w_mid, 2 * node
            else:
                lo, w_lo, node = mid, w_mid, 2 * node + 1
            stack.append((lo, hi, w_lo, w_hi, node))
