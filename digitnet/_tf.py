"""The one place digitnet imports TensorFlow, after silencing its start-up chatter.

Other modules write ``from digitnet._tf import tf, tf1``.
"""

from digitnet.quiet import import_tensorflow

tf = import_tensorflow()
tf1 = tf.compat.v1
