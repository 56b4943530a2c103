"""The network's shape in one frozen dataclass, so that a weights file can say what it was made for."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class IN2Config:
    # Encoder channels at 1/2, 1/4 and 1/8 of the input: one pyramid level each.
    channels: tuple[int, ...] = (32, 64, 160)
    # Processing pairs (FFC residual block + channel-attention block) after each downsampling.
    blocks: tuple[int, ...] = (1, 1, 2)
    global_ratio: float = 0.5
    attention_blocks: int = 2
    heads: int = 5
    kernel: int = 7
    # Pyramid levels the implicit decoder reads, coarse to fine (indices into `channels`).
    decoder_levels: tuple[int, ...] = (2, 0)
    decoder_hidden: int = 64
    fourier_bands: int = 6

    @classmethod
    def tiny(cls) -> IN2Config:
        """A few thousand parameters: for tests."""
        return cls(
            channels=(8, 12, 16),
            blocks=(1, 1, 1),
            attention_blocks=1,
            heads=2,
            kernel=3,
            decoder_hidden=16,
            fourier_bands=2,
        )

    @classmethod
    def base(cls) -> IN2Config:
        """The shipped network."""
        return cls()

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> IN2Config:
        return cls().with_fields(json.loads(text))

    def with_fields(self, fields: dict) -> IN2Config:
        """This configuration with `fields` changed, lists (as JSON and TOML write them) read as tuples; a
        ValueError names any field it does not have."""
        unknown = set(fields) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"unknown settings {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})
