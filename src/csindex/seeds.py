"""One seed derivation for every random step: the study's master seed (config ``seed``) and the
step's labels go through numpy's :class:`~numpy.random.SeedSequence`, so a stage's stream does
not depend on which other stages ran, and no two stages share one by accident (``seed + 5``).

``derive_seed(master, "design")`` is the sampling seed, ``derive_seed(master, "weights")`` the
weights stage's (replicate draws), ``derive_seed(master, "bootstrap")`` the model bootstrap's;
the simulator's named streams (:mod:`csindex.simulate`) use the same sequence
``SeedSequence([master, crc32(name)])``.
"""

from __future__ import annotations

import zlib

import numpy as np


def seed_sequence(base_seed: int, *labels: str | int) -> np.random.SeedSequence:
    """``SeedSequence([base_seed, crc32(label_1), ...])`` (an int label is taken as is)."""
    words = [int(base_seed)]
    for lab in labels:
        words.append(
            int(lab) if isinstance(lab, (int, np.integer)) else zlib.crc32(str(lab).encode())
        )
    return np.random.SeedSequence(words)


def derive_seed(base_seed: int, *labels: str | int, bits: int = 32) -> int:
    """A seed for the random step named by ``labels`` under the master seed ``base_seed``
    (stable across runs, machines and numpy versions; 32 or 64 bits)."""
    if bits not in (32, 64):
        raise ValueError("bits must be 32 or 64")
    dtype = np.uint32 if bits == 32 else np.uint64
    return int(seed_sequence(base_seed, *labels).generate_state(1, dtype)[0])


def rng(base_seed: int, *labels: str | int) -> np.random.Generator:
    """A generator (PCG64) for the random step named by ``labels``."""
    return np.random.Generator(np.random.PCG64(seed_sequence(base_seed, *labels)))
