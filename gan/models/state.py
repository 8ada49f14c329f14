"""Where a run stands, in the project's own terms: updates, images, the place in the epoch, the noise RNG.

Lightning counts optimizer steps and batches; this project's unit is the three-step update, and a batch
(a chunk) holds many of them. The module keeps one ``TrainingState`` and saves it in every checkpoint through
its public ``on_save_checkpoint`` / ``on_load_checkpoint`` hooks; the data reads ``position`` from it to start
a resumed epoch at the very next update. Nothing here reads Lightning's loop internals.
"""

import torch


def rng_state() -> dict:
    """torch's global RNG (CPU, and every CUDA device when there is one): the noise is drawn from it."""
    state = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["cpu"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


class TrainingState:
    """Counts what a run has done, so that limits, logs and a resumed run agree on where it stands.

    - ``updates``: three-step updates done over the whole run (each process does the same number);
    - ``images``: real images seen over the whole run, by all processes together (the TensorBoard axis);
    - ``epoch``, ``epoch_updates``: the epoch being walked and the updates already done in it.
    """

    def __init__(self) -> None:
        self.updates = 0
        self.images = 0
        self.epoch = 0
        self.epoch_updates = 0
        self._rng_to_restore: dict | None = None

    def position(self, epoch: int) -> int:
        """Updates already done in ``epoch`` (0 for an epoch not yet begun): where its data continues."""
        if epoch != self.epoch:
            self.epoch, self.epoch_updates = epoch, 0
        return self.epoch_updates

    def advance(self, updates: int, images: int) -> None:
        self.updates += updates
        self.epoch_updates += updates
        self.images += images

    def reached(self, max_updates: int | None, max_images: int | None) -> bool:
        """Has the run done ``max_updates`` updates or seen ``max_images`` images (None: no such limit)?"""
        return (max_updates is not None and self.updates >= max_updates) or (
            max_images is not None and self.images >= max_images
        )

    def state_dict(self) -> dict:
        # the RNG is captured at the moment of saving: a resumed run draws the seeds this one would draw next
        return {
            "updates": self.updates,
            "images": self.images,
            "epoch": self.epoch,
            "epoch_updates": self.epoch_updates,
            "rng": rng_state(),
        }

    def load_state_dict(self, state: dict) -> None:
        self.updates = state["updates"]
        self.images = state["images"]
        self.epoch, self.epoch_updates = state["epoch"], state["epoch_updates"]
        self._rng_to_restore = state["rng"]

    @property
    def restoring(self) -> bool:
        """A loaded checkpoint's RNG is waiting to be applied."""
        return self._rng_to_restore is not None

    def restore_rng(self) -> None:
        """Apply a loaded checkpoint's RNG; called when training starts, after everything that restoring draws."""
        if self._rng_to_restore is not None:
            set_rng_state(self._rng_to_restore)
            self._rng_to_restore = None


class LossRecords:
    """The losses a run keeps, as the walkthrough's ``progress`` lists do: each network's every ``log_every``-th
    optimizer step, as (update, loss); and the last ``training_step``'s mean losses of D's steps and of G's."""

    def __init__(self, log_every: int) -> None:
        self.log_every = log_every
        self.progress: dict[str, list[tuple[int, float]]] = {"D": [], "G": []}
        self.last: tuple[float, float] | None = None

    def add(self, losses: torch.Tensor, d_steps: int, updates: int, seen: int, images: list[int]) -> list[tuple]:
        """Record ``losses`` [len(images), steps] of the updates after the first ``updates`` (``seen`` images so
        far; ``images`` each one took): the first ``d_steps`` columns are D's losses, the last G's. Returns the
        kept records as (network, update, loss, images seen by then)."""
        records = []
        for row, taken in zip(losses.tolist(), images, strict=True):
            updates, seen = updates + 1, seen + taken
            # count each network's own steps: D's j-th step of update u is its (d_steps (u - 1) + j)-th
            for j, d in enumerate(row[:d_steps], 1):
                if (d_steps * (updates - 1) + j) % self.log_every == 0:
                    records.append(("D", updates, d, seen))
            if updates % self.log_every == 0:
                records.append(("G", updates, row[-1], seen))
        for network, update, value, _ in records:
            self.progress[network].append((update, value))
        self.last = (losses[:, :d_steps].mean().item(), losses[:, -1].mean().item())
        return records
