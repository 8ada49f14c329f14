"""The faithful mode (``data.batch_size=1``): the walkthrough's loop, image by image, bit for bit and at full speed.

This is the project's one exception to training the way Lightning documents it (gan/models/gan.py). At batch
size 1 an update is three tiny optimizer steps on a [784] vector, and Lightning's per-call machinery
(``LightningOptimizer.step``, ``manual_backward``'s precision hooks, ``self.log``) costs more than the arithmetic.
So one ``training_step`` walks a chunk of ``data.chunk_size`` images, update by update, stepping the raw torch
optimizers and calling ``Tensor.backward`` directly: the same tensors, random draws and order of operations as
the walkthrough, within 1.07x of a plain in-memory loop (scripts/benchmark.py).

What this costs, and is refused up front (gan/training/config_checks.py): Lightning's step counter does not
advance here, so ``trainer.max_steps`` and a count for ``trainer.limit_train_batches`` do not apply (use
``max_updates`` / ``max_images``), and ``trainer.precision`` stays 32-true.
"""

import torch

from gan.models.gan import GAN


class FaithfulGAN(GAN):
    """``GAN`` whose ``training_step`` walks a chunk of batch-1 updates (``UpdateLoader`` with a chunk size)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._backward = torch.Tensor.backward  # manual_backward's per-call hooks cost more than a [784] step
        self._d_parameters = list(self.discriminator.parameters())  # toggled around G's step; listed once

    def training_step(self, chunk, chunk_index):
        # the raw torch optimizers, not Lightning's wrappers: Lightning's global_step therefore stays 0, and the
        # run's own counts are in `state`
        opt_d, opt_g = (optimizer.optimizer for optimizer in self.optimizers())
        updates = chunk[: self._updates_left(len(chunk))]
        # each step's loss is copied into this buffer on the device, read back once per chunk: no host sync per
        # step, and no thousands of small loss tensors kept alive (which slows the CPU allocator by ~8%)
        losses = torch.full((len(updates), 3), torch.nan, device=self.device)
        self._walk(updates, opt_d, opt_g, losses.view(-1))
        if updates:
            # several records per chunk, each at its own x (images seen): self.log keeps one value per step
            for network, _, value, seen in self._count(losses.cpu(), updates):
                if self.logger is not None:
                    self.logger.log_metrics({f"loss/{network}": value}, step=seen)
        if self.state.reached(self.max_updates, self.max_images):
            self.trainer.should_stop = True

    def _updates_left(self, wanted: int) -> int:
        """How many of the chunk's ``wanted`` updates fit under max_updates and max_images."""
        room = wanted
        if self.max_updates is not None:
            room = min(room, self.max_updates - self.updates)
        if self.max_images is not None:  # whole updates until the count is reached (the last may pass it)
            per_update = self.trainer.datamodule.images_per_update * self.trainer.world_size
            room = min(room, -(-(self.max_images - self.state.images) // per_update))
        return max(room, 0)

    def _walk(self, updates, opt_d, opt_g, losses) -> None:
        """The three-step updates of a chunk, in order; step k's loss goes into ``losses[k]`` (3 per update).

        Everything the loop touches is bound to a local first: at batch size 1 a network attribute lookup
        (nn.Module.__getattr__) or a fresh target tensor costs about as much as a small op, and this loop is
        the whole of the faithful mode's time."""
        D, G, loss, noise, latent_dim = self.discriminator, self.generator, self.loss, self.noise, self.latent_dim
        condition, random_digits, d_parameters = self.condition, self.random_digits, self._d_parameters
        backward, ema = self._backward, self.ema_generator
        targets = {}  # D's output shape -> (ones, zeros): made once, not three times per update

        def step(optimizer, value, k):
            optimizer.zero_grad()
            backward(value)
            optimizer.step()
            losses[k].copy_(value.detach())

        k = 0
        for real, labels in updates:
            # () at batch size 1, as in the walkthrough; packed (model.pack=m), D sees m samples per judgement
            batch_shape = real.shape[:-1]
            # (1) D on real images, target 1; a conditional GAN pairs them with their digits
            judged = D(real, *condition(labels))
            ones_zeros = targets.get(judged.shape)
            if ones_zeros is None:
                ones_zeros = targets[judged.shape] = (torch.ones_like(judged), torch.zeros_like(judged))
            ones, zeros = ones_zeros
            step(opt_d, loss(judged, ones), k)
            # (2) D on fakes from z1, target 0 (a conditional GAN's fakes get digits drawn at random)
            digits = random_digits(batch_shape)
            with torch.no_grad():  # the walkthrough's G(z1).detach(): same values, no graph to build
                fake = G(noise(*batch_shape, latent_dim, device=real.device), *digits)
            step(opt_d, loss(D(fake, *digits), zeros), k + 1)
            # (3) G through D on a fresh z2, target 1
            digits = random_digits(batch_shape)
            fake = G(noise(*batch_shape, latent_dim, device=real.device), *digits)
            # D's weight gradients are not needed for G's step (the walkthrough computes and discards them)
            for parameter in d_parameters:
                parameter.requires_grad_(False)
            step(opt_g, loss(D(fake, *digits), ones), k + 2)
            for parameter in d_parameters:
                parameter.requires_grad_(True)
            if ema is not None:
                ema.update_parameters(G)
            k += 3

    def on_train_start(self) -> None:
        if self.trainer.world_size > 1:
            self._backward = self.manual_backward  # DDP averages the gradients inside manual_backward
        super().on_train_start()
