"""Mode collapse as numbers, through the judge (``gan/evaluation/judge.py``).

- modes covered: digit classes that receive at least 1% of the samples, by the judge's prediction (of 10);
  on Stacked MNIST the digit triples that occur at least once (of 1,000), as the papers count them;
- KL: of the judge's predicted-mode histogram against uniform (0 = all modes equally often, ln 10 = one digit;
  ln 1000 = one triple on Stacked MNIST);
- confident: the share of samples the judge reads with a max softmax above 0.9 (every channel, when stacked);
- judge-FD: Frechet distance between the judge's penultimate features of the samples and of the MNIST
  test images (torchmetrics' FrechetInceptionDistance with the judge as its feature network);
- judge-IS: torchmetrics' InceptionScore on the judge's logits (1 = one digit or unsure, 10 = at most).
"""

import math
import time
import warnings

import lightning as L
import torch
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.inception import InceptionScore

from gan.data.csv_files import PIXELS
from gan.data.stacked import stack_codes
from gan.evaluation.judge import JUDGE_FLOOR, untrustworthy
from gan.evaluation.manifold import ManifoldMetrics
from gan.logs import log
from gan.models.sampling import draw_fresh, draw_fresh_kept
from gan.models.sampling_cures import RejectionSampler

LN_10 = math.log(10)  # the KL of a single class against uniform
MODE_SHARE = 0.01  # on MNIST a digit counts as covered when it gets at least 1% of the samples
CONFIDENT = 0.9  # a sample is legible when the judge's max softmax exceeds this
BATCH = 1000  # images through the judge at a time


class _Given(torch.nn.Identity):
    """A torchmetrics feature network for features computed beforehand: passes them through."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = num_features  # read by FrechetInceptionDistance


def mode_counts(modes: torch.Tensor, possible: int) -> dict[str, float]:
    """Coverage of ``possible`` modes by samples whose modes are ``modes`` [N] (ints in 0 .. possible - 1).

    - ``modes_covered``: distinct modes that occur at least once (the Stacked MNIST papers' count);
    - ``kl``: KL(generated mode distribution || uniform over ``possible``), in nats: 0 when every mode is
      equally frequent, ln(possible) for a single mode.
    """
    share = torch.bincount(modes, minlength=possible).double() / len(modes)
    seen = share[share > 0]
    return {"modes_covered": int(len(seen)), "kl": float((seen * (seen * possible).log()).sum())}


class JudgeMetrics:
    """Computes the metrics of a set of images against a fixed real reference set (the test digits).

    For images of several channels (Stacked MNIST) the judge reads each channel as a digit, the mode of an
    image is its tuple of digits (1,000 of them for 3 channels), and ``modes``/``kl`` count those tuples
    exactly as the papers do: a mode is covered when it occurs at least once. On plain MNIST a digit counts
    as covered when it gets at least 1% of the samples. judge-FD and judge-IS are over the single digits.
    ``confident`` is the share of images the judge reads with a max softmax above 0.9 (every channel, when
    stacked): the rest are not legibly any digit.
    """

    def __init__(self, judge, reference_images: torch.Tensor, channels: int = 1, about=None, class_names=None):
        self.judge = judge.eval()
        self.channels = channels
        # which dataset and judge: {"dataset", "judge" (its file), "judge_accuracy"} (tables name them)
        self.about = dict(about or {})
        self.class_names = list(class_names or map(str, range(10)))
        self.possible = 10**channels
        # judge-FD and judge-IS take the judge's features and logits as they are: one judge pass per image set
        self.fd = FrechetInceptionDistance(feature=_Given(judge.body.num_features), reset_real_features=False)
        with torch.no_grad():
            reference = torch.cat([judge.body(batch) for batch in reference_images.split(BATCH)])
        self.fd.update(reference, real=True)
        # fidelity and diversity apart, in the judge's feature space (over single digits, as judge-FD)
        self.manifold = ManifoldMetrics(reference)

    def to(self, device):
        self.judge.to(device)
        self.fd.to(device)
        self.manifold.to(device)
        return self

    @torch.no_grad()
    def __call__(self, images: torch.Tensor, digits: torch.Tensor | None = None) -> dict[str, float]:
        """The metrics of ``images``; with the ``digits`` they were asked to show, also the conditional accuracy."""
        single = images.reshape(-1, PIXELS)  # [N * channels, 784]: each channel one digit
        features = torch.cat([self.judge.body(batch) for batch in single.split(BATCH)])
        logits = self.judge.head(features)
        probabilities = logits.softmax(1)
        probability, digit = probabilities.max(1)
        confident = (probability > CONFIDENT).view(len(images), self.channels).all(1)
        share = None
        if self.channels == 1:
            share = torch.bincount(digit, minlength=10).double() / len(images)
            modes = int((share >= MODE_SHARE).sum())
            kl = mode_counts(digit, 10)["kl"]
        else:
            counted = mode_counts(stack_codes(digit.view(len(images), self.channels)), self.possible)
            modes, kl = counted["modes_covered"], counted["kl"]
        self.fd.reset()  # the real features stay (reset_real_features=False)
        for batch in features.split(BATCH):
            self.fd.update(batch, real=False)
        with torch.random.fork_rng(devices=[]):  # InceptionScore shuffles with the global RNG; keep it untouched
            torch.manual_seed(0)
            with warnings.catch_warnings():  # "saves all features": 10 floats an image, by design
                warnings.simplefilter("ignore", UserWarning)
                inception = InceptionScore(feature=_Given(10), splits=10).to(images.device)
            for batch in logits.split(BATCH):
                inception.update(batch)
            judge_is = inception.compute()[0].item()
        values = {
            "modes": modes,
            "possible_modes": self.possible,
            "kl": kl,
            "confident": confident.double().mean().item(),
            "judge_fd": self.fd.compute().item(),
            "judge_is": judge_is,
            **self.manifold(features),
        }
        if digits is not None:  # how often the judge reads the digit that was asked for
            values["conditional_accuracy"] = (digit == digits).double().mean().item()
        if share is not None:  # the per-class histogram: each class's share of the samples, by its name
            values["class_share"] = dict(zip(self.class_names, share.tolist(), strict=True))
            values["blends"] = self._blends(probabilities, ~confident)
        if "judge_accuracy" in self.about:
            values["judge_accuracy"] = self.about["judge_accuracy"]
            values["trustworthy"] = float(self.about["judge_accuracy"] >= JUDGE_FLOOR)
        return values

    def _blends(self, probabilities: torch.Tensor, unsure: torch.Tensor, top: int = 5) -> dict[str, float]:
        """Between which two classes the samples the judge is not confident of fall: for the ``top`` pairs of such a
        sample's two likeliest classes, their share of all samples ({"4 & 9": 0.012, ...}). A GAN's illegible digits
        are mostly in-between shapes, a 4 on its way to a 9."""
        pairs = probabilities[unsure].topk(2, 1).indices.sort(1).values  # [unsure, 2]: the two likeliest, in order
        if not len(pairs):
            return {}
        found, counts = pairs.unique(dim=0, return_counts=True)
        blends = {}
        for i in counts.argsort(descending=True, stable=True)[:top].tolist():
            a, b = found[i].tolist()
            blends[f"{self.class_names[a]} & {self.class_names[b]}"] = counts[i].item() / len(probabilities)
        return blends


class EpochMetrics(L.Callback):
    """At each epoch end: the metrics of ``samples`` generated images, logged as ``metrics/*`` in TensorBoard."""

    def __init__(
        self, metrics: JudgeMetrics, samples: int = 10_000, seed: int = 0, truncation: float | None = None, drs=False
    ):
        self.metrics, self.samples, self.seed = metrics, samples, seed
        self.truncation, self.drs = truncation, drs  # sampling-time cures (gan.models.sampling_cures), off by default
        self.history: list[dict] = []  # one row per epoch; saved in checkpoints so a resumed run keeps it
        self._started = 0.0  # when this fit began, less the training seconds of the epochs before a resume

    def on_train_start(self, trainer, pl_module) -> None:
        # each row's `seconds`: the run's wall-clock time to that epoch's end, the metrics of earlier epochs included
        # (what a user waits for); a resumed run goes on from its last row's
        before = self.history[-1].get("seconds", 0.0) if self.history else 0.0
        self._started = time.perf_counter() - before

    def setup(self, trainer, pl_module, stage) -> None:
        self.metrics.to(pl_module.device)
        about = self.metrics.about
        if pl_module.logger is not None and about:
            text = describe_judge(about)
            pl_module.logger.experiment.add_text("judge", text, 0)

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        drs = None
        if self.drs:  # a fresh sampler each epoch: D has changed
            drs = RejectionSampler(pl_module.discriminator, seed=self.seed)
        if drs is None:
            drawn = draw_fresh(pl_module, self.samples, self.seed, self.truncation)
        else:
            drawn = draw_fresh_kept(pl_module, self.samples, drs, self.seed, self.truncation)
        values = self.metrics(drawn.samples, drawn.digits)
        images, seconds = pl_module.state.images, round(time.perf_counter() - self._started, 1)
        row = {"epoch": trainer.current_epoch, "updates": pl_module.updates, "images": images, "seconds": seconds}
        self.history.append(row | values)
        # through self.log, so EarlyStopping or ModelCheckpoint can monitor them (callbacks=...); on TensorBoard's
        # axis, images seen: Lightning takes a logged "step" as the x value
        scalars = {f"metrics/{k}": float(v) for k, v in values.items() if not isinstance(v, dict)}
        scalars |= {f"classes/{k}": float(v) for k, v in values.get("class_share", {}).items()}
        # every process measures the same G with the same seeds: sync_dist averages equal values (and keeps
        # Lightning from warning about epoch-level logging under DDP)
        pl_module.log_dict({**scalars, "step": float(images)}, sync_dist=trainer.world_size > 1)
        log.info(f"epoch {trainer.current_epoch + 1}: {describe_metrics(values)}")

    def state_dict(self) -> dict:
        return {"history": self.history}

    def load_state_dict(self, state_dict) -> None:
        self.history = state_dict["history"]


def describe_metrics(values: dict) -> str:
    """One line: ``modes 9/10, KL 0.136, confident 60.2%, judge-FD 73.1, judge-IS 8.12, precision 0.81, ...``
    (on a 2D mixture: modes, KL, high quality, precision, recall, density, coverage)."""
    text = f"modes {values['modes']}/{values['possible_modes']}, KL {values['kl']:.3f}"
    if "high_quality" in values:
        text += f", high quality {values['high_quality']:.1%}"
    if "confident" in values:
        text += f", confident {values['confident']:.1%}"
    if "judge_fd" in values:
        text += f", judge-FD {values['judge_fd']:.1f}, judge-IS {values['judge_is']:.2f}"
    if "precision" in values:
        text += (
            f", precision {values['precision']:.2f}, recall {values['recall']:.2f}, "
            f"density {values['density']:.2f}, coverage {values['coverage']:.2f}"
        )
    if "conditional_accuracy" in values:
        text += f", conditional accuracy {values['conditional_accuracy']:.1%}"
    return text


def describe_judge(about: dict) -> str:
    """One line naming the dataset and its judge's accuracy, with the loud warning when the judge is too weak."""
    text = f"dataset: {about.get('dataset', '?')}; judge: {about.get('judge', '?')}"
    if "judge_accuracy" in about:
        text += f", test accuracy {about['judge_accuracy']:.2%} on the dataset's own test set"
        warning = untrustworthy(about["judge_accuracy"])
        if warning:
            text += f"\n\n**{warning}**"
    return text


def _cell(m: dict, key: str, style: str) -> str:
    return format(m[key], style) if key in m else "-"


def format_table(rows: dict[str, dict[str, float]]) -> str:
    """A Markdown table: one row per set of samples (images, or 2D points with their high-quality share)."""
    points = any("high_quality" in m for m in rows.values())
    quality = "high quality" if points else "confident"
    lines = [
        f"| samples | modes covered | KL | {quality} | precision | recall | density | coverage "
        "| judge-FD | judge-IS | conditional accuracy |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, m in rows.items():
        lines.append(
            f"| {name} | {m['modes']}/{m.get('possible_modes', 10)} | {m['kl']:.3f} "
            f"| {_cell(m, 'high_quality' if points else 'confident', '.1%')} | {_cell(m, 'precision', '.3f')} "
            f"| {_cell(m, 'recall', '.3f')} | {_cell(m, 'density', '.3f')} | {_cell(m, 'coverage', '.3f')} "
            f"| {_cell(m, 'judge_fd', '.2f')} | {_cell(m, 'judge_is', '.2f')} "
            f"| {_cell(m, 'conditional_accuracy', '.1%')} |"
        )
    return "\n".join(lines)
