"""The weight average of runs from the same start: the mean of every tensor, written as a weights file."""

import dataclasses

import pytest
import torch

from in2_studio.engine import load_weights, save_weights
from in2_studio.engine.weights import read_metadata
from in2_studio.errors import In2Error
from in2_studio.model import IN2, IN2Config
from in2_studio.training.soup import average_weights, main


def test_the_soup_is_the_mean_of_every_weight_and_loads_as_a_network(tmp_path):
    paths = []
    for seed in range(3):
        torch.manual_seed(seed)
        path = tmp_path / f"run{seed}.safetensors"
        save_weights(IN2(IN2Config.tiny()), path, metadata={"step": str(100 + seed)})
        paths.append(path)
    assert main(["--half", str(tmp_path / "soup.safetensors"), *map(str, paths)]) == 0
    soup = load_weights(tmp_path / "soup.safetensors")
    assert read_metadata(tmp_path / "soup.safetensors")["step"] == "102"  # training goes on from the furthest
    runs = [load_weights(p).state_dict() for p in paths]
    for key, value in soup.state_dict().items():
        mean = (runs[0][key] + runs[1][key] + runs[2][key]) / 3
        torch.testing.assert_close(value, mean.half().float(), msg=key)
    assert not torch.equal(
        soup.state_dict()["decoder.levels.0.project.weight"], runs[0]["decoder.levels.0.project.weight"]
    )
    image, mask = torch.rand(1, 3, 24, 32), torch.zeros(1, 1, 24, 32)
    assert soup(image, mask).shape == (1, 3, 24, 32)


def test_files_of_another_network_are_refused(tmp_path, tiny_weights, capsys):
    other = tmp_path / "other.safetensors"
    save_weights(IN2(dataclasses.replace(IN2Config.tiny(), decoder_hidden=8)), other)
    with pytest.raises(In2Error, match="another network configuration"):
        average_weights([tiny_weights, other])
    assert main([str(tmp_path / "soup.safetensors"), str(tiny_weights), str(other)]) == 2
    assert "another network configuration" in capsys.readouterr().err
    assert not (tmp_path / "soup.safetensors").exists()


def test_one_file_is_converted_not_called_an_average(tmp_path, tiny_weights, capsys):
    out = tmp_path / "half.safetensors"
    assert main(["--half", str(out), str(tiny_weights)]) == 0
    metadata = read_metadata(out)
    assert "average_of" not in metadata and metadata["converted_from"].startswith(tiny_weights.name)
    assert "a copy of" in capsys.readouterr().out
    for key, value in load_weights(out).state_dict().items():
        torch.testing.assert_close(value, load_weights(tiny_weights).state_dict()[key].half().float(), msg=key)
