"""The walkthrough's GAN as a LightningModule with manual optimization, trained the way Lightning documents it.

One ``training_step`` is one update on one batch, made by one of two update objects (gan/models/update_steps.py):
``ThreeSteps``, the walkthrough's three optimizer steps on D's probability (``loss=mse|bce``), or ``LogitSteps``, a
real and a fake batch judged in one D step on D's logits, with the gradient penalties (``loss=nonsaturating|hinge|
wgan|rpgan``). Both step through ``self.optimizers()``, ``self.toggled_optimizer`` and ``self.manual_backward``, so
the Trainer's flags mean what Lightning's docs say (``precision``, ``max_steps``: three optimizer steps per update,
two with a loss on logits or the DCGAN's update, ``limit_train_batches``: updates).
At batch size 1 the walkthrough's own loop runs instead (``FaithfulGAN``, gan/models/faithful.py), bit for bit.
A conditional GAN (``model=conditional``) also feeds each network the digit.
"""

import lightning as L
import torch
from lightning.pytorch.loggers import TensorBoardLogger

from gan.data.pictures import SCATTER_POINTS, scatter_picture, tile
from gan.errors import ConfigError, DivergedError
from gan.models.averaging import GeneratorAverage
from gan.models.information import CodeInformation
from gan.models.losses import LogitLoss
from gan.models.penalties import Penalty
from gan.models.sampling import digits_in_turn, draw_noise, draw_seeds, noise_vectors, one_hot
from gan.models.schedules import Ramps, Schedule, planned_updates
from gan.models.state import LossRecords, TrainingState
from gan.models.update_steps import LogitSteps, SummedSteps, ThreeSteps
from gan.rules import D_UPDATE, EMA_DECAY, POSITIVE_INT


class GAN(L.LightningModule):
    # Longer than this project's 150 lines for a class, on purpose: it is the one object Lightning sees, so it holds
    # Lightning's hooks (the step, the optimizers, checkpoint state, epoch and run ends) beside the networks. Each
    # hook is a few lines that hand the work to an object of its own: the update (update_steps.py), the loss
    # records and the run's state (state.py), the schedules and ramps (schedules.py), the EMA (averaging.py), the
    # drawing (sampling.py).
    def __init__(
        self,
        generator: torch.nn.Module,
        discriminator: torch.nn.Module,
        loss: torch.nn.Module,
        optimizer,  # partial: parameters -> torch.optim.Optimizer, used for D and for G
        noise,  # (*shape, generator=None, device=None) -> noise z: gan.models.noise.Uniform (torch.rand) or Gaussian
        log_every: int = 10,  # the walkthrough records a network's loss every 10 of its optimizer steps
        sample_grid: tuple[int, int] = (2, 3),  # the walkthrough's 2x3 panel (samples.png)
        panel_grid: tuple[int, int] = (8, 8),  # TensorBoard's sample panel, shown at twice the size
        ema_decay: float | None = None,  # a cure: sample from an exponential moving average of G's weights
        max_updates: int | None = None,  # stop after this many updates over the run (None: no limit)
        max_images: int | None = None,  # stop once this many real images have been seen (None: no limit)
        penalty: Penalty | None = None,  # gradient penalties on D (R1, R2, GP); None: none
        schedule: Schedule | None = None,  # the learning rate's (and the penalties') schedule; None: constant
        ramps: Ramps | None = None,  # R3GAN's: lr, gamma, beta2, EMA half-life over images seen; None: none
        info_weight: float | None = None,  # InfoGAN's term on noise=coded (gan/models/information.py); None: none
        d_update: str = "split",  # on D's probability: the walkthrough's two D steps, or the DCGAN's one ("summed")
    ):
        # over 50 lines: one argument per config key (configs map one-to-one onto constructor arguments), each kept
        super().__init__()
        POSITIVE_INT.check("log_every", log_every)
        EMA_DECAY.check("model.ema_decay", ema_decay)
        self.penalty, self.schedule, self.ramps = penalty or Penalty(), schedule or Schedule(), ramps or Ramps()
        self.on_logits = isinstance(loss, LogitLoss)
        if self.penalty.active and not self.on_logits:
            raise ConfigError(
                f"penalty ({self.penalty}) needs a loss on D's logits: loss=nonsaturating, hinge, wgan or rpgan; "
                f"loss={type(loss).__name__} compares D's probability with a target, in the walkthrough's three steps"
            )
        self.automatic_optimization = False
        self.generator, self.discriminator, self.loss = generator, discriminator, loss
        self.optimizer, self.noise = optimizer, noise
        D_UPDATE.check("model.d_update", d_update)
        # a loss on logits always takes one D step on the real and the fake batch: d_update picks among the updates
        # on D's probability
        self.update = LogitSteps() if self.on_logits else SummedSteps() if d_update == "summed" else ThreeSteps()
        self.total_updates: int | None = None  # the run's length, for the schedule (configure_optimizers)
        averaged = ema_decay is not None or self.ramps.ema_half_life is not None  # `sampler` draws from it
        self.ema_generator = GeneratorAverage(generator, ema_decay) if averaged else None
        self.latent_dim = generator.latent_dim
        self.classes = generator.classes  # a conditional GAN's number of digits, else None
        # Q: a head on D's features, trained with D (its weights are in D's optimizer)
        self.information = CodeInformation.for_networks(info_weight, discriminator, noise, self.classes, self.on_logits)
        self.last_information: torch.Tensor | None = None  # Q's term in the last G step (update_steps.LogitSteps)
        self.log_every = log_every
        self.sample_grid = tuple(sample_grid)
        self.max_updates, self.max_images = max_updates, max_images
        self.panel_grid = tuple(panel_grid)
        self._register_panels(noise)
        self.records = LossRecords(log_every)  # every log_every-th loss of each network, and the last step's
        self.state = TrainingState()  # updates, images, the place in the epoch, the noise RNG: saved in checkpoints
        self.ranks_agree: bool | None = None  # after multi-process training: were D and G identical on every rank?

    def _register_panels(self, noise) -> None:
        """The fixed noise of samples.png (``sample_grid``) and of TensorBoard's larger panel (``panel_grid``)."""
        # the panel shows seeds 0, 1, 2, ...: the images `generate.py RUN samples` draws for the same grid
        rows, cols = self.sample_grid
        self.register_buffer("fixed_noise", noise_vectors(noise, self.latent_dim, range(rows * cols)))
        # a conditional panel asks for the digits in turn: 0, 1, 2, ... (derived, so not saved in checkpoints)
        self.register_buffer("fixed_labels", digits_in_turn(rows * cols, self.classes or 1), persistent=False)
        # TensorBoard's panel, larger: seeds 0 .. 63 in 8x8 (its first row starts with the PNG's seeds)
        count = self.panel_grid[0] * self.panel_grid[1]
        self.register_buffer("panel_noise", noise_vectors(noise, self.latent_dim, range(count)), persistent=False)
        self.register_buffer("panel_labels", digits_in_turn(count, self.classes or 1), persistent=False)

    @classmethod
    def load_from_checkpoint(cls, checkpoint_path, *args, **kwargs):
        """Refused, naming ``gan.load``: a run's networks, loss and noise are built from the config its checkpoint
        carries, and that config is checked before anything in it is built (gan/training/carried_config.py).
        Lightning's loader would build the module from saved hyperparameters instead, unchecked."""
        raise ConfigError(
            f"{cls.__name__}.load_from_checkpoint({str(checkpoint_path)!r}) does not rebuild a run of this project: "
            f"use gan.load({str(checkpoint_path)!r}) (a run folder or a .ckpt file), whose .module is this "
            "LightningModule, trained; it builds the run from the config its checkpoint carries, checked first"
        )

    def configure_optimizers(self):
        q_head = self.information.parameters() if self.information is not None else ()
        judging = [*self.discriminator.parameters(), *q_head]
        optimizers = [self.optimizer(judging), self.optimizer(self.generator.parameters())]
        if self.schedule.constant:
            return tuple(optimizers)
        limits = (self.max_updates, self.max_images, self.update.optimizer_steps)
        self.total_updates = planned_updates(self.trainer, *limits, f"schedule.shape={self.schedule.shape}")
        # stepped once per update in training_step (manual optimization: Lightning leaves the stepping to us)
        return optimizers, [
            torch.optim.lr_scheduler.LambdaLR(o, lambda update: self.schedule.factor(update, self.total_updates))
            for o in optimizers
        ]

    @property
    def sampler(self) -> torch.nn.Module:
        """The generator that draws the run's pictures and metrics: G, or its moving average with ``ema_decay``."""
        return self.generator if self.ema_generator is None else self.ema_generator.module

    @property
    def updates(self) -> int:
        """Updates done over all epochs (three optimizer steps each; two with a loss on logits or the DCGAN's
        ``model.d_update=summed``)."""
        return self.state.updates

    def sample(self, noise: torch.Tensor, digits: torch.Tensor | None = None) -> torch.Tensor:
        """Images for the vectors ``noise`` (and, for a conditional GAN, the ``digits``; None: in turn), through
        ``sampling.draw_noise``."""
        return draw_noise(self, noise, digits).samples

    @property
    def progress(self) -> dict[str, list[tuple[int, float]]]:
        """Each network's recorded losses, (update, loss): every ``log_every``-th of its optimizer steps."""
        return self.records.progress

    @property
    def last_losses(self) -> tuple[float, float] | None:
        """The mean losses of D's steps and of G's step in the last ``training_step`` (the progress bar's pair)."""
        return self.records.last

    def condition(self, labels):
        """The extra inputs of a conditional network: () for the walkthrough's, (one-hot digits,) otherwise."""
        if self.classes is None:
            return ()
        return (one_hot(labels, self.classes, self.fixed_noise.dtype).to(self.device),)

    def random_digits(self, batch_shape):
        return () if self.classes is None else self.condition(torch.randint(0, self.classes, batch_shape))

    def training_step(self, batch, batch_idx):
        real, labels = batch
        opt_d, opt_g = self.optimizers()
        if self.ramps.any:  # R3GAN's schedule, at the images seen before this update
            self.ramps.apply((opt_d.optimizer, opt_g.optimizer), self.state.images)
            if self.ramps.ema_half_life is not None:
                per_update = real.shape[:-1].numel() * self.trainer.world_size
                self.ema_generator.decay = self.ramps.ema_decay(self.state.images, per_update)
        losses = self.update(self, real, labels, opt_d, opt_g)
        if self.ema_generator is not None:
            self.ema_generator.update_parameters(self.generator)
        if not self.schedule.constant:
            for scheduler in self.lr_schedulers():
                scheduler.step()
        self._count(losses[None].cpu(), [batch])
        if self.updates % self.trainer.log_every_n_steps == 0:  # the steps whose logs Lightning writes
            # (a self.log call costs Lightning ~1 ms: 15% of a batch-256 MLP update, for values it would drop).
            # TensorBoard's axis is images seen (all processes): Lightning takes a logged "step" as the x value
            d_loss, g_loss = self.last_losses
            logged = {"loss/D": d_loss, "loss/G": g_loss, "step": float(self.state.images)}
            if self.last_information is not None:  # InfoGAN's term in G's step, beside G's GAN loss
                logged["loss/info"] = self.last_information
            self.log_dict(logged)
        if self.state.reached(self.max_updates, self.max_images):
            self.trainer.should_stop = True  # Lightning's public way to end fit(): the epoch ends here

    def _count(self, losses: torch.Tensor, updates) -> list[tuple[str, int, float, int]]:
        """Check every value of ``losses`` [updates, steps] of the ``updates`` (images, labels) just done; record
        them (``LossRecords``) and advance the state. Returns the kept records (network, update, loss, images seen)."""
        finite = torch.isfinite(losses)
        if not finite.all():
            row, stage = (~finite).nonzero()[0].tolist()
            raise self._non_finite(self.updates + row + 1, stage, f"loss {losses[row, stage].item()}")
        images = [real.shape[:-1].numel() * self.trainer.world_size for real, _ in updates]  # 1 each at batch size 1
        records = self.records.add(losses, self.update.d_losses, self.updates, self.state.images, images)
        self.state.advance(len(updates), sum(images))
        return records

    def _non_finite(self, update: int, stage: int, what: str) -> FloatingPointError:
        return DivergedError(
            f"non-finite {what} in step '{self.update.steps[stage]}' of update {update} (epoch {self.current_epoch}); "
            "training stopped. Checkpoints written before this point are intact; "
            "lower the learning rate or check the data."
        )

    @property
    def draws_points(self) -> bool:
        """Does G draw 2D points (a Gaussian mixture) rather than images?"""
        return getattr(self.generator, "point_dim", None) is not None

    def points(self, count: int = SCATTER_POINTS) -> torch.Tensor:
        """``count`` points [count, 2] from seeds 0 .. count - 1: the scatter panel's, as ``generate.py`` draws them."""
        return draw_seeds(self, range(count)).samples

    def on_train_epoch_end(self) -> None:
        if isinstance(self.logger, TensorBoardLogger) and self.draws_points:
            picture = scatter_picture(self.points().cpu(), self.trainer.datamodule.mixture.means)
            self.logger.experiment.add_image("samples", picture, self.state.images, dataformats="CHW")
        elif isinstance(self.logger, TensorBoardLogger):
            images = self.sample(self.panel_noise, self.panel_labels).cpu()
            picture = tile(images, *self.panel_grid).repeat_interleave(2, -1).repeat_interleave(2, -2)  # 2x: legible
            self.logger.experiment.add_image("samples", picture, self.state.images, dataformats="CHW")

    def on_train_end(self) -> None:
        if self.trainer.world_size > 1:
            weights = torch.cat([p.detach().flatten() for p in self.parameters()])
            every_rank = self.all_gather(weights)  # [world_size, parameters]
            self.ranks_agree = bool((every_rank == every_rank[0]).all())
            if not self.ranks_agree:
                raise RuntimeError("D and G differ between ranks after training: gradients were not synchronised")

    def on_save_checkpoint(self, checkpoint) -> None:
        checkpoint["gan"] = {"state": self.state.state_dict(), "progress": self.progress}

    def on_load_checkpoint(self, checkpoint) -> None:
        if "state" not in checkpoint.get("gan", {}):
            raise ConfigError(
                "this checkpoint predates the run's own training state (gan.models.state), so it cannot be resumed "
                "exactly; evaluate.py and generate.py still load it, and a new run can start from scratch"
            )
        self.state.load_state_dict(checkpoint["gan"]["state"])
        self.records.progress = checkpoint["gan"]["progress"]

    def on_train_start(self) -> None:
        if self.trainer.world_size > 1 and not self.state.restoring:
            torch.manual_seed(torch.initial_seed() + self.global_rank)  # each rank's noise from its own seed
        self.state.restore_rng()  # a resumed run's: applied here, after everything that restoring or setup draws
