"""Mode collapse as numbers, through the judge (``gan/judge.py``).

- modes covered: digit classes that receive at least 1% of the samples, by the judge's prediction (of 10);
- KL: of the judge's predicted-class histogram against uniform (0 = all digits equally often, ln 10 = one);
- judge-FD: Frechet distance between the judge's penultimate features of the samples and of the MNIST
  test images (torchmetrics' FrechetInceptionDistance with the judge as its feature network);
- judge-IS: torchmetrics' InceptionScore on the judge's logits (1 = one digit or unsure, 10 = at most).
"""

import math
import warnings

import lightning as L
import torch
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.inception import InceptionScore

LN_10 = math.log(10)  # the KL of a single class against uniform
MODE_SHARE = 0.01  # a class counts as covered when it gets at least 1% of the samples
BATCH = 1000


@torch.no_grad()
def sample_images(generator, noise, count: int, seed: int, device=None):
    """``count`` images [count, 784] from seeds drawn on the CPU with their own RNG: the same on any device.

    Returns (images, requested digits): a conditional generator is asked for each digit in turn (1,000 of each
    in 10,000); the digits are None for an unconditional one.
    """
    seeds = noise(count, generator.latent_dim, generator=torch.Generator().manual_seed(seed))
    classes = getattr(generator, "classes", None)
    if classes is None:
        return torch.cat([generator(batch.to(device)) for batch in seeds.split(BATCH)]), None
    digits = torch.arange(count) % classes
    one_hot = torch.nn.functional.one_hot(digits, classes).to(seeds.dtype)
    images = [
        generator(z.to(device), y.to(device)) for z, y in zip(seeds.split(BATCH), one_hot.split(BATCH), strict=True)
    ]
    return torch.cat(images), digits.to(device)


class JudgeMetrics:
    """Computes the four metrics of a set of images against a fixed real reference set."""

    def __init__(self, judge, reference_images: torch.Tensor):
        self.judge = judge.eval()
        self.fd = FrechetInceptionDistance(feature=judge.body, reset_real_features=False)
        with torch.no_grad():
            for batch in reference_images.split(BATCH):
                self.fd.update(batch, real=True)

    def to(self, device):
        self.judge.to(device)
        self.fd.to(device)
        return self

    @torch.no_grad()
    def __call__(self, images: torch.Tensor, digits: torch.Tensor | None = None) -> dict[str, float]:
        """The metrics of ``images``; with the ``digits`` they were asked to show, also the conditional accuracy."""
        logits = torch.cat([self.judge(batch) for batch in images.split(BATCH)])
        share = torch.bincount(logits.argmax(1), minlength=10).double() / len(images)
        seen = share[share > 0]
        self.fd.reset()  # the real features stay (reset_real_features=False)
        for batch in images.split(BATCH):
            self.fd.update(batch, real=False)
        with torch.random.fork_rng(devices=[]):  # InceptionScore shuffles with the global RNG; keep it untouched
            torch.manual_seed(0)
            with warnings.catch_warnings():  # "saves all features": 10 floats an image, by design
                warnings.simplefilter("ignore", UserWarning)
                inception = InceptionScore(feature=self.judge, splits=10).to(images.device)
            for batch in images.split(BATCH):
                inception.update(batch)
            judge_is = inception.compute()[0].item()
        values = {
            "modes": int((share >= MODE_SHARE).sum()),
            "kl": float((seen * (seen * 10).log()).sum()),
            "judge_fd": self.fd.compute().item(),
            "judge_is": judge_is,
        }
        if digits is not None:  # how often the judge reads the digit that was asked for
            values["conditional_accuracy"] = (logits.argmax(1) == digits).double().mean().item()
        return values


class EpochMetrics(L.Callback):
    """At each epoch end: the metrics of ``samples`` generated images, logged as ``metrics/*`` in TensorBoard."""

    def __init__(self, metrics: JudgeMetrics, samples: int = 10_000, seed: int = 0):
        self.metrics, self.samples, self.seed = metrics, samples, seed
        self.history: list[dict] = []  # one row per epoch; saved in checkpoints so a resumed run keeps it

    def setup(self, trainer, pl_module, stage) -> None:
        self.metrics.to(pl_module.device)

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        values = self.metrics(
            *sample_images(pl_module.generator, pl_module.noise, self.samples, self.seed, pl_module.device)
        )
        self.history.append({"epoch": trainer.current_epoch, "updates": pl_module.updates, **values})
        if pl_module.logger is not None:
            pl_module.logger.log_metrics({f"metrics/{k}": v for k, v in values.items()}, step=pl_module.updates)
        pl_module.log_dict(
            {"modes": float(values["modes"]), "judge_fd": values["judge_fd"]}, prog_bar=True, logger=False
        )

    def state_dict(self) -> dict:
        return {"history": self.history}

    def load_state_dict(self, state_dict) -> None:
        self.history = state_dict["history"]


def format_table(rows: dict[str, dict[str, float]]) -> str:
    """A Markdown table: one row per image set."""
    lines = [
        "| images | modes covered | KL | judge-FD | judge-IS | conditional accuracy |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, m in rows.items():
        accuracy = f"{m['conditional_accuracy']:.1%}" if "conditional_accuracy" in m else "-"
        lines.append(
            f"| {name} | {m['modes']}/10 | {m['kl']:.3f} | {m['judge_fd']:.2f} | {m['judge_is']:.2f} | {accuracy} |"
        )
    return "\n".join(lines)
