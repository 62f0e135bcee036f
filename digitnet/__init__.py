"""digitnet: a handwritten-digit recogniser in TensorFlow-1 graph style on TensorFlow 2.x.

Importing the package leaves warnings and logging alone; entry points and notebooks call
`digitnet.quiet.quiet_tensorflow()` to hide TensorFlow's chatter. The modules that import TensorFlow switch
its oneDNN kernels on first (`digitnet._tf`). ARCHITECTURE.md maps the modules.
"""

__version__ = "0.2.0"
