"""train(cfg): config checks, run folders, checkpoints, resume, progress and the run's record."""
