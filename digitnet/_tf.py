"""The one place digitnet imports TensorFlow, and the Session settings every session uses.

Other modules write ``from digitnet._tf import tf, tf1``.
"""

from __future__ import annotations

import os

from digitnet.quiet import import_tensorflow

tf = import_tensorflow()
tf1 = tf.compat.v1


def session_config(threads: int = 0):
    """Session settings: `threads` kernel threads (0 = one per core) and one op at a time.

    The graphs here are chains of dependent ops, so running several ops concurrently (inter-op
    parallelism) only makes them compete for the same cores; all cores go to each matrix multiply instead.
    """
    threads = threads or os.cpu_count() or 1
    return tf1.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=1)
