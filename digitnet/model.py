"""Restore an exported SavedModel in a fresh ``tf.compat.v1`` graph and classify with it.

The input and output tensors are looked up through the ``serving_default`` signature, never by
hard-coded names such as ``'Placeholder:0'``, so any SavedModel that honours the contract works,
including ones exported by other tools.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from digitnet._tf import session_config, tf, tf1
from digitnet.data import IMAGE_PIXELS, scale_pixels
from digitnet.errors import DigitnetError
from digitnet.export import INPUT_KEY, SIGNATURE_KEY, read_record
from digitnet.line_reader import EXPORT_FOLDER, WEIGHTS_NAME, LineReader

PREDICT_BATCH = 10000  # rows per Session.run: big batches keep the matrix multiplies efficient
# Batches of several rows are padded with blank rows to a multiple of ROW_MULTIPLE, so that the few shapes the
# reading's batches of candidate pieces come in recur. oneDNN prepares its convolutions once per input shape, which
# costs about 1 ms more than the run itself (2-3 ms against 1.4-2.4 ms for 6-57 rows): reading the 6-digit numbers of
# development draw 5 first took 0.4 ms less (median of 3 runs), and every answer of draws 5 and 13 stayed the same
# (a row's probabilities can differ in their last bits from one batch size to another, padded or not).
ROW_MULTIPLE = 8


class SavedModelClassifier:
    """A SavedModel loaded into its own graph and session.

    Attributes:
        export_dir: the version folder loaded.
        signature: the ``serving_default`` SignatureDef.
        tensor_names: signature key -> tensor name in the graph (what the signature maps to).
        record: the JSON written beside the model by digitnet ({} if absent).
        line_reader: the touching-digit reader exported with it (`digitnet.line_reader`), or None.
    """

    def __init__(self, export_dir: str | Path, threads: int = 0) -> None:
        self.export_dir = Path(export_dir)
        if not (self.export_dir / "saved_model.pb").exists():
            raise DigitnetError(f"{self.export_dir}: not a SavedModel (no saved_model.pb)")
        self.graph = tf.Graph()
        self.session = tf1.Session(graph=self.graph, config=session_config(threads))
        try:
            meta_graph = tf1.saved_model.loader.load(
                self.session, [tf1.saved_model.tag_constants.SERVING], str(self.export_dir)
            )
        except (RuntimeError, OSError, ValueError, tf.errors.OpError) as error:
            self.session.close()
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise DigitnetError(f"{self.export_dir}: cannot load SavedModel ({first_line})") from None
        if SIGNATURE_KEY not in meta_graph.signature_def:
            self.session.close()
            raise DigitnetError(f"{self.export_dir}: no '{SIGNATURE_KEY}' signature")
        self.signature = meta_graph.signature_def[SIGNATURE_KEY]
        self.tensor_names = {key: info.name for key, info in self.signature.inputs.items()}
        self.tensor_names.update({key: info.name for key, info in self.signature.outputs.items()})
        for key in (INPUT_KEY, "probabilities", "classes"):
            if key not in self.tensor_names:
                self.session.close()
                raise DigitnetError(f"{self.export_dir}: signature lacks '{key}'")
        self.images = self.graph.get_tensor_by_name(self.tensor_names[INPUT_KEY])
        # The outputs this model has: probabilities and classes always, not_digit when it was trained for it.
        self.outputs = {key: self.graph.get_tensor_by_name(self.tensor_names[key])
                        for key in ("probabilities", "classes", "not_digit") if key in self.tensor_names}
        self.record = read_record(self.export_dir)
        self.graph.finalize()  # nothing may be added by accident: every call reuses the same ops
        reader_weights = self.export_dir / EXPORT_FOLDER / WEIGHTS_NAME
        try:
            self.line_reader = LineReader(reader_weights, threads) if reader_weights.is_file() else None
        except DigitnetError:
            self.session.close()
            raise

    @property
    def knows_not_digit(self) -> bool:
        """Whether the model has the "not a digit" output."""
        return "not_digit" in self.outputs

    def run(self, images: np.ndarray) -> dict[str, np.ndarray]:
        """All of the model's outputs for `images`.

        Args:
            images: float32 [n, 784] in [0, 1] (uint8 0-255 is accepted and divided by 255).

        Returns:
            probabilities float32 [n, 10], classes int64 [n], and not_digit float32 [n] (zeros for a model
            without that output).
        """
        images = np.asarray(images)
        if images.dtype == np.uint8:
            images = scale_pixels(images)
        images = images.reshape(-1, IMAGE_PIXELS).astype(np.float32, copy=False)
        batches = [self._run_batch(images[start : start + PREDICT_BATCH])
                   for start in range(0, max(len(images), 1), PREDICT_BATCH)]
        results = {key: np.concatenate([batch[key] for batch in batches]) for key in self.outputs}
        results.setdefault("not_digit", np.zeros(len(images), np.float32))
        return results

    def _run_batch(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """One Session.run over float32 [n, 784], padded with blank rows to a multiple of ROW_MULTIPLE (n > 1);
        the outputs of the n rows."""
        rows = len(batch)
        shaped = rows if rows <= 1 else -(-rows // ROW_MULTIPLE) * ROW_MULTIPLE
        if shaped > rows:
            batch = np.concatenate([batch, np.zeros((shaped - rows, IMAGE_PIXELS), np.float32)])
        outputs = self.session.run(self.outputs, {self.images: batch})
        return {key: value[:rows] for key, value in outputs.items()}

    def predict(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The digits' probabilities float32 [n, 10] and the most probable digit int64 [n] (see `run`)."""
        results = self.run(images)
        return results["probabilities"], results["classes"]

    def accuracy(self, images: np.ndarray, labels: np.ndarray) -> float:
        """Fraction of `images` (uint8 or float [n, 784]) classified as `labels` (int [n])."""
        _, classes = self.predict(images)
        return float(np.mean(classes == np.asarray(labels)))

    def close(self) -> None:
        self.session.close()
        if self.line_reader is not None:
            self.line_reader.close()

    def __enter__(self) -> SavedModelClassifier:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
