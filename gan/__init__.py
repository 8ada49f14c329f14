"""The classic first MNIST GAN as a Lightning + Hydra project."""
