"""Datasets: CSV files, IDX downloads, Stacked MNIST, 2D mixtures, and the DataModules that hand them out."""
