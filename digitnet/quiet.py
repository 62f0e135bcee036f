"""Quiet TensorFlow's start-up and deprecation chatter, deliberately and visibly.

TensorFlow prints CUDA probing errors, oneDNN notices and a flood of tf.compat.v1 deprecation warnings;
in a notebook they bury the output that matters. Importing digitnet leaves warnings and logging alone: the entry
points (``python -m digitnet``) and the notebooks' Setup cells call `quiet_tensorflow()` themselves, and
its filters match only warnings raised from TensorFlow's and Keras' own modules, so a user's warnings
still show. Set ``DIGITNET_VERBOSE=1`` to see everything again.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings

_QUIET = {"requested": False}
# Warnings raised from these packages' modules (the tf.compat.v1 deprecation notices among them).
_CHATTY_MODULES = r"(tensorflow|keras|tf_keras|absl|google\.protobuf)(\.|$)"


def verbose() -> bool:
    """True when DIGITNET_VERBOSE asks to see everything."""
    return os.environ.get("DIGITNET_VERBOSE", "") not in ("", "0")


def quiet_tensorflow() -> None:
    """Hide TensorFlow's C++ log lines and its deprecation warnings (call before TensorFlow is imported).

    Sets ``TF_CPP_MIN_LOG_LEVEL=3`` unless the user set it (it must be in the environment before the C++
    runtime loads; 3 hides INFO, WARNING and ERROR lines, such as "failed call to cuInit" on machines
    without a GPU), and filters warnings from TensorFlow's own modules only.
    """
    if verbose():
        return
    _QUIET["requested"] = True
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for category in (DeprecationWarning, FutureWarning, UserWarning):
        warnings.filterwarnings("ignore", category=category, module=_CHATTY_MODULES)
    if "tensorflow" in sys.modules:
        _quiet_tensorflow_logger()


def _quiet_tensorflow_logger() -> None:
    """Quiet the Python-side ``tensorflow`` logger (where tf.compat.v1 prints its deprecation notices)."""
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        from tensorflow.python.util import deprecation

        deprecation._PRINT_DEPRECATION_WARNINGS = False
    except ImportError:  # private module moved: the logger level above still applies
        pass


def import_tensorflow():
    """Import and return ``tensorflow``; when `quiet_tensorflow` was called, without its import-time lines.

    Some of TensorFlow's C++ libraries write to stderr before any log level applies ("All log messages
    before absl::InitializeLog() ..."), so in quiet mode the process's stderr is pointed at /dev/null for
    the duration of the import only. Python errors raised by the import still surface.
    """
    if "tensorflow" in sys.modules or not _QUIET["requested"]:
        import tensorflow

        if _QUIET["requested"]:
            _quiet_tensorflow_logger()
        return tensorflow
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
    _quiet_tensorflow_logger()
    return tensorflow
