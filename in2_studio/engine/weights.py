"""Weights files: safetensors only (never pickle), with the network's configuration in the metadata so
that a file cannot be loaded into a network of another shape without a clear error."""

from __future__ import annotations

from pathlib import Path

from safetensors import SafetensorError, safe_open
from safetensors.torch import save

from ..errors import WeightsError
from ..imaging import write_atomically
from ..model import IN2, IN2Config

DEFAULT_WEIGHTS = Path(__file__).resolve().parents[2] / "models" / "in2-face.safetensors"
CONFIG_KEY = "in2_config"


def save_weights(model: IN2, path: str | Path, half: bool = False, metadata: dict | None = None) -> None:
    """Write atomically; `half` stores float16 (the shipped file), loading casts back to float32."""
    path = Path(path)
    tensors = {
        k: (v.half() if half and v.is_floating_point() else v).detach().cpu().contiguous()
        for k, v in model.state_dict().items()
    }
    data = save(tensors, metadata={CONFIG_KEY: model.config.to_json(), **(metadata or {})})
    write_atomically(path, lambda file: file.write(data))  # umask permissions, like any file the app writes


def read_metadata(path: str | Path) -> dict:
    try:
        with safe_open(str(path), framework="pt") as f:
            return f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as e:
        raise WeightsError(f"{path} is not a readable safetensors weights file ({e})") from None


def load_weights(path: str | Path | None = None) -> IN2:
    """The network described by the file's metadata, with the file's weights, in float32, eval mode."""
    path = Path(path) if path is not None else DEFAULT_WEIGHTS
    if not path.is_file():
        hint = " (train one with `in2-studio train` or pass --weights)" if path == DEFAULT_WEIGHTS else ""
        raise WeightsError(f"weights file not found: {path}{hint}")
    meta = read_metadata(path)
    if CONFIG_KEY not in meta:
        raise WeightsError(f"{path} has no IN² configuration in its metadata: not an IN² weights file")
    try:
        config = IN2Config.from_json(meta[CONFIG_KEY])
        model = IN2(config)
    except (ValueError, TypeError) as e:
        raise WeightsError(f"{path} describes a network this version cannot build ({e})") from None
    try:
        with safe_open(str(path), framework="pt") as f:
            state = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (safe_open is not a mapping)
    except (SafetensorError, OSError, ValueError) as e:
        raise WeightsError(f"{path} is truncated or corrupt ({e})") from None
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        names = ", ".join((missing or unexpected)[:3])
        raise WeightsError(f"{path} does not fit this network: {'missing' if missing else 'unexpected'} {names}")
    for key, value in expected.items():
        if state[key].shape != value.shape:
            raise WeightsError(
                f"{path} does not fit this network: {key} has shape {tuple(state[key].shape)}, "
                f"expected {tuple(value.shape)}"
            )
    model.load_state_dict({k: v.to(expected[k].dtype) for k, v in state.items()})
    return model.eval()
