"""digitnet: a handwritten-digit recogniser in TensorFlow-1 graph style on TensorFlow 2.x.

Importing the package changes nothing global; entry points and notebooks call
`digitnet.quiet.quiet_tensorflow()` to hide TensorFlow's chatter. ARCHITECTURE.md maps the modules.
"""

__version__ = "0.2.0"
