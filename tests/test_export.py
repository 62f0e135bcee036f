"""SavedModel export: numbered versions, no half-written folders, the signature contract, round trips."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import tiny_config

from digitnet import export as ex
from digitnet._tf import tf
from digitnet.errors import DigitnetError
from digitnet.model import SavedModelClassifier
from digitnet.versions import latest_version, resolve_model_dir


def test_export_contract_signature(trained_export_with_not_digit):
    export_dir, _, _ = trained_export_with_not_digit
    assert export_dir.name.isdigit()
    with SavedModelClassifier(export_dir) as classifier:
        signature = classifier.signature
        assert signature.method_name == "tensorflow/serving/predict"
        images = signature.inputs["images"]
        assert images.dtype == tf.float32.as_datatype_enum
        assert [d.size for d in images.tensor_shape.dim] == [-1, 784]
        probabilities, classes = signature.outputs["probabilities"], signature.outputs["classes"]
        assert probabilities.dtype == tf.float32.as_datatype_enum
        assert [d.size for d in probabilities.tensor_shape.dim] == [-1, 10]
        assert classes.dtype == tf.int64.as_datatype_enum
        assert [d.size for d in classes.tensor_shape.dim] == [-1]
        not_digit = signature.outputs["not_digit"]  # the default trains the "not a digit" class
        assert not_digit.dtype == tf.float32.as_datatype_enum and [d.size for d in not_digit.tensor_shape.dim] == [-1]
        outputs = classifier.run(np.zeros((3, 784), np.float32))
        np.testing.assert_allclose(outputs["probabilities"].sum(axis=1), 1.0, rtol=1e-5)
        assert outputs["not_digit"].shape == (3,) and ((outputs["not_digit"] >= 0) & (outputs["not_digit"] <= 1)).all()


def test_round_trip_tf1_graph_and_tf2_loader_agree(trained_export):
    export_dir, result, data = trained_export
    images = data.test.scaled()
    with SavedModelClassifier(export_dir) as classifier:
        probabilities_v1, classes_v1 = classifier.predict(images)
        accuracy = classifier.accuracy(data.test.images, data.test.labels)
    serving = tf.saved_model.load(str(export_dir)).signatures["serving_default"]
    outputs = serving(images=tf.constant(images))
    np.testing.assert_allclose(outputs["probabilities"].numpy(), probabilities_v1, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(outputs["classes"].numpy(), classes_v1)
    assert classes_v1.dtype == np.int64
    # the export holds exactly the weights that training evaluated
    assert accuracy == result.test_accuracy
    np.testing.assert_allclose(probabilities_v1, result.test_probabilities, rtol=1e-5, atol=1e-6)


def test_batches_are_padded_to_few_shapes_and_answer_for_their_own_rows(trained_export, monkeypatch):
    # several rows go to the session as a multiple of 8 (oneDNN prepares a convolution once per shape); the answer
    # has exactly the rows asked about, each as the whole batch gives it
    export_dir, _, data = trained_export
    images = data.test.scaled()[:9]
    with SavedModelClassifier(export_dir) as classifier:
        whole = classifier.run(images)
        fed, run = [], classifier.session.run
        monkeypatch.setattr(classifier.session, "run",
                            lambda fetches, feed: fed.append(len(next(iter(feed.values())))) or run(fetches, feed))
        for count in (1, 3, 8, 9):
            part = classifier.run(images[:count])
            assert {key: len(value) for key, value in part.items()} == {key: count for key in part}
            np.testing.assert_allclose(part["probabilities"], whole["probabilities"][:count], rtol=1e-5, atol=1e-6)
    assert fed == [1, 8, 8, 16]


def test_record_beside_the_model(trained_export):
    export_dir, result, _ = trained_export
    record = json.loads((export_dir / ex.RECORD_NAME).read_text())
    assert record["test_accuracy"] == result.test_accuracy
    assert record["parameters"]["hidden_units"] == [32, 16]
    assert set(record["data_checksums_sha256"]) == {
        "digit_xtrain.csv", "digit_ytrain.csv", "digit_xtest.csv", "digit_ytest.csv"}
    assert record["tensorflow_version"] == tf.__version__ and record["training_seconds"] > 0


def test_two_exports_make_versions_1_and_2(tmp_path, trained_export):
    _, result, _ = trained_export
    base = tmp_path / "SavedModel"
    first = ex.export_checkpoint(result.checkpoint_dir, base)
    second = ex.export_checkpoint(result.checkpoint_dir, base)
    assert (first.name, second.name) == ("1", "2")
    assert latest_version(base) == second and resolve_model_dir(None, base) == second
    assert resolve_model_dir(base) == second and resolve_model_dir(first) == first
    assert sorted(p.name for p in base.iterdir()) == ["1", "2"]  # no temporary folders left


def test_failure_during_export_leaves_no_numbered_folder(tmp_path, trained_export, monkeypatch):
    _, result, _ = trained_export
    base = tmp_path / "SavedModel"
    original = ex._write_saved_model

    def crash_after_writing(target, checkpoint, network):
        original(target, checkpoint, network)
        raise RuntimeError("disk full")

    monkeypatch.setattr(ex, "_write_saved_model", crash_after_writing)
    with pytest.raises(RuntimeError, match="disk full"):
        ex.export_checkpoint(result.checkpoint_dir, base)
    assert list(base.iterdir()) == []
    with pytest.raises(DigitnetError, match="no exported model"):
        latest_version(base)


def test_cnn_exports_under_the_same_signature(tmp_path, mnist_dir):
    from digitnet.data import load_mnist
    from digitnet.training import run_training

    config = tiny_config(tmp_path, mnist_dir, architecture="cnn", hidden_units=(16,), conv_filters=(4, 8),
                         epochs=2)
    data = load_mnist(mnist_dir, 100)
    result = run_training(config, progress=False, data=data)
    export_dir = ex.export_result(result, data)
    with SavedModelClassifier(export_dir) as classifier:
        assert sorted(classifier.tensor_names) == ["classes", "images", "not_digit", "probabilities"]
        assert classifier.accuracy(data.test.images, data.test.labels) == result.test_accuracy
    assert result.history_columns()["train_loss"][-1] < result.history_columns()["train_loss"][0]


def test_missing_or_wrong_model_folder_is_one_line(tmp_path):
    with pytest.raises(DigitnetError, match="not found"):
        resolve_model_dir(tmp_path / "nowhere")
    with pytest.raises(DigitnetError, match="not a SavedModel"):
        resolve_model_dir(tmp_path)


def test_saved_model_cli_can_show_the_signature(trained_export):
    export_dir, _, _ = trained_export
    cli = [sys.executable, "-m", "tensorflow.python.tools.saved_model_cli", "show", "--dir", str(export_dir),
           "--tag_set", "serve", "--signature_def", "serving_default"]
    shown = subprocess.run(cli, capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr[-500:]
    assert "inputs['images']" in shown.stdout and "outputs['classes']" in shown.stdout
    assert "tensorflow/serving/predict" in shown.stdout


def test_a_checkpoint_folder_alone_exports_the_same_model(tmp_path, trained_export):
    export_dir, result, data = trained_export
    folder = tmp_path / "copied-checkpoints"
    shutil.copytree(result.checkpoint_dir, folder)  # the run's folder on its own, away from the run
    assert (folder / "network.json").exists() and (folder / ex.RECORD_NAME).exists()
    again = ex.export_checkpoint(folder, tmp_path / "SavedModel")
    with SavedModelClassifier(again) as classifier:
        assert classifier.accuracy(data.test.images, data.test.labels) == result.test_accuracy
    assert ex.read_record(again)["test_accuracy"] == ex.read_record(export_dir)["test_accuracy"]
    assert ex.read_record(again)["network"] == result.config.network.to_dict()


def test_a_folder_without_network_description_is_refused(tmp_path):
    with pytest.raises(DigitnetError, match="network.json"):
        ex.export_checkpoint(tmp_path, tmp_path / "SavedModel")


def test_without_negatives_the_model_has_the_ten_digit_contract_only(tmp_path, mnist_dir):
    from digitnet.data import load_mnist
    from digitnet.training import run_training

    config = tiny_config(tmp_path, mnist_dir, negatives=0, variants=False, epochs=1)
    data = load_mnist(mnist_dir, 100)
    result = run_training(config, progress=False, data=data)
    with SavedModelClassifier(ex.export_result(result, data)) as classifier:
        assert sorted(classifier.tensor_names) == ["classes", "images", "probabilities"]
        assert not classifier.knows_not_digit and not classifier.run(data.test.images[:4])["not_digit"].any()
    assert result.training_rows == len(data.train)  # nothing synthesised
