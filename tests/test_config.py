"""Settings: parameters parsed as users type them, one network spec, CLI options generated from the fields."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest

from digitnet.config import NetworkSpec, TrainConfig, parse_int_list, parse_path_list
from digitnet.errors import DigitnetError


@pytest.mark.parametrize("typed", ["[1024, 512]", "1024,512", " 1024 , 512 ", [1024, 512], (1024, 512), "(1024, 512)"])
def test_int_lists_in_every_form_a_user_types(typed):
    assert parse_int_list(typed, "hidden_units") == (1024, 512)


@pytest.mark.parametrize("typed", [256, "256", "[256]", [256]])
def test_a_single_layer_size(typed):
    assert parse_int_list(typed, "hidden_units") == (256,)


@pytest.mark.parametrize("typed", ["abc", "[16, x]", "", "[]", [0], [-5, 3], 2.5, True, "1.5,2"])
def test_bad_int_lists_are_one_line_errors(typed):
    with pytest.raises(DigitnetError, match="hidden_units") as caught:
        parse_int_list(typed, "hidden_units")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("typed", "expected"), [
    ('["a.png", "b.png"]', ["a.png", "b.png"]),
    (["a.png", "b.png"], ["a.png", "b.png"]),
    ("a.png,b.png", ["a.png", "b.png"]),
    ("my seven.jpg", ["my seven.jpg"]),
    ("", []), ([], []), (None, []),
    (Path("x.png"), ["x.png"]),
])
def test_path_lists_in_every_form(typed, expected):
    assert parse_path_list(typed) == [Path(p) for p in expected]


def test_notebook_parameters_as_papermill_passes_them():
    # papermill -p turns "5" into 5 and "1e-3" into 0.001, but passes lists as the string the user typed
    config = TrainConfig.from_parameters({"HIDDEN_UNITS": "[16, 8]", "EPOCHS": 5, "LEARNING_RATE": "1e-3",
                                          "LIMIT": 0, "CONV_FILTERS": "4,8", "AUGMENT": "none", "OTHER": 1,
                                          "VARIANTS": "no"})
    assert config.hidden_units == (16, 8) and config.conv_filters == (4, 8)
    assert config.epochs == 5 and config.learning_rate == 0.001 and config.limit is None
    assert config.variants is False
    assert config.network == NetworkSpec("cnn", (16, 8), (4, 8), outputs=11)
    assert config.replace(negatives=0).network.outputs == 10


@pytest.mark.parametrize(("name", "value", "message"), [
    ("EPOCHS", "five", "epochs must be a whole number"), ("EPOCHS", 2.5, "epochs"), ("EPOCHS", 0, "at least 1"),
    ("ARCHITECTURE", "rnn", "architecture"), ("AUGMENT", "heavy", "augment"), ("DROPOUT", 1.0, "dropout"),
    ("LEARNING_RATE", "nan", "learning_rate"), ("VARIANTS", "maybe", "variants must be true or false"),
    ("NEGATIVES", 2, "negatives"),
])
def test_bad_parameters_name_the_parameter(name, value, message):
    with pytest.raises(DigitnetError, match=message):
        TrainConfig.from_parameters({name: value})


def test_rows_and_steps_per_epoch():
    config = TrainConfig(batch_size=100, limit=250)
    assert config.training_rows(1000) == 250 and config.training_rows(200) == 200
    assert config.steps_per_epoch(250) == 3 and TrainConfig(batch_size=100).training_rows(1000) == 1000


def test_network_spec_round_trips_through_its_file(tmp_path):
    spec = NetworkSpec("cnn", "[64]", (8, 16), kernel_size=3)
    spec.save(tmp_path)
    assert NetworkSpec.load(tmp_path) == spec
    with pytest.raises(DigitnetError, match="network.json"):
        NetworkSpec.load(tmp_path / "elsewhere")


def test_command_line_options_come_from_the_fields():
    parser = argparse.ArgumentParser()
    TrainConfig.add_options(parser)
    flags = {action.dest: action.option_strings[0] for action in parser._actions if action.option_strings}
    assert set(flags) - {"help"} == {f.name for f in dataclasses.fields(TrainConfig)}
    assert flags["architecture"] == "--arch" and flags["hidden_units"] == "--hidden"
    assert flags["conv_filters"] == "--conv-filters" and flags["batch_size"] == "--batch-size"
    options = parser.parse_args(["--hidden", "[256]", "--epochs", "3", "--limit", "0", "--arch", "cnn"])
    config = TrainConfig.from_options(options)
    assert (config.hidden_units, config.epochs, config.limit, config.architecture) == ((256,), 3, None, "cnn")
    assert config.batch_size == TrainConfig().batch_size  # not given: the default
