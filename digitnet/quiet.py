"""Silence TensorFlow's start-up and deprecation chatter, deliberately and visibly.

TensorFlow prints CUDA probing errors, oneDNN notices and a flood of tf.compat.v1 deprecation
warnings; in a notebook they bury the output that matters. `import digitnet` calls `silence()`
before TensorFlow is imported. Set ``DIGITNET_VERBOSE=1`` to see everything again.
"""

from __future__ import annotations

import logging
import os
import warnings

VERBOSE = os.environ.get("DIGITNET_VERBOSE", "") not in ("", "0")


def silence() -> None:
    """Hide TensorFlow's C++ log lines and Python deprecation warnings unless DIGITNET_VERBOSE is set."""
    if VERBOSE:
        return
    # Must be set before TensorFlow's C++ runtime loads; 3 hides INFO, WARNING and ERROR lines
    # (the "failed call to cuInit" line on machines without a GPU is an ERROR).
    if not os.environ.get("TF_CPP_MIN_LOG_LEVEL"):
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", message=r".*tf\.compat\.v1.*")


def silence_tensorflow_logger() -> None:
    """Quiet the Python-side ``tensorflow`` logger (deprecation notices) once TensorFlow is imported."""
    if VERBOSE:
        return
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        from tensorflow.python.util import deprecation

        deprecation._PRINT_DEPRECATION_WARNINGS = False
    except ImportError:  # private module moved: the logger level above still applies
        pass


def import_tensorflow():
    """Import and return the ``tensorflow`` module with its import-time log lines hidden.

    Some of TensorFlow's C++ libraries write to stderr before any log level applies ("All log messages
    before absl::InitializeLog() ..."), so unless DIGITNET_VERBOSE is set the process's stderr is pointed
    at /dev/null for the duration of the import only. Python errors raised by the import still surface.
    """
    import sys

    if "tensorflow" in sys.modules or VERBOSE:
        import tensorflow

        silence_tensorflow_logger()
        return tensorflow
    silence()
    saved_stderr = None
    try:
        sys.stderr.flush()
        saved_stderr = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real stderr fd (some notebook front-ends)
        saved_stderr = None
    try:
        import tensorflow
    finally:
        if saved_stderr is not None:
            os.dup2(saved_stderr, 2)
            os.close(saved_stderr)
    silence_tensorflow_logger()
    return tensorflow
