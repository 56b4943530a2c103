"""The training loop: it learns, it resumes where it stopped, and its configuration files are read right."""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from in2_studio import DEFAULT_WORKING_SIZE
from in2_studio.errors import In2Error
from in2_studio.model import IN2
from in2_studio.training.crops import FaceCrops
from in2_studio.training.faces import training_files
from in2_studio.training.masks import check_mask_mix
from in2_studio.training.train import (
    Checkpoint,
    TrainSettings,
    learning_rate,
    settings_for,
    shrink,
    step_loss,
    train,
)

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs" / "tiny.toml"


def test_config_files_parse():
    base = TrainSettings.from_toml(REPO / "configs" / "base.toml")
    assert base.model_config().channels == (32, 64, 160)
    assert base.long_side[1] == DEFAULT_WORKING_SIZE  # the app shows the encoder a face at the scale it learnt
    assert TrainSettings.from_toml(TINY).preset == "tiny"
    assert not base.adversarial
    assert TrainSettings.from_toml(REPO / "configs" / "adversarial.toml").adversarial


def test_the_command_line_overrides_the_config():
    args = argparse.Namespace(config=TINY, minutes=2.5, lr=1e-4)
    settings = settings_for(args)
    assert (settings.minutes, settings.lr, settings.preset) == (2.5, 1e-4, "tiny")
    assert settings_for(argparse.Namespace(config=TINY, minutes=None, lr=None)) == TrainSettings.from_toml(TINY)


def test_the_variant_configs_are_the_shipped_recipe_with_their_differences():
    """adversarial.toml and gpu.toml extend base.toml, so a change to the shipped recipe reaches them."""
    base = TrainSettings.from_toml(REPO / "configs" / "base.toml")
    adversarial = TrainSettings.from_toml(REPO / "configs" / "adversarial.toml")
    gpu = TrainSettings.from_toml(REPO / "configs" / "gpu.toml")
    own = {"adversarial_weight", "matching_weight", "discriminator_lr", "out"}
    assert dataclasses.replace(adversarial, **{name: getattr(base, name) for name in own}) == base
    assert (gpu.mask_mix, gpu.crop_scale, gpu.crop_scale_by_kind) == (
        base.mask_mix,
        base.crop_scale,
        base.crop_scale_by_kind,
    )
    assert (gpu.l2_weight, gpu.batch_size, gpu.device, gpu.cycle) == (5.0, 64, "cuda", 0)


def test_the_shipped_recipe_keeps_some_holes_off_the_face_in_tighter_crops():
    base = TrainSettings.from_toml(REPO / "configs" / "base.toml")
    assert 0.05 < check_mask_mix(base.mask_mix)["off_face"] < 0.15
    crops = FaceCrops([Path("a.jpg")], 1, crop_scale=base.crop_scale, crop_scale_by_kind=base.crop_scale_by_kind)
    assert crops.crop_scale_by_kind["off_face"][1] < base.crop_scale[1]  # the face is often out of view
    assert crops.crop_scale_by_kind["face_box"] == base.crop_scale_by_kind["face_box"]


def test_a_config_extends_another_setting_by_setting(tmp_path):
    (tmp_path / "arms").mkdir()
    arm = tmp_path / "arms" / "arm.toml"
    arm.write_text(f'extends = "{TINY}"\n[data]\nbatch_size = 3\n[train]\nlr = 5e-4\n')
    settings, tiny = TrainSettings.from_toml(arm), TrainSettings.from_toml(TINY)
    assert (settings.batch_size, settings.lr) == (3, 5e-4)
    assert dataclasses.replace(settings, batch_size=tiny.batch_size, lr=tiny.lr) == tiny  # the rest is the tiny's
    (tmp_path / "arm2.toml").write_text('extends = "arms/arm.toml"\n[train]\nseed = 9\n')  # relative to the file
    assert TrainSettings.from_toml(tmp_path / "arm2.toml").batch_size == 3


@pytest.mark.parametrize(
    "text, message",
    [
        ('extends = "b.toml"\n', "extends it back"),
        ('extends = "a.toml"\n', "extends it back"),
        ('extends = "missing.toml"\n', "cannot read training configuration .*missing.toml"),
        ("extends = 3\n", "extends must name a TOML file"),
        ("[trian]\nlr = 1.0\n", "unknown tables trian"),
    ],
)
def test_a_bad_extends_or_table_is_refused(tmp_path, text, message):
    (tmp_path / "a.toml").write_text(text)
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    with pytest.raises(In2Error, match=message):
        TrainSettings.from_toml(tmp_path / "a.toml")


def test_unknown_setting_is_refused(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[train]\nlearning_rate = 1.0\n")
    with pytest.raises(In2Error, match="learning_rate"):
        TrainSettings.from_toml(bad)


def tiny_model_and_batch():
    """The tiny configuration's settings, a seeded network and one fixed batch of real crops."""
    settings = TrainSettings.from_toml(TINY)
    torch.manual_seed(0)
    model = IN2(settings.model_config())
    return settings, model, FaceCrops(training_files(), 4, (32, 48), seed=3).batch(0)


def test_a_few_steps_reduce_the_loss_on_a_fixed_batch():
    settings, model, batch = tiny_model_and_batch()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

    def loss_now():
        with torch.no_grad():
            return step_loss(model, batch, settings, np.random.default_rng(0))[0].item()

    before = loss_now()
    for i in range(30):
        loss, *_ = step_loss(model, batch, settings, np.random.default_rng(i))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss_now() < 0.8 * before


def test_the_squared_error_term_adds_its_weight_times_the_holes_mse():
    settings, model, batch = tiny_model_and_batch()
    with torch.no_grad():
        plain, plain_parts, _ = step_loss(model, batch, settings, np.random.default_rng(0))
        weighted = dataclasses.replace(settings, l2_weight=2.0)
        loss, parts, _ = step_loss(model, batch, weighted, np.random.default_rng(0))
    assert "l2" not in plain_parts
    assert 0 < parts["l2"] < parts["l1"]  # errors below 1: squared is smaller
    assert loss.item() == pytest.approx(plain.item() + 2.0 * parts["l2"], rel=1e-5)


def test_bf16_autocast_gives_the_float32_loss_and_gradients():
    """Autocast runs the network in bfloat16 (the FFT's complex numbers too) while the losses stay float32."""
    assert TrainSettings.from_toml(REPO / "configs" / "base.toml").bf16
    settings, model, batch = tiny_model_and_batch()

    def loss_and_gradient(bf16: bool):
        model.zero_grad()
        loss, *_ = step_loss(model, batch, dataclasses.replace(settings, bf16=bf16), np.random.default_rng(0))
        loss.backward()
        return loss, torch.cat([p.grad.flatten() for p in model.parameters()])

    loss32, grad32 = loss_and_gradient(False)
    loss16, grad16 = loss_and_gradient(True)
    assert loss16.dtype == torch.float32
    assert loss16.item() == pytest.approx(loss32.item(), rel=0.02)
    assert torch.nn.functional.cosine_similarity(grad16, grad32, dim=0) > 0.95


def test_the_shrunk_encoder_input_averages_only_known_pixels():
    image, mask = torch.rand(1, 3, 40, 40), torch.zeros(1, 1, 40, 40)
    mask[..., 8:12, 8:12] = 1  # one whole working pixel at 4x
    mask[..., 20, 20] = 1  # a corner of another
    image[mask.expand_as(image) > 0] = 5.0  # a hole colour that must not leak
    small_image, small_mask = shrink(image, mask, 4.0)
    assert small_image.shape[-2:] == (10, 10)
    assert small_mask[0, 0, 2, 2] == 1 and small_mask.sum() == 1  # hole only where nothing is known
    known = image[0, :, 20:24, 20:24].reshape(3, -1)[:, 1:]  # the 15 known pixels of the partial one
    torch.testing.assert_close(small_image[0, :, 5, 5], known.mean(dim=1))
    assert small_image[small_mask.expand_as(small_image) == 0].max() <= 1


@pytest.mark.parametrize("adversarial", [False, True], ids=["reconstruction", "adversarial"])
def test_checkpoint_resume_continues_exactly(tmp_path, adversarial):
    settings = TrainSettings.from_toml(TINY)
    if adversarial:  # the discriminator and its optimiser must come back too, or the split run drifts
        settings = dataclasses.replace(settings, adversarial_weight=0.1, matching_weight=1.0, discriminator_width=8)
    straight = train(settings, tmp_path / "straight", steps=6, quiet=True)
    assert straight == 6
    train(settings, tmp_path / "split", steps=3, quiet=True)
    assert train(settings, tmp_path / "split", resume=True, steps=6, quiet=True) == 6
    a, b = Checkpoint(tmp_path / "straight").load(), Checkpoint(tmp_path / "split").load()
    assert a["step"] == b["step"] == 6
    for part in ("model", "ema") + (("critic",) if adversarial else ()):
        flat_a, flat_b = flatten(a[part]), flatten(b[part])
        assert flat_a.keys() == flat_b.keys()
        for key, value in flat_a.items():
            if isinstance(value, torch.Tensor):
                torch.testing.assert_close(value, flat_b[key], msg=f"{part} {key}")
            else:
                assert value == flat_b[key], f"{part} {key}"
    assert (tmp_path / "split" / "ema.safetensors").is_file()


def flatten(state, prefix="") -> dict:
    """Nested state dicts (a critic holds a model's and an optimiser's) as one level of "a.b.c" keys."""
    if isinstance(state, list | tuple):
        state = dict(enumerate(state))
    if not isinstance(state, dict):
        return {prefix: state}
    return {k: v for key, value in state.items() for k, v in flatten(value, f"{prefix}.{key}").items()}


def test_a_time_budget_ends_the_run_with_a_checkpoint(tmp_path):
    settings = dataclasses.replace(TrainSettings.from_toml(TINY), minutes=0.02, steps=10**6)
    reached = train(settings, tmp_path, quiet=True)
    assert 0 < reached < 10**6
    assert Checkpoint(tmp_path).load()["step"] == reached


@pytest.mark.parametrize(("clip", "clipped"), [(1e-12, "2/2"), (1e12, "0/2")])
def test_the_log_names_the_largest_gradient_norm_and_how_many_steps_were_clipped(tmp_path, monkeypatch, clip, clipped):
    from in2_studio.training import train as train_module

    monkeypatch.setattr(train_module, "CLIP_NORM", clip)
    settings = dataclasses.replace(TrainSettings.from_toml(TINY), log_every=2)
    train(settings, tmp_path, steps=4, quiet=True)
    lines = [line.split() for line in (tmp_path / "train.log").read_text().splitlines()]
    assert len(lines) == 2
    for words in lines:
        grad_max = float(words[words.index("grad_max") + 1])
        assert 0 < grad_max < math.inf
        assert words[words.index("clipped") + 1] == clipped


def test_the_first_log_line_after_a_resume_counts_only_the_steps_it_saw(tmp_path, monkeypatch):
    from in2_studio.training import train as train_module

    monkeypatch.setattr(train_module, "CLIP_NORM", 1e-12)  # every step clipped: the count is the window's steps
    settings = dataclasses.replace(TrainSettings.from_toml(TINY), log_every=2)
    train(settings, tmp_path, steps=3, quiet=True)  # logs at step 2, stops at 3 with a checkpoint
    train(settings, tmp_path, resume=True, steps=6, quiet=True)  # logs at 4 (one step of its window) and 6
    clipped = [
        line.split()[line.split().index("clipped") + 1] for line in (tmp_path / "train.log").read_text().splitlines()
    ]
    assert clipped == ["2/2", "1/1", "2/2"]


def test_sigterm_ends_the_run_with_a_checkpoint(tmp_path, monkeypatch):
    settings = dataclasses.replace(TrainSettings.from_toml(TINY), steps=10**6)
    log = tmp_path / "train.log"
    handlers = []  # SIGTERM's handler during each save: a second signal must not cut the last one short
    save = Checkpoint.save

    def save_noting_the_handler(*args):
        handlers.append(signal.getsignal(signal.SIGTERM))
        save(*args)

    monkeypatch.setattr(Checkpoint, "save", save_noting_the_handler)

    def terminate_once_training():
        # Not after a fixed delay: on a busy machine the set-up can outlast it, and SIGTERM would then kill pytest.
        deadline = time.monotonic() + 120
        while not (log.is_file() and log.stat().st_size) and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=terminate_once_training)
    killer.start()
    reached = train(settings, tmp_path, quiet=True)
    killer.join()
    assert 0 < reached < 10**6
    assert Checkpoint(tmp_path).load()["step"] == reached
    assert handlers and signal.SIG_DFL not in handlers
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # handlers restored


def test_a_new_machine_continues_from_the_shipped_step_and_warms_up_again(tmp_path, monkeypatch):
    """With no checkpoint, --resume starts from the shipped file's weights at its step, so the step count and
    the data order go on; the optimiser's moments are new, so the learning rate ramps up again."""
    from in2_studio.engine.weights import save_weights
    from in2_studio.training import train as train_module

    settings = dataclasses.replace(TrainSettings.from_toml(TINY), warmup=4)
    shipped = IN2(settings.model_config())
    save_weights(shipped, tmp_path / "shipped.safetensors", metadata={"step": "40"})
    monkeypatch.setattr(train_module, "DEFAULT_WEIGHTS", tmp_path / "shipped.safetensors")
    assert train(settings, tmp_path / "run", resume=True, steps=41, quiet=True) == 41
    state = Checkpoint(tmp_path / "run").load()
    assert state["step"] == 41
    # Adam's first step moves each weight by its learning rate: a quarter of it, from the shipped weights.
    moved = max((state["model"][k] - v).abs().max().item() for k, v in shipped.state_dict().items())
    assert moved == pytest.approx(settings.lr / 4, rel=0.05)
    rates = [learning_rate(step, settings, fresh_from=40) for step in range(40, 46)]
    assert rates == pytest.approx([settings.lr * f for f in (0.25, 0.5, 0.75, 1, 1, 1)])
    assert learning_rate(40, settings) == settings.lr  # a checkpoint's run needs no second warm-up


def test_a_deeper_config_grows_the_shipped_network_and_goes_on_from_its_step(tmp_path, monkeypatch):
    """[model] attention_blocks = 2 on the tiny preset: --resume with no checkpoint starts from the shipped
    tiny file grown deeper (its own weights, the new block as the identity), at the shipped step."""
    from in2_studio.engine.weights import save_weights
    from in2_studio.training import train as train_module

    config = tmp_path / "deeper.toml"
    config.write_text(TINY.read_text().replace('preset = "tiny"', 'preset = "tiny"\nattention_blocks = 2'))
    settings = TrainSettings.from_toml(config)
    assert settings.model_config().attention_blocks == 2
    shipped = IN2(TrainSettings.from_toml(TINY).model_config())
    save_weights(shipped, tmp_path / "shipped.safetensors", metadata={"step": "40"})
    monkeypatch.setattr(train_module, "DEFAULT_WEIGHTS", tmp_path / "shipped.safetensors")
    assert train(settings, tmp_path / "run", resume=True, steps=41, quiet=True) == 41
    state = Checkpoint(tmp_path / "run").load()
    assert state["config"] == settings.model_config().to_json()
    moved = max((state["model"][k] - v).abs().max().item() for k, v in shipped.state_dict().items())
    assert moved <= 1.01 * settings.lr  # one Adam step away from the shipped weights, not a fresh start


@pytest.mark.parametrize(
    ("line", "message"), [("attention_blocks_ = 2", "unknown settings attention_blocks_"), ("blocks = 2", "blocks")]
)
def test_a_bad_model_field_is_refused(tmp_path, line, message):
    config = tmp_path / "bad.toml"
    config.write_text(TINY.read_text().replace('preset = "tiny"', f'preset = "tiny"\n{line}'))
    with pytest.raises(In2Error, match=message):
        TrainSettings.from_toml(config).model_config()


def test_the_decay_anneals_from_the_config_by_absolute_step(tmp_path):
    """The cosine runs from lr at decay[0] to lr_end at decay[1], halfway at the middle, and stays at lr_end;
    the steps are absolute, so a resumed run picks its schedule up where it was."""
    config = tmp_path / "decay.toml"
    config.write_text(TINY.read_text().replace("[train]", "[train]\ndecay = [100, 300]\nlr_end = 1e-5"))
    settings = dataclasses.replace(TrainSettings.from_toml(config), warmup=0)
    assert settings.decay == (100, 300)
    lr, end = settings.lr, settings.lr_end
    rates = [learning_rate(step, settings) for step in (0, 99, 100, 200, 300, 5000)]
    assert rates == pytest.approx([lr, lr, lr, (lr + end) / 2, end, end])
    warm = dataclasses.replace(settings, warmup=4)  # a fresh optimiser mid-decay ramps up to the decayed rate
    assert learning_rate(201, warm, fresh_from=200) == pytest.approx(learning_rate(201, settings) / 2)


def test_a_cycle_anneals_from_where_the_run_began_and_keeps_that_across_a_resume(tmp_path, monkeypatch):
    """`cycle = N`: the cosine from lr to lr_end over N steps from the shipped file's step, whatever it is; the
    checkpoint keeps where the run began, so a resumed run stays on its cycle."""
    from in2_studio.engine.weights import save_weights
    from in2_studio.training import train as train_module

    config = tmp_path / "cycle.toml"
    config.write_text(TINY.read_text().replace("[train]", "[train]\ncycle = 8\nlr_end = 1e-5"))
    settings = dataclasses.replace(TrainSettings.from_toml(config), warmup=2)
    lr, end = settings.lr, settings.lr_end
    rates = [learning_rate(step, settings, fresh_from=40) for step in (40, 44, 48, 500)]
    assert rates == pytest.approx([lr / 2, (lr + end) / 2, end, end])  # the first step: half way up the warm-up
    save_weights(IN2(settings.model_config()), tmp_path / "shipped.safetensors", metadata={"step": "40"})
    monkeypatch.setattr(train_module, "DEFAULT_WEIGHTS", tmp_path / "shipped.safetensors")
    train(settings, tmp_path / "run", resume=True, steps=43, quiet=True)
    assert train(settings, tmp_path / "run", resume=True, steps=45, quiet=True) == 45
    state = Checkpoint(tmp_path / "run").load()
    assert state["fresh_from"] == 40
    assert state["optimizer"]["param_groups"][0]["lr"] == pytest.approx(learning_rate(44, settings, fresh_from=40))


@pytest.mark.parametrize(
    "line, message",
    [
        ("decay = [300, 100]", "from < to"),
        ("decay = [5]", "from < to"),
        ("lr_end = 1.0", "lr_end"),
        ("cycle = -5", "cycle"),
        ("cycle = 100\ndecay = [1, 2]", "no decay beside it"),
    ],
)
def test_a_reversed_decay_or_a_bad_end_rate_is_refused(tmp_path, line, message):
    """A reversed pair would silently train at a constant rate; the config names the mistake instead."""
    config = tmp_path / "bad.toml"
    config.write_text(TINY.read_text().replace("[train]", f"[train]\n{line}"))
    with pytest.raises(In2Error, match=message):
        TrainSettings.from_toml(config)


def test_a_command_line_rate_below_the_configs_end_rate_is_refused(tmp_path):
    config = tmp_path / "decay.toml"
    config.write_text(TINY.read_text().replace("[train]", "[train]\ndecay = [100, 300]\nlr_end = 1e-4"))
    with pytest.raises(In2Error, match="lr_end"):
        settings_for(argparse.Namespace(config=config, minutes=None, lr=1e-5))


def test_the_crop_scale_is_read_from_the_config_and_checked(tmp_path):
    config = tmp_path / "crops.toml"
    config.write_text(TINY.read_text().replace("[data]", "[data]\ncrop_scale = [0.7, 1.0]"))
    assert TrainSettings.from_toml(config).crop_scale == (0.7, 1.0)
    for bad in ("[0.7, 1.2]", "[0.7]", "[0, 0.5]"):
        config.write_text(TINY.read_text().replace("[data]", f"[data]\ncrop_scale = {bad}"))
        with pytest.raises(In2Error, match="crop_scale"):
            TrainSettings.from_toml(config)


def test_crop_scales_by_hole_kind_are_read_from_the_config_and_checked(tmp_path):
    config = tmp_path / "crops.toml"
    config.write_text(TINY.read_text().replace("[data]", "[data]\ncrop_scale_by_kind = { face_box = [0.7, 1.0] }"))
    assert TrainSettings.from_toml(config).crop_scale_by_kind == {"face_box": (0.7, 1.0)}
    assert TrainSettings.from_toml(TINY).crop_scale_by_kind == {}
    for bad, message in (("{ eyes = [0.7, 1.0] }", "unknown mask kinds eyes"), ("{ face_box = [0, 1] }", "crop_scale")):
        config.write_text(TINY.read_text().replace("[data]", f"[data]\ncrop_scale_by_kind = {bad}"))
        with pytest.raises(In2Error, match=message):
            TrainSettings.from_toml(config)


def test_the_mask_mix_is_read_from_the_config_and_checked(tmp_path):
    mixed = tmp_path / "mixed.toml"
    mixed.write_text(TINY.read_text().replace("[data]", "[data]\nmask_mix = { large_box = 3, strokes = 1 }"))
    mix = TrainSettings.from_toml(mixed).mask_mix
    assert mix == pytest.approx(
        {"strokes": 0.25, "boxes": 0, "face_parts": 0, "large_box": 0.75, "face_box": 0, "off_face": 0}
    )
    mixed.write_text(TINY.read_text().replace("[data]", "[data]\nmask_mix = { big_box = 1 }"))
    with pytest.raises(In2Error, match="mask_mix: unknown mask kinds big_box"):
        TrainSettings.from_toml(mixed)
