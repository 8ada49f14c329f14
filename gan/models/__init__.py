"""The networks, losses, noise and sampling, and the LightningModule that trains them."""
