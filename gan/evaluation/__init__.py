"""The judge and its metrics, sampling pictures, seed exploration, export and sweep reports."""
