"""The one place digitnet imports TensorFlow, and the Session settings every session uses.

Other modules write ``from digitnet._tf import tf, tf1``.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

from digitnet.quiet import import_tensorflow

# What `import tensorflow` imports only for Keras: its optimizers, loaded eagerly so that Keras can register
# them for Keras' own SavedModels. TensorFlow carries on without them when they cannot be imported.
_KERAS_PRELOAD = "keras.src.optimizers"


@contextmanager
def _without_keras_preload():
    """Let ``import tensorflow`` skip importing Keras, which digitnet never uses.

    Keras (with matplotlib, which it imports) took 1.2 s of the 3.4 s ``import tensorflow`` takes on a
    2-core machine, in every CLI command and notebook kernel. A ``None`` entry in ``sys.modules`` makes that
    one import fail at once without touching Keras; it is removed again afterwards, so ``tf.keras`` or
    ``import keras`` later still load Keras in full, with its registrations.
    """
    if _KERAS_PRELOAD in sys.modules:  # Keras was imported already: nothing to skip
        yield
        return
    sys.modules[_KERAS_PRELOAD] = None
    try:
        yield
    finally:
        if sys.modules.get(_KERAS_PRELOAD, 0) is None:
            del sys.modules[_KERAS_PRELOAD]


# TensorFlow runs its CPU kernels through oneDNN by default only on processors with AVX-512 or AMX. Elsewhere
# (most laptops, AMD processors before Zen 4) it falls back to its own convolution kernels: on a 2-core AVX2
# machine (AMD EPYC, Zen 3) a training step of the default network took 79 ms that way and 30 ms with oneDNN,
# and a fresh `make run` 8 min 54 s and 5 min 59 s. It must be set before TensorFlow loads; a user's own setting (0 to
# switch it off) is kept. Where oneDNN is on by default already, this changes nothing.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

with _without_keras_preload():
    tf = import_tensorflow()
tf1 = tf.compat.v1


def session_config(threads: int = 0):
    """Session settings: `threads` kernel threads (0 = one per core) and one op at a time.

    The graphs here are chains of dependent ops, so running several ops concurrently (inter-op
    parallelism) only makes them compete for the same cores; all cores go to each matrix multiply instead.
    """
    threads = threads or os.cpu_count() or 1
    return tf1.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=1)
