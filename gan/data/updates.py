"""The training data handed to Lightning as GAN updates, from where the run's own state says it stands."""

import math

import lightning as L
import numpy as np
import torch

from gan.config import faithful_batch


def usable_rows(rows: int, images_per_update: int, pack: int) -> int:
    """How many of an epoch's ``rows`` make updates: the last, short update keeps whole packs only."""
    return rows - rows % images_per_update % pack


class UpdateLoader:
    """An epoch of GAN updates, each ``batch_size`` (x ``pack``) images with their labels.

    Batched (``chunk_size=None``), each item is one update's batch ``(images [B, 784], labels [B])``: one Lightning
    ``training_step`` per batch, as Lightning documents it. The faithful batch-1 mode passes a ``chunk_size``:
    each item is then a list of updates (one unbatched image [784] each, exactly what the walkthrough feeds D),
    so Lightning's per-step cost is paid once per chunk rather than once per image (gan/models/faithful.py).
    """

    def __init__(
        self,
        images,
        labels,
        batch_size: int,
        chunk_size: int | None,
        shuffle: bool,
        seed: int,
        position=None,
        rank=0,
        ranks=1,
        pack: int = 1,
    ):
        self.images, self.labels = images, labels
        self.pack = pack  # a packed D judges `pack` images at once: every update's count must divide by it
        # with several processes (DDP) each takes every ranks-th row of the epoch's order, all the same count
        self.rank, self.ranks = rank, ranks
        self.batch_size = batch_size
        self.chunked = chunk_size is not None
        self.rows = max(batch_size, chunk_size // batch_size * batch_size) if self.chunked else batch_size
        self.shuffle, self.seed = shuffle, seed
        # () -> (epoch, updates of it already done): where an epoch's iteration starts, so that a run
        # resumed mid-epoch continues with the very next update
        self.position = position or self._count_epochs
        self._epochs = 0

    # Lightning's resumable-dataloader protocol. The place in the epoch is the module's TrainingState
    # (gan.models.state), saved in every checkpoint and read back through `position`; this object holds
    # nothing else to save.
    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        pass

    def _count_epochs(self) -> tuple[int, int]:
        self._epochs += 1
        return self._epochs - 1, 0

    def __len__(self) -> int:
        return math.ceil(usable_rows(len(self.images) // self.ranks, self.batch_size, self.pack) / self.rows)

    def __iter__(self):
        epoch, done = self.position()
        rows = self._epoch_rows(epoch)
        count = usable_rows(len(self.images) if rows is None else len(rows), self.batch_size, self.pack)
        for start in range(done * self.batch_size, count, self.rows):
            end = min(start + self.rows, count)
            if rows is None:  # file order in one process: slices, no copies
                yield self._updates(self.images[start:end], self.labels[start:end])
            else:
                yield self._updates(self.images[rows[start:end]], self.labels[rows[start:end]])

    def _epoch_rows(self, epoch: int) -> torch.Tensor | None:
        """This process's rows of ``epoch``, in training order; None for the file's own order in one process."""
        order = self._shuffled(epoch) if self.shuffle else None
        if self.ranks > 1:
            order = torch.arange(len(self.images)) if order is None else order
            order = order[: len(order) // self.ranks * self.ranks][self.rank :: self.ranks]
        return None if order is None else order.to(self.images.device)

    def _shuffled(self, epoch: int) -> torch.Tensor:
        # a generator of its own, seeded by (seed, epoch): the global RNG that draws the noise is untouched
        seed = int(np.random.SeedSequence([self.seed, epoch]).generate_state(1)[0])
        return torch.randperm(len(self.images), generator=torch.Generator().manual_seed(seed))

    def _updates(self, images: torch.Tensor, labels: torch.Tensor):
        """One update's batch; in chunked mode a chunk's rows as its updates: one unbatched image each at batch
        size 1, else batches (a packed D's)."""
        if not self.chunked:
            return images, labels
        if self.batch_size == 1:
            return list(zip(images.unbind(), labels.unbind(), strict=True))
        return list(zip(images.split(self.batch_size), labels.split(self.batch_size), strict=True))


class UpdatesDataModule(L.LightningDataModule):
    """What every dataset of this project shares: its ``train_set`` (``images``, ``labels``) handed out as GAN updates
    of ``batch_size x pack`` samples (``UpdateLoader``), starting where the run's own state says. A subclass sets
    ``batch_size``, ``chunk_size``, ``shuffle``, ``seed``, ``pack`` and fills ``train_set`` in ``setup``."""

    def train_dataloader(self) -> UpdateLoader:
        self.setup()
        # the whole set moves to the training device once (188 MB as float32 for MNIST), not batch by batch
        device = self.trainer.strategy.root_device if self.trainer is not None else torch.device("cpu")
        images = self.train_set.images.to(device)
        labels = self.train_set.labels.long().to(device)
        ranks, rank = (self.trainer.world_size, self.trainer.global_rank) if self.trainer is not None else (1, 0)
        return UpdateLoader(
            images,
            labels,
            self.images_per_update,
            self.chunk_size if faithful_batch(self.batch_size) else None,  # the faithful mode: chunks
            self.shuffle,
            self.seed,
            self._position,
            rank,
            ranks,
            self.pack,
        )

    def updates_per_epoch(self, ranks: int = 1) -> int:
        """Updates in one epoch of each of ``ranks`` processes (as ``UpdateLoader`` walks it)."""
        self.setup()
        count = usable_rows(len(self.train_set) // ranks, self.images_per_update, self.pack)
        return -(-count // self.images_per_update)

    @property
    def images_per_update(self) -> int:
        """Real samples one update takes in one process (the epoch's last update may take fewer)."""
        return self.batch_size * self.pack

    def _position(self) -> tuple[int, int]:
        # the module's own record of the run (gan.models.state), restored from the checkpoint when resuming
        epoch = self.trainer.current_epoch
        return epoch, self.trainer.lightning_module.state.position(epoch)
