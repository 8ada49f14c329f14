"""Would channels_last or torch.compile make a preset's update faster on this machine? A probe, side by side.

    python scripts/benchmark_layouts.py                                   # experiment=mnist, 2 threads
    python scripts/benchmark_layouts.py --experiment stacked --updates 100 --repeats 5

One plain PyTorch loop of the preset's arithmetic (RpGAN: softplus of the logit gap; R1 + R2 on every
``penalty.every``-th D step, scaled by it; Adam with the preset's lr and betas; the preset's batch; bf16 autocast
when the preset trains in bf16-mixed) over random images, in three forms, repeats alternating between them:
  eager           the networks as built (NCHW, contiguous)
  channels_last   the same networks' weights in channels_last (the convolutions' outputs follow them)
  torch.compile   D and G compiled (inductor), for every step but the penalised D steps: torch.compile does
                  not take the double backward R1 and R2 need, so those run eager on the same parameters
Prints images/s (median of the repeats) and the time ratio against eager: below 1 is faster. Compilation happens
in a warm-up before timing. The project trains in the eager form; this probe says whether another form is worth
building in.
"""

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from hydra.utils import instantiate

from gan.config import compose

FORMS = ("eager", "channels_last", "torch.compile")


def build(cfg, form: str):
    torch.manual_seed(0)
    D, G = instantiate(cfg.model.discriminator), instantiate(cfg.model.generator)
    if form == "channels_last":
        D, G = D.to(memory_format=torch.channels_last), G.to(memory_format=torch.channels_last)
    fast_D, fast_G = (torch.compile(D), torch.compile(G)) if form == "torch.compile" else (D, G)
    adam = dict(lr=cfg.optimizer.lr, betas=tuple(float(b) for b in cfg.optimizer.betas))
    return D, G, fast_D, fast_G, torch.optim.Adam(D.parameters(), **adam), torch.optim.Adam(G.parameters(), **adam)


def train(cfg, nets, updates: int) -> float:
    """Seconds for ``updates`` updates of D then G, the preset's arithmetic."""
    D, G, fast_D, fast_G, opt_d, opt_g = nets
    batch, latent = cfg.data.batch_size, cfg.model.latent_dim
    r1, r2, every = cfg.penalty.r1, cfg.penalty.r2, cfg.penalty.every
    images = torch.rand(updates, batch, cfg.model.generator.image_channels * 784)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.trainer.precision == "bf16-mixed")
    started = time.perf_counter()
    for step, real in enumerate(images):
        penalised = step % every == 0
        d, g = (D, G) if penalised else (fast_D, fast_G)
        real = real.requires_grad_(penalised)
        with autocast:
            fake = g(torch.randn(batch, latent)).detach().requires_grad_(penalised)
            real_logits, fake_logits = d(real).float(), d(fake).float()
        loss = F.softplus(fake_logits - real_logits).mean()
        if penalised:  # R1 + R2: zero-centred penalties on D's input gradients, lazily scaled by `every`
            real_grad, fake_grad = torch.autograd.grad(
                [real_logits.sum(), fake_logits.sum()], [real, fake], create_graph=True
            )
            loss = loss + every / 2 * (r1 * real_grad.square().sum(-1).mean() + r2 * fake_grad.square().sum(-1).mean())
        opt_d.zero_grad()
        loss.backward()
        opt_d.step()
        with autocast:
            fake_logits, real_logits = fast_D(fast_G(torch.randn(batch, latent))).float(), fast_D(real.detach()).float()
        opt_g.zero_grad()
        F.softplus(real_logits - fake_logits).mean().backward()
        opt_g.step()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiment", default="mnist", help="a preset of conf/experiment/")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--updates", type=int, default=150, help="updates per timed repeat")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cfg = compose(f"experiment={args.experiment}")
    nets = {form: build(cfg, form) for form in FORMS}
    for form in FORMS:  # warm-up, compilation included
        train(cfg, nets[form], 2 * cfg.penalty.every)
    seconds = {form: [] for form in FORMS}
    for _ in range(args.repeats):
        for form in FORMS:
            seconds[form].append(train(cfg, nets[form], args.updates))
    images = args.updates * cfg.data.batch_size
    eager = statistics.median(seconds["eager"])
    print(f"experiment={args.experiment}: batch {cfg.data.batch_size}, {cfg.trainer.precision}, {args.threads} "
          f"thread(s), {args.updates} updates x {args.repeats} repeats, torch {torch.__version__}")  # fmt: skip
    print("| form | images/s | time ratio |\n| --- | --- | --- |")
    for form in FORMS:
        median = statistics.median(seconds[form])
        print(f"| {form} | {images / median:,.0f} | {median / eager:.2f}x |")


if __name__ == "__main__":
    main()
