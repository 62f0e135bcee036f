"""Side-by-side measurements of digitnet (not tests): `python -m benchmarks.run`.

Modules, one job each:
    run              the command line: runs the sections, writes results.md / results.json / results.png
    common           statistics (median, min-max), the run's settings, subprocess workers, floors
    machine          what the machine is, and its measured float32 matrix-multiply peak
    flops            the FLOP counts of the MLP (the formula is documented there)
    workload         the arrays every training worker uses, written once per run
    ours_mlp         worker: our TF1 graph trained with run_epoch
    keras_mlp        worker: the same network with Keras 3 model.fit
    torch_mlp        worker: the same network with a PyTorch eager loop
    training_speed   section 1: the three workers interleaved, ratios, GFLOP/s
    time_to_accuracy section 2: the default train() until the test accuracy reaches 98.0 % / 98.5 %
    data_loading     section 3: our CSV reader against np.loadtxt
    model_source     which SavedModel sections 4 and 5 measure (--model, latest SavedModel/<N>, or train one)
    inference        section 4: SavedModel load, single-image latency, batch throughput, the CLI
    user_images      section 5: accuracy on the user-like image set (also runnable alone)
    model_table      the trained-model comparison (runnable alone; not part of the default run)
    report           results.md from the results dict
    chart            results.png from the results dict
"""
